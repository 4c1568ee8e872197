#include "plugins/linux_fw/linux_fw_driver.h"

#include <algorithm>
#include <map>

#include "common/strings.h"
#include "plugins/linux_fw/linux_fw_parsers.h"
#include "plugins/transport/probe_script.h"

namespace cutover {
namespace {

constexpr char kConntrackCount[] = "conntrack_count";
constexpr char kConntrackdStats[] = "conntrackd_stats";
constexpr char kConntrackdNetwork[] = "conntrackd_network";
constexpr char kVrrpState[] = "vrrp_state";
constexpr char kClusterStatus[] = "cluster_status";
constexpr char kVersion[] = "version";
constexpr char kConfigDigest[] = "config_digest";

// keepalived's track_file adds the file's value (times the weight, 1 in the documented
// snippet) to the configured priority, and VRRP priorities live in 1..254.
constexpr std::int64_t kMaxPriorityOffset = 254;

std::optional<std::int64_t> ParsePriorityOffset(const std::string& text) {
  std::string_view digits = text;
  bool negative = !digits.empty() && digits.front() == '-';
  if (negative) digits.remove_prefix(1);
  if (digits.size() > 3) return std::nullopt;
  auto magnitude = ParseUint(digits);
  if (!magnitude || static_cast<std::int64_t>(*magnitude) > kMaxPriorityOffset) return std::nullopt;
  return negative ? -static_cast<std::int64_t>(*magnitude) : static_cast<std::int64_t>(*magnitude);
}

// Package versions as distributions write them ("2.2.7-1+deb12u1", "1:1.4.7-1"). The
// version reaches upgrade_command only as "$1", so this is defence in depth against an
// upgrade_command that forgets to quote it.
bool IsPlausibleVersion(const std::string& version) {
  if (version.empty() || version.size() > 128) return false;
  return std::all_of(version.begin(), version.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
           c == '-' || c == '+' || c == '~' || c == ':' || c == '_';
  });
}

std::string FirstLine(std::string_view text) {
  std::string_view trimmed = Trim(text);
  return std::string(Trim(trimmed.substr(0, trimmed.find('\n'))));
}

}  // namespace

LinuxFwDriver::LinuxFwDriver(LinuxFwSettings settings, std::unique_ptr<CommandTransport> transport)
    : settings_(std::move(settings)), transport_(std::move(transport)) {}

