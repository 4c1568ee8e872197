// Configurations name credential files that the loader checks are readable. The YAML
// fuzzers point them at stand-ins in kFuzzCredentials (the corpus uses these paths).
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>

namespace cutover::fuzz {

inline constexpr const char* kFuzzCredentials = "/tmp/cutover-fuzz-credentials";

inline void WriteFuzzCredentials() {
  std::filesystem::create_directories(kFuzzCredentials);
  for (const char* name : {"id_ed25519", "known_hosts", "password", "token"})
    std::ofstream(std::string(kFuzzCredentials) + "/" + name) << "stand-in\n";
}

// An example configuration with its credential paths moved to the stand-ins (the lab's
// key lives under /run/co-lab/state only while a lab is up).
inline std::string WithFuzzCredentials(std::string yaml) {
  const std::pair<std::string, std::string> moves[] = {{"/run/co-lab/state/ssh", kFuzzCredentials},
                                                       {"/etc/cutover", kFuzzCredentials}};
  for (const auto& [from, to] : moves) {
    for (auto at = yaml.find(from); at != std::string::npos; at = yaml.find(from, at + to.size()))
      yaml.replace(at, from.size(), to);
  }
  return yaml;
}

}  // namespace cutover::fuzz
