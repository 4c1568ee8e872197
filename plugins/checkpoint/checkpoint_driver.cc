#include "plugins/checkpoint/checkpoint_driver.h"

#include <map>

#include "common/strings.h"
#include "plugins/checkpoint/checkpoint_parsers.h"

namespace cutover {
namespace {

constexpr std::string_view kBegin = "@@cutover-begin ";
constexpr std::string_view kEnd = "@@cutover-end ";
constexpr std::string_view kReadyForFailover = "Connectivity upgrade status: Ready for Failover";

// Each command's output is framed by marker lines on stdout (with its exit status) and on
// stderr, so one round trip carries them all and a failing command spoils only its own
// section. `echo` before the end marker ends an unterminated last line; the parser
// removes exactly that one newline again.
constexpr std::string_view kSectionFunction = R"(cutover_section() {
  cutover_name=$1; shift
  echo "@@cutover-begin $cutover_name"; echo "@@cutover-begin $cutover_name" >&2
  "$@" </dev/null
  cutover_rc=$?
  echo; echo "@@cutover-end $cutover_name $cutover_rc"
  echo >&2; echo "@@cutover-end $cutover_name" >&2
}
)";

struct Section {
  int exit_status = -1;  // -1 on stderr, which carries no status
  std::string out;
  std::string err;
};

std::map<std::string, Section> SplitSections(std::string_view text, bool is_stdout,
                                             std::map<std::string, Section> sections = {}) {
  std::string open;
  std::size_t content_start = 0;
  std::size_t line_start = 0;
  while (line_start < text.size()) {
    std::size_t line_end = text.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = text.size();
    std::string_view line = text.substr(line_start, line_end - line_start);
    if (StartsWith(line, kBegin)) {
      open = std::string(line.substr(kBegin.size()));
      content_start = line_end + 1;
    } else if (!open.empty() && StartsWith(line, kEnd) &&
               SplitFields(line.substr(kEnd.size())).size() >= 1 &&
               SplitFields(line.substr(kEnd.size()))[0] == open) {
      std::string content(text.substr(content_start, line_start - content_start));
      if (!content.empty() && content.back() == '\n') content.pop_back();
      Section& section = sections[open];
      if (is_stdout) {
        std::vector<std::string_view> fields = SplitFields(line.substr(kEnd.size()));
        std::optional<std::uint64_t> status =
            fields.size() == 2 ? ParseUint(fields[1]) : std::nullopt;
        section.exit_status = status ? static_cast<int>(*status) : -1;
        section.out = std::move(content);
      } else {
        section.err = std::move(content);
      }
      open.clear();
    }
    line_start = line_end + 1;
  }
  return sections;
}

std::string FirstLine(std::string_view text) {
  for (std::string_view line : SplitLines(text))
    if (!Trim(line).empty()) return std::string(Trim(line));
  return {};
}

// "cphaprob syncstat exited with status 127: sh: cphaprob: not found".
std::string DescribeFailure(const std::string& command, const Section& section) {
  std::string text = command + " exited with status " + std::to_string(section.exit_status);
  std::string said = FirstLine(section.err);
  if (said.empty()) said = FirstLine(section.out);
  if (!said.empty()) text += ": " + said;
  return text;
}

SyncStatus FromSyncstat(const CphaprobSyncstat& s) {
  SyncStatus sync;
  sync.ok = s.ok;
  sync.state = s.status;
  sync.values[SyncMetric::kLostMessages] = static_cast<double>(s.lost_updates);
  sync.values[SyncMetric::kSentMessages] = static_cast<double>(s.sent_messages);
  sync.values[SyncMetric::kReceivedMessages] = static_cast<double>(s.received_updates);
  sync.values[SyncMetric::kRetransmissions] =
      static_cast<double>(s.sent_retransmission_requests + s.received_retransmission_requests);
  return sync;
}

SyncStatus FromPstat(const FwCtlPstatSync& p) {
  SyncStatus sync;
  sync.ok = p.ok;
  sync.state = p.status;
  if (p.off) return sync;
  // Both are sync data that did not make it across: lost on the wire or shed under load.
  sync.values[SyncMetric::kLostMessages] =
      static_cast<double>(p.received_dropped_by_net + p.dropped_updates_sync_overload);
  sync.values[SyncMetric::kSentMessages] = static_cast<double>(p.sent_total);
  sync.values[SyncMetric::kReceivedMessages] = static_cast<double>(p.received_total);
  sync.values[SyncMetric::kRetransmissions] =
      static_cast<double>(p.sent_retransmission_requests + p.received_retransmission_requests);
  return sync;
}