MemberStatus LinuxFwDriver::Probe(const ProbeContext& context) {
  auto remaining =
      std::chrono::duration_cast<Duration>(context.deadline - std::chrono::steady_clock::now());
  if (remaining <= Duration::zero())
    return MemberStatus::Down("probe deadline had passed before " + transport_->Target() +
                              " was asked");

  std::vector<ProbeSection> sections = {
      {kConntrackCount, "conntrack -C"},
      {kConntrackdStats, "conntrackd -C \"$CONNTRACKD_CONFIG\" -s"},
      {kConntrackdNetwork, "conntrackd -C \"$CONNTRACKD_CONFIG\" -s network"},
  };
  // With a site command, membership is the site's word; the VRRP file may not exist.
  const bool site_membership = !settings_.cluster_command.empty();
  if (site_membership)
    sections.push_back({kClusterStatus, settings_.cluster_command + " status"});
  else
    sections.push_back({kVrrpState, "cat -- \"$VRRP_STATE_FILE\""});
  // An empty command switches the figure off (documented as optional).
  if (!settings_.version_command.empty()) sections.push_back({kVersion, settings_.version_command});
  if (!settings_.config_digest_command.empty())
    sections.push_back({kConfigDigest, settings_.config_digest_command});
  std::vector<std::string> names;
  // Commands as an operator would type them on the member, for error messages.
  std::map<std::string, std::string> commands;
  for (const auto& s : sections) {
    names.push_back(s.name);
    commands[s.name] = s.command;
  }
  commands[kConntrackdStats] = "conntrackd -C " + ShellQuote(settings_.conntrackd_config) + " -s";
  commands[kConntrackdNetwork] =
      "conntrackd -C " + ShellQuote(settings_.conntrackd_config) + " -s network";
  commands[kVrrpState] = "cat " + ShellQuote(settings_.vrrp_state_file);
  std::string script =
      BuildProbeScript(sections, {{"CONNTRACKD_CONFIG", settings_.conntrackd_config},
                                  {"VRRP_STATE_FILE", settings_.vrrp_state_file},
                                  {"VRRP_TRACK_FILE", settings_.vrrp_track_file}});

  CommandResult result =
      transport_->Run({"sh", "-c", script}, std::min(remaining, settings_.command_timeout));
  if (!result.completed)
    return MemberStatus::Down("probe of " + transport_->Target() +
                              " did not complete: " + result.Describe());
  auto split = SplitProbeOutput(result.out, names);
  if (!split.ok())
    return MemberStatus::Down("probe of " + transport_->Target() + ": " + split.error() +
                              "; stderr " + QuoteCommandOutput(result.err));
  const auto& out = split.value();

  // "`conntrack -C` exited 1 and printed '...'": what an operator would run to see more.
  auto failed = [&](const std::string& name) {
    const SectionOutput& s = out.at(name);
    return "`" + commands[name] + "` exited " + std::to_string(s.exit_status) + " and printed " +
           QuoteCommandOutput(s.output);
  };
  auto unparseable = [&](const std::string& name, const std::string& why) {
    return "`" + commands[name] + "`: " + why;
  };

  MemberStatus status;
  if (out.at(kConntrackCount).exit_status != 0) return MemberStatus::Down(failed(kConntrackCount));
  auto count = ParseConntrackCount(out.at(kConntrackCount).output);
  if (!count.ok()) return MemberStatus::Down(unparseable(kConntrackCount, count.error()));
  status.connections = static_cast<double>(count.value());

  if (site_membership) {
    if (out.at(kClusterStatus).exit_status != 0)
      return MemberStatus::Down(failed(kClusterStatus) +
                                "; cluster_command must answer `status` with role=... and "
                                "accepting=... lines (see plugins/linux_fw/README.md)");
    auto membership = ParseClusterStatus(out.at(kClusterStatus).output);
    if (!membership.ok())
      return MemberStatus::Down(unparseable(kClusterStatus, membership.error()));
    status.role = membership.value().role;
    status.accepting_new_connections = membership.value().accepting;
  } else {
    if (out.at(kVrrpState).exit_status != 0)
      return MemberStatus::Down(
          failed(kVrrpState) +
          "; keepalived's notify script writes this file (see plugins/linux_fw/README.md)");
    auto vrrp = ParseKeepalivedState(out.at(kVrrpState).output);
    if (!vrrp.ok()) return MemberStatus::Down(unparseable(kVrrpState, vrrp.error()));
    status.role = vrrp.value().role;
    // In a VRRP pair the master holds the virtual addresses, so only it is offered new
    // connections; a backup, faulted or stopped instance receives none.
    status.accepting_new_connections = status.role == "active";
  }

  if (out.count(kVersion)) {
    if (out.at(kVersion).exit_status != 0) return MemberStatus::Down(failed(kVersion));
    status.version = FirstLine(out.at(kVersion).output);
    if (status.version.empty())
      return MemberStatus::Down(unparseable(kVersion, "printed no version"));
  }
  if (out.count(kConfigDigest)) {
    if (out.at(kConfigDigest).exit_status != 0) return MemberStatus::Down(failed(kConfigDigest));
    status.config_digest = Fnv1aHex(out.at(kConfigDigest).output);
  }

  // conntrackd not answering is a finding about state sync, not about the member: the
  // firewall still forwards, so the member stays up with sync not ok. Output that does
  // not parse while conntrackd says it succeeded is a different matter (wrong version,
  // wrong command) and takes the member down rather than guessing.
  for (const char* name : {kConntrackdStats, kConntrackdNetwork}) {
    if (out.at(name).exit_status != 0) {
      status.sync.ok = false;
      status.sync.state = "conntrackd not answering: " + failed(name);
      status.up = true;
      return status;
    }
  }
  auto stats = ParseConntrackdStats(out.at(kConntrackdStats).output);
  if (!stats.ok()) return MemberStatus::Down(unparseable(kConntrackdStats, stats.error()));
  auto network = ParseConntrackdNetworkStats(out.at(kConntrackdNetwork).output);
  if (!network.ok()) return MemberStatus::Down(unparseable(kConntrackdNetwork, network.error()));

  auto& values = status.sync.values;
  values[SyncMetric::kInternalCacheEntries] = static_cast<double>(stats.value().internal.active);
  values[SyncMetric::kExternalCacheEntries] = static_cast<double>(stats.value().external.active);
  values[SyncMetric::kLostMessages] = static_cast<double>(network.value().packets_lost);
  values[SyncMetric::kMalformedMessages] = static_cast<double>(network.value().received_malformed);
  if (const auto& traffic = network.value().traffic) {
    values[SyncMetric::kSentMessages] = static_cast<double>(traffic->packets_sent);
    values[SyncMetric::kReceivedMessages] = static_cast<double>(traffic->packets_received);
    status.sync.state = "running, syncing over " + traffic->kind + " on " + traffic->device;
  } else {
    status.sync.state = "running";
  }
  status.sync.ok = true;
  status.up = true;
  return status;
}

