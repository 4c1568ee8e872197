#include "plugins/linux_fw/linux_fw_driver.h"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <map>
#include <stdexcept>

#include "common/strings.h"
#include "plugins/linux_fw/linux_fw_parsers.h"
#include "plugins/transport/probe_script.h"

namespace cutover {
namespace {

constexpr char kConntrackCount[] = "conntrack_count";
constexpr char kConntrackdStats[] = "conntrackd_stats";
constexpr char kConntrackdNetwork[] = "conntrackd_network";
constexpr char kVrrpState[] = "vrrp_state";
constexpr char kRoleFile[] = "role_file";
// Named after their settings, so an error about the section names the setting too.
constexpr char kForwardedCounter[] = "forwarded_counter";
constexpr char kInvalidCounter[] = "invalid_counter";
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

// An nftables counter setting, `FAMILY TABLE NAME`. Only a known family and identifiers
// nft reads unquoted are accepted, so the words need no quoting in the probe script and
// read the same in an error message as on the member's command line.
bool IsNftCounterReference(const std::string& setting) {
  auto words = SplitFields(setting);
  if (words.size() != 3) return false;
  static constexpr std::string_view kFamilies[] = {"ip", "ip6", "inet", "arp", "bridge", "netdev"};
  if (std::find(std::begin(kFamilies), std::end(kFamilies), words[0]) == std::end(kFamilies))
    return false;
  for (std::string_view word : {words[1], words[2]}) {
    if (word.size() > 64 ||
        !(std::isalpha(static_cast<unsigned char>(word.front())) || word.front() == '_'))
      return false;
    for (char c : word)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'))
        return false;
  }
  return true;
}

std::string NftListCounter(const std::string& setting) {
  std::vector<std::string> argv = {"nft", "list", "counter"};
  for (std::string_view word : SplitFields(setting)) argv.emplace_back(word);
  return ShellLine(argv);
}

}  // namespace

std::optional<std::string> ValidateLinuxFwSettings(const LinuxFwSettings& s) {
  for (auto [key, value] : {std::pair{"forwarded_counter", &s.forwarded_counter},
                            std::pair{"invalid_counter", &s.invalid_counter}}) {
    if (value->empty() || IsNftCounterReference(*value)) continue;
    return std::string(key) + " '" + *value +
           "' does not name an nftables counter; write FAMILY TABLE NAME, e.g. 'inet "
           "co_firewall " +
           (std::string_view(key) == "forwarded_counter" ? "forwarded" : "invalid") +
           "' (family ip, ip6, inet, arp, bridge or netdev; table and counter names of "
           "letters, digits and _ . -, starting with a letter or _), or leave it empty to "
           "read no counter";
  }
  if (!s.role_file.empty() && !s.cluster_command.empty())
    return "role_file and cluster_command are both set: with cluster_command the site "
           "command reports the role; remove role_file";
  return std::nullopt;
}

LinuxFwDriver::LinuxFwDriver(LinuxFwSettings settings, std::unique_ptr<CommandTransport> transport)
    : settings_(std::move(settings)), transport_(std::move(transport)) {
  if (auto problem = ValidateLinuxFwSettings(settings_)) throw std::invalid_argument(*problem);
}

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
  // In a pair the routers select, keepalived does not run: the role is the one set_role
  // recorded.
  const bool role_from_file = !site_membership && !settings_.role_file.empty();
  const char* role_section = role_from_file ? kRoleFile : kVrrpState;
  if (site_membership)
    sections.push_back({kClusterStatus, settings_.cluster_command + " status"});
  else if (role_from_file)
    sections.push_back({kRoleFile, "cat -- \"$ROLE_FILE\""});
  else
    sections.push_back({kVrrpState, "cat -- \"$VRRP_STATE_FILE\""});
  // An empty command switches the figure off (documented as optional).
  if (!settings_.version_command.empty()) sections.push_back({kVersion, settings_.version_command});
  if (!settings_.config_digest_command.empty())
    sections.push_back({kConfigDigest, settings_.config_digest_command});
  if (!settings_.forwarded_counter.empty())
    sections.push_back({kForwardedCounter, NftListCounter(settings_.forwarded_counter)});
  if (!settings_.invalid_counter.empty())
    sections.push_back({kInvalidCounter, NftListCounter(settings_.invalid_counter)});
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
  commands[kRoleFile] = "cat " + ShellQuote(settings_.role_file);
  std::string script =
      BuildProbeScript(sections, {{"CONNTRACKD_CONFIG", settings_.conntrackd_config},
                                  {"VRRP_STATE_FILE", settings_.vrrp_state_file},
                                  {"VRRP_TRACK_FILE", settings_.vrrp_track_file},
                                  {"ROLE_FILE", settings_.role_file}});

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
    const SectionOutput& state = out.at(role_section);
    if (state.exit_status != 0)
      return MemberStatus::Down(
          failed(role_section) +
          (role_from_file ? "; set_role writes this file (role_file): write MASTER or BACKUP "
                            "into it once when setting the pair up (see "
                            "plugins/linux_fw/README.md)"
                          : "; keepalived's notify script writes this file (see "
                            "plugins/linux_fw/README.md)"));
    if (role_from_file && Trim(state.output).empty())
      return MemberStatus::Down(unparseable(
          kRoleFile, "the role file is empty; set_role writes MASTER or BACKUP into it"));
    auto vrrp = ParseKeepalivedState(state.output);
    if (!vrrp.ok()) return MemberStatus::Down(unparseable(role_section, vrrp.error()));
    status.role = vrrp.value().role;
    // In a VRRP pair the master holds the virtual addresses, so only it is offered new
    // connections; a backup, faulted or stopped instance receives none. In a pair the
    // routers select, the plan makes the member the routers prefer active.
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

