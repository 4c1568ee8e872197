// The `exec` driver: any program the operator supplies speaks for the member, with one
// JSON document on stdin and one on stdout per call, so a platform can be added without
// recompiling. The protocol is documented in plugins/exec/README.md.
#pragma once

#include <string>
#include <vector>

#include "plugins/core/descriptor.h"
#include "plugins/core/driver.h"

namespace cutover {

struct ExecDriverSettings {
  std::string program;
  std::vector<std::string> args;
  Duration timeout{std::chrono::seconds(5)};
};

class ExecDriver : public Driver {
 public:
  ExecDriver(MemberConfig member, ExecDriverSettings settings, std::vector<std::string> roles);
  MemberStatus Probe(const ProbeContext& context) override;
  ActionResult Perform(const ActionRequest& request) override;
  std::vector<std::string> Describe(const ActionRequest& request) const override;

 private:
  // How the program is called for an action: the one place it is built, run by Perform
  // and printed by Describe.
  struct ProgramCall {
    std::vector<std::string> argv;
    std::string stdin_data;
  };
  std::vector<std::string> ProgramArgv() const;
  ProgramCall PerformCall(const ActionRequest& request) const;

  MemberConfig member_;
  ExecDriverSettings settings_;
  std::vector<std::string> roles_;
};

// The pure halves of the protocol, tested on their own.
std::string ExecProbeRequest(const MemberConfig& member, Duration timeout);
std::string ExecPerformRequest(const MemberConfig& member, const ActionRequest& request);
// Reads the program's probe answer; on malformed JSON or wrong types returns a down
// status whose error says what was wrong.
MemberStatus ParseExecProbeReply(const std::string& json, const std::vector<std::string>& roles);
ActionResult ParseExecPerformReply(const std::string& json);

}  // namespace cutover