ActionResult LinuxFwDriver::Perform(const ActionRequest& request) {
  CommandPlan plan = PlanAction(request);
  if (plan.refused()) return ActionResult::Failure(plan.refusal);
  std::string printed;
  for (const PlannedCommand& command : plan.commands) {
    CommandResult result = transport_->Run(command.argv, command.timeout);
    printed += result.Printed();
    if (!result.Ok())
      return ActionResult::Failure(CommandFailure(command.what, *transport_, command.argv, result),
                                   printed);
  }
  return ActionResult::Success(printed);
}

std::vector<std::string> LinuxFwDriver::Describe(const ActionRequest& request) const {
  return DescribePlan(*transport_, PlanAction(request));
}

CommandPlan LinuxFwDriver::PlanAction(const ActionRequest& request) const {
  switch (request.action) {
    case Action::kSetPriority:
      return PlanSetPriority(request);
    case Action::kCommitSync:
      return Plan("commit_sync", {"conntrackd", "-C", settings_.conntrackd_config, "-c"});
    case Action::kResync:
      // -n asks the peer to send its whole internal cache again (FTFW/NOTRACK); it
      // refills this member's external cache. -R would only re-read our own kernel table.
      return Plan("resync", {"conntrackd", "-C", settings_.conntrackd_config, "-n"});
    case Action::kDisconnect:
      if (!settings_.cluster_command.empty()) return PlanClusterCommand(request.action);
      return PlanSetInterfaces("down");
    case Action::kConnect:
      if (!settings_.cluster_command.empty()) return PlanClusterCommand(request.action);
      return PlanSetInterfaces("up");
    case Action::kStartDrain:
    case Action::kStopDrain:
    case Action::kStartUpgradeMode:
    case Action::kStopUpgradeMode:
    case Action::kDisableAcceleration:
      return PlanClusterCommand(request.action);
    case Action::kUpgrade:
      return PlanUpgrade(request);
    case Action::kInstallPolicy:
      if (settings_.policy_command.empty())
        return CommandPlan::Refused(
            "install_policy: policy_command is empty for this member; set it to the command "
            "that loads the ruleset, e.g. 'nft -f /etc/nftables.conf'");
      return Plan("install_policy", {"sh", "-c", settings_.policy_command});
    case Action::kRun: {
      auto it = request.params.find("command");
      if (it == request.params.end() || Trim(it->second).empty())
        return CommandPlan::Refused(
            "run: needs parameter 'command' with the shell command to run on the member");
      return Plan("run", {"sh", "-c", it->second});
    }
    default:
      return CommandPlan::Refused("linux-fw does not perform '" +
                                  std::string(ActionName(request.action)) + "'");
  }
}