std::string Output(const CommandResult& result) {
  if (result.err.empty()) return result.out;
  if (result.out.empty()) return result.err;
  return result.out + (result.out.back() == '\n' ? "" : "\n") + result.err;
}

}  // namespace

CheckpointDriver::CheckpointDriver(CheckpointSettings settings,
                                   std::unique_ptr<CommandTransport> transport)
    : settings_(std::move(settings)), transport_(std::move(transport)) {}

std::vector<std::string> CheckpointDriver::ProbeCommand() const {
  std::string script;
  if (!settings_.environment_script.empty()) {
    std::string file = ShellQuote(settings_.environment_script);
    script +=
        "[ -r " + file + " ] || { echo " +
        ShellQuote("environment_script " + settings_.environment_script + " is not readable") +
        " >&2; exit 3; }\n. " + file + "\n";
  }
  script += kSectionFunction;
  script += "cutover_section state cphaprob state\n";
  script += "cutover_section syncstat cphaprob syncstat\n";
  // Before R80.20 there is no `cphaprob syncstat`; the Sync section of `fw ctl pstat`
  // carries the same figures.
  script += "if [ \"$cutover_rc\" -ne 0 ]; then cutover_section pstat fw ctl pstat; fi\n";
  script += "cutover_section connections fw tab -t connections -s\n";
  script += "cutover_section version fw ver\n";
  script += "cutover_section digest sh -c " + ShellQuote(settings_.config_digest_command) + "\n";
  script += "exit 0\n";
  return {"sh", "-c", script};
}

MemberStatus CheckpointDriver::Probe(const ProbeContext& context) {
  auto left =
      std::chrono::duration_cast<Duration>(context.deadline - std::chrono::steady_clock::now());
  if (left <= Duration::zero())
    return MemberStatus::Down(transport_->Target() + ": no time left before the probe deadline");
  CommandResult result = transport_->Run(ProbeCommand(), left);
  if (!result.completed)
    return MemberStatus::Down(transport_->Target() +
                              ": probe did not complete: " + result.Describe());
  std::map<std::string, Section> sections = SplitSections(result.out, true);
  sections = SplitSections(result.err, false, std::move(sections));
  auto find = [&](const std::string& name) -> const Section* {
    auto it = sections.find(name);
    return it == sections.end() || it->second.exit_status < 0 ? nullptr : &it->second;
  };
  auto down = [&](const std::string& why) {
    return MemberStatus::Down(transport_->Target() + ": " + why);
  };

  const Section* state_section = find("state");
  if (!state_section)
    return down("the probe script printed no output markers (" + result.Describe() +
                "); the login shell must be expert mode (bash), not clish");
  if (state_section->exit_status != 0)
    return down(DescribeFailure("cphaprob state", *state_section));
  ParseResult<CphaprobState> state = ParseCphaprobState(state_section->out);
  if (!state.ok()) return down(state.error());

  SyncStatus sync;
  const Section* syncstat = find("syncstat");
  if (syncstat && syncstat->exit_status == 0) {
    ParseResult<CphaprobSyncstat> parsed = ParseCphaprobSyncstat(syncstat->out);
    if (!parsed.ok()) return down(parsed.error());
    sync = FromSyncstat(parsed.value());
  } else {
    const Section* pstat = find("pstat");
    std::string syncstat_failure = syncstat ? DescribeFailure("cphaprob syncstat", *syncstat)
                                            : "cphaprob syncstat did not run";
    if (!pstat) return down(syncstat_failure + ", and fw ctl pstat did not run");
    if (pstat->exit_status != 0)
      return down(syncstat_failure + ", and " + DescribeFailure("fw ctl pstat", *pstat));
    ParseResult<FwCtlPstatSync> parsed = ParseFwCtlPstatSync(pstat->out);
    if (!parsed.ok()) return down(parsed.error());
    sync = FromPstat(parsed.value());
  }

  const Section* connections_section = find("connections");
  if (!connections_section) return down("fw tab -t connections -s did not run");
  if (connections_section->exit_status != 0)
    return down(DescribeFailure("fw tab -t connections -s", *connections_section));
  ParseResult<FwTabConnections> connections = ParseFwTabConnections(connections_section->out);
  if (!connections.ok()) return down(connections.error());

  const Section* version_section = find("version");
  if (!version_section) return down("fw ver did not run");
  if (version_section->exit_status != 0) return down(DescribeFailure("fw ver", *version_section));
  ParseResult<FwVer> version = ParseFwVer(version_section->out);
  if (!version.ok()) return down(version.error());

  MemberStatus status;
  status.up = true;
  const ClusterMember& local = state.value().local();
  status.role = CheckpointRole(local.state);
  status.connections = static_cast<double>(connections.value().vals);
  status.version = version.value().version;
  status.sync = std::move(sync);
  status.accepting_new_connections =
      (status.role == "active" || status.role == "active_attention") && local.load_percent > 0;
  // A failing digest command leaves the digest empty (unknown) rather than the member down:
  // the figures above are still true.
  const Section* digest = find("digest");
  if (digest && digest->exit_status == 0) status.config_digest = Fnv1aHex(digest->out);
  return status;
}

