#!/usr/bin/env bash
# Regenerates README.md's driver reference from the driver descriptors
# (`cutover-exporter --drivers`). A unit test fails while the two differ.
set -euo pipefail
cd "$(dirname "$0")/.."
exporter=${1:-build/main/exporter/cutover-exporter}
python3 - "$exporter" <<'PY'
import subprocess, sys
reference = subprocess.run([sys.argv[1], "--drivers"], check=True, capture_output=True, text=True).stdout
readme = open("README.md").read()
begin, end = "<!-- drivers:begin -->\n", "<!-- drivers:end -->"
a, b = readme.index(begin) + len(begin), readme.index(end)
open("README.md", "w").write(readme[:a] + reference + readme[b:])
PY