CommandPlan LinuxFwDriver::Plan(const std::string& what, std::vector<std::string> argv) const {
  return {{{what, std::move(argv), settings_.command_timeout}}, {}};
}

CommandPlan LinuxFwDriver::PlanSetPriority(const ActionRequest& request) const {
  auto it = request.params.find("priority");
  if (it == request.params.end())
    return CommandPlan::Refused(
        "set_priority: needs parameter 'priority', the offset keepalived adds to the "
        "instance's configured priority (e.g. -100 to demote, 0 to restore)");
  auto offset = ParsePriorityOffset(it->second);
  if (!offset)
    return CommandPlan::Refused("set_priority: priority '" + it->second +
                                "' is not a whole number between -254 and 254; give the "
                                "offset keepalived adds to the configured priority, e.g. "
                                "-100 to demote or 0 to restore");
  if (settings_.vrrp_track_file.empty())
    return CommandPlan::Refused(
        "set_priority: vrrp_track_file is empty for this member; set it to the file "
        "keepalived's track_file block watches");
  return Plan("set_priority", {"sh", "-c", "printf '%s\\n' \"$1\" > \"$2\"", "cutover-set-priority",
                               std::to_string(*offset), settings_.vrrp_track_file});
}

CommandPlan LinuxFwDriver::PlanSetInterfaces(const std::string& state) const {
  std::string what = state == "down" ? "disconnect" : "connect";
  if (settings_.interfaces.empty())
    return CommandPlan::Refused(
        what +
        ": no interfaces configured for this member; set 'interfaces' to the "
        "interfaces that carry traffic, e.g. [eth1, eth2]");
  // One round trip for all interfaces; every interface is tried even if one fails, so a
  // disconnect is never left half done silently.
  std::vector<std::string> argv = {"sh", "-c",
                                   "status=0; for dev in \"$@\"; do ip link set dev \"$dev\" " +
                                       state + " || status=1; done; exit $status",
                                   "cutover-" + what};
  argv.insert(argv.end(), settings_.interfaces.begin(), settings_.interfaces.end());
  return Plan(what, std::move(argv));
}

CommandPlan LinuxFwDriver::PlanClusterCommand(Action action) const {
  std::string what(ActionName(action));
  if (settings_.cluster_command.empty())
    return CommandPlan::Refused(
        what +
        ": cluster_command is not set for this member; set it to the site command that "
        "changes the member's cluster membership (called as `CMD " +
        what + "`, see plugins/linux_fw/README.md)");
  // Only the operator's own command is shell text; the action word arrives as "$1".
  return Plan(what,
              {"sh", "-c", settings_.cluster_command + " \"$1\"", "cutover-cluster-command", what});
}

CommandPlan LinuxFwDriver::PlanUpgrade(const ActionRequest& request) const {
  if (settings_.upgrade_command.empty())
    return CommandPlan::Refused(
        "upgrade: upgrade_command is empty for this member; set it to the command that "
        "installs the new software (the requested version arrives as \"$1\")");
  std::vector<std::string> argv = {"sh", "-c", settings_.upgrade_command, "cutover-upgrade"};
  auto it = request.params.find("version");
  if (it != request.params.end()) {
    if (!IsPlausibleVersion(it->second))
      return CommandPlan::Refused("upgrade: version '" + it->second +
                                  "' has characters no package version uses; allowed are "
                                  "letters, digits and . - + ~ : _");
    argv.push_back(it->second);
  }
  return Plan("upgrade", std::move(argv));
}

}  // namespace cutover