std::vector<std::string> CheckpointDriver::WithEnvironment(std::vector<std::string> argv) const {
  if (settings_.environment_script.empty()) return argv;
  std::vector<std::string> wrapped = {
      "sh", "-c", ". " + ShellQuote(settings_.environment_script) + " && exec \"$@\"", "cutover"};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  return wrapped;
}

PlannedCommand CheckpointDriver::Command(std::string what, std::vector<std::string> argv,
                                         Duration timeout) const {
  return {std::move(what), WithEnvironment(std::move(argv)), timeout};
}

ActionResult CheckpointDriver::Perform(const ActionRequest& request) {
  CommandPlan plan = PlanAction(request);
  if (plan.refused()) return ActionResult::Failure(plan.refusal);
  std::string output;
  for (const PlannedCommand& command : plan.commands) {
    CommandResult result = transport_->Run(command.argv, command.timeout);
    output += Output(result);
    if (!result.Ok())
      return ActionResult::Failure(
          transport_->Target() + ": " + command.what + " failed: " + result.Describe(), output);
  }
  // The completion line is what an operator looks for; put it first in the journal.
  if (request.action == Action::kStartUpgradeMode &&
      output.find(kReadyForFailover) != std::string::npos)
    output = std::string(kReadyForFailover) + "\n" + output;
  return ActionResult::Success(output);
}

std::vector<std::string> CheckpointDriver::Describe(const ActionRequest& request) const {
  return DescribePlan(*transport_, PlanAction(request));
}

CommandPlan CheckpointDriver::PlanAction(const ActionRequest& request) const {
  auto plan = [](PlannedCommand command) { return CommandPlan{{std::move(command)}, {}}; };
  Duration timeout = settings_.action_timeout;
  switch (request.action) {
    case Action::kDisconnect:
      return plan(Command("clusterXL_admin down", {"clusterXL_admin", "down"}, timeout));
    case Action::kConnect:
      return plan(Command("clusterXL_admin up", {"clusterXL_admin", "up"}, timeout));
    case Action::kStartUpgradeMode:
      return plan(Command("cphacu start", {"cphacu", "start"}, timeout));
    case Action::kStopUpgradeMode:
      return plan(Command("cphacu stop", {"cphacu", "stop"}, timeout));
    case Action::kDisableAcceleration:
      return plan(Command("fwaccel off -a", {"fwaccel", "off", "-a"}, timeout));
    case Action::kUpgrade: {
      if (settings_.upgrade_command.empty())
        return CommandPlan::Refused(
            "upgrade: driver checkpoint has no upgrade_command; set settings.upgrade_command "
            "to the installer command (the version is passed as its last argument)");
      // The version arrives as "$1" of the operator's command, never spliced into it.
      std::vector<std::string> argv = {"sh", "-c", settings_.upgrade_command + " \"$@\"",
                                       "cutover-upgrade"};
      auto version = request.params.find("version");
      if (version != request.params.end()) argv.push_back(version->second);
      return plan(Command("upgrade (" + settings_.upgrade_command + ")", std::move(argv),
                          settings_.upgrade_timeout));
    }
    case Action::kInstallPolicy:
      return plan(Command("install_policy (" + settings_.install_policy_command + ")",
                          {"sh", "-c", settings_.install_policy_command}, timeout));
    case Action::kRun: {
      auto command = request.params.find("command");
      if (command == request.params.end() || Trim(command->second).empty())
        return CommandPlan::Refused("run: parameter 'command' is missing or empty");
      return plan(Command("run (" + command->second + ")", {"sh", "-c", command->second}, timeout));
    }
    default:
      return CommandPlan::Refused("driver checkpoint does not perform action '" +
                                  std::string(ActionName(request.action)) + "'");
  }
}

}  // namespace cutover
