// One SSH round trip per probe: the driver sends a single `sh -c` script that runs every
// query command in its own section and prints
//
//   @@cutover-begin <name>
//   <what the command printed, stdout and stderr>
//   @@cutover-end <name> <exit status>
//
// and SplitProbeOutput cuts the answer back into sections. Commands are shell text the
// operator wrote in the member's settings (trusted); values reach them only through
// quoted environment variables, never by pasting into the text.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/parse_result.h"

namespace cutover {

struct ProbeSection {
  std::string name;     // [a-z_]+, used in the markers
  std::string command;  // shell text, run as `sh -c <command>` with stdin from /dev/null
};

struct SectionOutput {
  std::string output;  // stdout and stderr interleaved, as the command printed them
  int exit_status = -1;
};

// `environment` holds NAME=value pairs exported before the sections run (values quoted).
std::string BuildProbeScript(const std::vector<ProbeSection>& sections,
                             const std::map<std::string, std::string>& environment);

// Every name in `expected` must have a complete section; a missing one means the script
// was cut short (timeout, killed shell) and is an error naming it.
ParseResult<std::map<std::string, SectionOutput>> SplitProbeOutput(
    std::string_view output, const std::vector<std::string>& expected);

}  // namespace cutover