  // A configured counter that cannot be read takes the member down: a gate asking whether
  // traffic moved or sessions broke then finds no figure and fails closed, rather than
  // reading a missing counter as "nothing happened".
  auto read_counter = [&](const char* name) -> ParseResult<NftCounter> {
    if (out.at(name).exit_status != 0)
      return ParseResult<NftCounter>::Error(failed(name) +
                                            "; the ruleset must define the counter " + name +
                                            " names (see plugins/linux_fw/README.md)");
    auto counter = ParseNftCounter(out.at(name).output);
    if (!counter.ok()) return ParseResult<NftCounter>::Error(unparseable(name, counter.error()));
    return counter;
  };
  if (out.count(kForwardedCounter)) {
    auto forwarded = read_counter(kForwardedCounter);
    if (!forwarded.ok()) return MemberStatus::Down(forwarded.error());
    status.forwarded_packets = static_cast<double>(forwarded.value().packets);
    status.forwarded_bytes = static_cast<double>(forwarded.value().bytes);
  }
  if (out.count(kInvalidCounter)) {
    auto invalid = read_counter(kInvalidCounter);
    if (!invalid.ok()) return MemberStatus::Down(invalid.error());
    status.invalid_state_drops = static_cast<double>(invalid.value().packets);
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
    case Action::kSetRole:
      return PlanSetRole(request);
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

CommandPlan LinuxFwDriver::PlanSetRole(const ActionRequest& request) const {
  auto it = request.params.find("role");
  if (it == request.params.end() || (it->second != "active" && it->second != "standby"))
    return CommandPlan::Refused(
        "set_role: needs parameter 'role' set to active or standby" +
        (it == request.params.end() ? std::string() : ", not '" + it->second + "'"));
  if (settings_.role_file.empty())
    return CommandPlan::Refused(
        "set_role: role_file is not set for this member; set it to the file the probe reads "
        "the role from in a pair without keepalived (e.g. one the routers select by BGP). "
        "With keepalived, vrrp_state_file is keepalived's own: move the role with "
        "set_priority");
  // The probe may read the file at any moment, so the word is written beside it and
  // renamed over it: the probe sees the old word or the new one, never half a file.
  // Writing the word the file already holds changes nothing, so a repeated delivery of
  // the same step is harmless.
  return Plan("set_role", {"sh", "-c",
                           "tmp=\"$2.cutover-tmp.$$\" && printf '%s\\n' \"$1\" > \"$tmp\" && "
                           "mv -f -- \"$tmp\" \"$2\" || { rm -f -- \"$tmp\"; exit 1; }",
                           "cutover-set-role", it->second == "active" ? "MASTER" : "BACKUP",
                           settings_.role_file});
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
