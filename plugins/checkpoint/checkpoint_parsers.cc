#include "plugins/checkpoint/checkpoint_parsers.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include "common/strings.h"

namespace cutover {
namespace {

std::string Quoted(std::string_view text) {
  constexpr std::size_t kMax = 80;
  std::string shown(text.substr(0, kMax));
  if (text.size() > kMax) shown += "...";
  return "'" + shown + "'";
}

// What the command printed instead of what we looked for, for error messages.
std::string FirstLineOf(std::string_view output) {
  for (std::string_view line : SplitLines(output)) {
    if (!Trim(line).empty()) return "it printed " + Quoted(Trim(line));
  }
  return "it printed nothing";
}

std::string Join(const std::vector<std::string_view>& words, std::size_t begin, std::size_t end) {
  std::string joined;
  for (std::size_t i = begin; i < end; ++i) {
    if (!joined.empty()) joined += ' ';
    joined += words[i];
  }
  return joined;
}

std::optional<double> ParsePercent(std::string_view text) {
  if (text.size() < 2 || text.back() != '%') return std::nullopt;
  std::string_view number = text.substr(0, text.size() - 1);
  if (number.find_first_not_of("0123456789.") != std::string_view::npos) return std::nullopt;
  std::optional<double> value = ParseDouble(number);
  if (!value || !std::isfinite(*value) || *value > 100) return std::nullopt;
  return value;
}

bool IsMemberTableHeader(const std::vector<std::string_view>& fields) {
  if (fields.empty() || (fields[0] != "ID" && fields[0] != "Number")) return false;
  for (std::string_view field : fields)
    if (field == "State") return true;
  return false;
}

ParseResult<ClusterMember> ParseMemberRow(std::string_view line, bool has_name_column) {
  std::vector<std::string_view> fields = SplitFields(line);
  auto fail = [&](const std::string& what) {
    return ParseResult<ClusterMember>::Error("cphaprob state: member row " + Quoted(line) + ": " +
                                             what);
  };
  ClusterMember member;
  std::optional<std::uint64_t> id = ParseUint(fields[0]);
  if (!id || *id > 1000) return fail("expected the member ID first");
  member.id = static_cast<int>(*id);
  std::size_t next = 1;
  if (next < fields.size() && fields[next] == "(local)") {
    member.local = true;
    ++next;
  }
  // Address, load and at least one word of state.
  if (fields.size() < next + 3) return fail("expected address, assigned load and state");
  member.address = std::string(fields[next]);
  std::optional<double> load = ParsePercent(fields[next + 1]);
  if (!load) return fail("assigned load " + Quoted(fields[next + 1]) + " is not a percentage");
  member.load_percent = *load;
  std::size_t state_begin = next + 2;
  std::size_t state_end = fields.size();
  if (has_name_column && fields.size() > state_begin + 1) {
    member.name = std::string(fields.back());
    --state_end;
  }
  member.state = Join(fields, state_begin, state_end);
  return member;
}

std::vector<std::string> ParsePnotes(std::string_view text) {
  std::vector<std::string> pnotes;
  if (ToLower(Trim(text)) == "none") return pnotes;
  for (std::string_view part : Split(text, ',')) {
    for (std::string_view word : SplitFields(part)) pnotes.emplace_back(word);
  }
  return pnotes;
}

// "Lost updates................................. 0" -> {"Lost updates", "0"}.
std::optional<std::pair<std::string, std::string>> DottedPair(std::string_view line) {
  std::size_t dots = line.find("..");
  if (dots == std::string_view::npos) return std::nullopt;
  std::size_t value_begin = line.find_first_not_of('.', dots);
  std::string_view value =
      value_begin == std::string_view::npos ? std::string_view() : line.substr(value_begin);
  return std::make_pair(std::string(Trim(line.substr(0, dots))), std::string(Trim(value)));
}

}  // namespace

ParseResult<CphaprobState> ParseCphaprobState(std::string_view output) {
  using Result = ParseResult<CphaprobState>;
  CphaprobState state;
  bool header_seen = false;
  bool in_table = false;
  bool has_name_column = false;
  for (std::string_view raw : SplitLines(output)) {
    std::string_view line = Trim(raw);
    std::vector<std::string_view> fields = SplitFields(line);
    if (in_table) {
      if (line.empty()) {
        // Blank lines (empty or one space) separate the header from the rows.
        if (!state.members.empty()) in_table = false;
        continue;
      }
      // A line that is not a member row ends a table that already has rows.
      if (!state.members.empty() && !ParseUint(fields[0])) {
        in_table = false;
      } else {
        ParseResult<ClusterMember> member = ParseMemberRow(line, has_name_column);
        if (!member.ok()) return Result::Error(member.error());
        state.members.push_back(member.value());
        continue;
      }
    }
    if (StartsWith(line, "Cluster Mode:")) {
      state.cluster_mode = std::string(Trim(line.substr(std::string_view("Cluster Mode:").size())));
    } else if (StartsWith(line, "Active PNOTEs:")) {
      state.pnotes_reported = true;
      state.active_pnotes = ParsePnotes(line.substr(std::string_view("Active PNOTEs:").size()));
    } else if (!header_seen && IsMemberTableHeader(fields)) {
      header_seen = in_table = true;
      has_name_column = fields.back() == "Name";
    }
  }
  if (!header_seen)
    return Result::Error("cphaprob state: no member table (header starting with ID or Number); " +
                         FirstLineOf(output));
  if (state.members.empty()) return Result::Error("cphaprob state: the member table is empty");
  int locals = 0;
  for (std::size_t i = 0; i < state.members.size(); ++i) {
    if (state.members[i].local) {
      state.local_index = i;
      ++locals;
    }
  }
  if (locals != 1)
    return Result::Error("cphaprob state: " + std::to_string(locals) +
                         " member rows are marked (local), expected exactly one");
  return state;
}

std::string CheckpointRole(std::string_view state) {
  std::string s = ToLower(Trim(state));
  if (s == "active") return "active";
  if (StartsWith(s, "active")) {
    std::string_view rest = Trim(std::string_view(s).substr(6));
    if (rest.find('!') != std::string_view::npos || rest == "attention") return "active_attention";
    return "unknown";
  }
  if (s == "standby") return "standby";
  if (s == "ready") return "ready";
  if (s == "down") return "down";
  if (s == "init" || s == "initializing" || s == "initialising") return "initializing";
  if (s == "lost") return "lost";
  return "unknown";
}

ParseResult<CphaprobSyncstat> ParseCphaprobSyncstat(std::string_view output) {
  using Result = ParseResult<CphaprobSyncstat>;
  CphaprobSyncstat sync;
  bool status_seen = false;
  std::map<std::string, std::string> values;
  for (std::string_view raw : SplitLines(output)) {
    std::string_view line = Trim(raw);
    if (StartsWith(line, "Sync status:")) {
      sync.status = std::string(Trim(line.substr(std::string_view("Sync status:").size())));
      status_seen = true;
      continue;
    }
    if (auto pair = DottedPair(line)) values.insert(*pair);
  }
  if (!status_seen)
    return Result::Error("cphaprob syncstat: no 'Sync status:' line; " + FirstLineOf(output));
  if (sync.status.empty()) return Result::Error("cphaprob syncstat: 'Sync status:' is empty");
  sync.ok = ToLower(sync.status) == "ok";
  std::string lower = ToLower(sync.status);
  if (StartsWith(lower, "off")) {
    std::string_view rest = Trim(std::string_view(sync.status).substr(3));
    if (StartsWith(rest, "-")) sync.off_reason = std::string(Trim(rest.substr(1)));
  }

  std::string error;
  auto number = [&](const std::string& key, std::uint64_t* out) {
    auto it = values.find(key);
    if (it == values.end()) {
      if (error.empty()) error = "cphaprob syncstat: no '" + key + "' line";
      return;
    }
    std::optional<std::uint64_t> value = ParseUint(it->second);
    if (!value) {
      if (error.empty())
        error = "cphaprob syncstat: '" + key + "' is " + Quoted(it->second) +
                ", expected a whole number";
      return;
    }
    *out = *value;
  };
  auto optional_number = [&](const std::string& key, std::optional<std::uint64_t>* out) {
    if (values.count(key) == 0) return;
    std::uint64_t value = 0;
    number(key, &value);
    *out = value;
  };
  number("Lost updates", &sync.lost_updates);
  number("Lost bulk update events", &sync.lost_bulk_update_events);
  number("Total generated sync messages", &sync.sent_messages);
  number("Sent retransmission requests", &sync.sent_retransmission_requests);
  number("Sent retransmission updates", &sync.sent_retransmission_updates);
  number("Total received updates", &sync.received_updates);
  number("Received retransmission requests", &sync.received_retransmission_requests);
  optional_number("Sending queue size", &sync.sending_queue_size);
  optional_number("Receiving queue size", &sync.receiving_queue_size);
  optional_number("Fragments queue size", &sync.fragments_queue_size);
  if (!error.empty()) return Result::Error(error);
  return sync;
}

ParseResult<FwCtlPstatSync> ParseFwCtlPstatSync(std::string_view output) {
  using Result = ParseResult<FwCtlPstatSync>;
  FwCtlPstatSync sync;
  std::vector<std::string_view> lines = SplitLines(output);
  std::size_t start = 0;
  while (start < lines.size() && !StartsWith(Trim(lines[start]), "Sync:")) ++start;
  if (start == lines.size())
    return Result::Error("fw ctl pstat: no 'Sync:' section; " + FirstLineOf(output));
  std::string_view after = Trim(Trim(lines[start]).substr(std::string_view("Sync:").size()));
  if (ToLower(after) == "off") {
    sync.off = true;
    sync.status = "off";
    return sync;
  }
  if (!after.empty())
    return Result::Error("fw ctl pstat: unexpected 'Sync:' line " + Quoted(Trim(lines[start])) +
                         " (expected 'Sync:' or 'Sync: off')");

  // Keys are qualified by the block they appear in: "sent:total", "received:retrans reqs".
  std::map<std::string, std::string> values;
  std::string block;
  for (std::size_t i = start + 1; i < lines.size(); ++i) {
    std::string_view line = Trim(lines[i]);
    if (line == "Sync packets sent:") {
      block = "sent:";
      continue;
    }
    if (line == "Sync packets received:") {
      block = "received:";
      continue;
    }
    for (std::string_view part : Split(line, ',')) {
      std::size_t colon = part.find(':');
      if (colon == std::string_view::npos) continue;
      std::string key = std::string(Trim(part.substr(0, colon)));
      values.emplace(key == "Status" || key == "Version" ? key : block + key,
                     std::string(Trim(part.substr(colon + 1))));
    }
  }
  auto status = values.find("Status");
  if (status == values.end() || status->second.empty())
    return Result::Error("fw ctl pstat: the Sync section has no 'Status:' line");
  sync.status = status->second;
  sync.ok = ToLower(sync.status) == "able to send/receive sync packets";

  std::string error;
  auto number = [&](const std::string& key, const std::string& shown, std::uint64_t* out) {
    if (!error.empty()) return;
    auto it = values.find(key);
    if (it == values.end()) {
      error = "fw ctl pstat: the Sync section has no '" + shown + "' figure";
      return;
    }
    std::optional<std::uint64_t> value = ParseUint(it->second);
    if (!value) {
      error = "fw ctl pstat: Sync '" + shown + "' is " + Quoted(it->second) +
              ", expected a whole number";
      return;
    }
    *out = *value;
  };
  number("sent:total", "Sync packets sent: total", &sync.sent_total);
  number("sent:retransmitted", "Sync packets sent: retransmitted", &sync.sent_retransmitted);
  number("sent:retrans reqs", "Sync packets sent: retrans reqs",
         &sync.sent_retransmission_requests);
  number("received:total", "Sync packets received: total", &sync.received_total);
  number("received:dropped by net", "Sync packets received: dropped by net",
         &sync.received_dropped_by_net);
  number("received:retrans reqs", "Sync packets received: retrans reqs",
         &sync.received_retransmission_requests);
  number("received:dropped updates as a result of sync overload",
         "dropped updates as a result of sync overload", &sync.dropped_updates_sync_overload);
  if (!error.empty()) return Result::Error(error);
  return sync;
}

ParseResult<FwTabConnections> ParseFwTabConnections(std::string_view output) {
  using Result = ParseResult<FwTabConnections>;
  std::optional<std::size_t> name_col, vals_col, peak_col;
  std::optional<FwTabConnections> found;
  for (std::string_view raw : SplitLines(output)) {
    std::vector<std::string_view> fields = SplitFields(raw);
    if (fields.empty()) continue;
    if (fields[0] == "HOST") {
      name_col = vals_col = peak_col = std::nullopt;
      for (std::size_t i = 0; i < fields.size(); ++i) {
        if (fields[i] == "NAME") name_col = i;
        if (fields[i] == "#VALS") vals_col = i;
        if (fields[i] == "#PEAK") peak_col = i;
      }
      if (!name_col || !vals_col || !peak_col)
        return Result::Error("fw tab -s: header " + Quoted(Trim(raw)) +
                             " lacks NAME, #VALS or #PEAK");
      continue;
    }
    if (!name_col) continue;
    if (fields.size() <= *name_col || fields[*name_col] != "connections") continue;
    if (found) return Result::Error("fw tab -s: table 'connections' is listed twice");
    if (fields.size() <= std::max(*vals_col, *peak_col))
      return Result::Error("fw tab -s: row " + Quoted(Trim(raw)) + " has too few columns");
    std::optional<std::uint64_t> vals = ParseUint(fields[*vals_col]);
    std::optional<std::uint64_t> peak = ParseUint(fields[*peak_col]);
    if (!vals || !peak)
      return Result::Error("fw tab -s: row " + Quoted(Trim(raw)) +
                           ": #VALS and #PEAK must be whole numbers");
    found = FwTabConnections{*vals, *peak};
  }
  if (!name_col)
    return Result::Error("fw tab -s: no header line (HOST NAME ID #VALS #PEAK ...); " +
                         FirstLineOf(output));
  if (!found) return Result::Error("fw tab -s: no row for table 'connections'");
  return *found;
}

ParseResult<FwVer> ParseFwVer(std::string_view output) {
  using Result = ParseResult<FwVer>;
  constexpr std::string_view kBuild = " - Build ";
  for (std::string_view raw : SplitLines(output)) {
    std::size_t at = raw.find(kBuild);
    if (at == std::string_view::npos) continue;
    std::vector<std::string_view> before = SplitFields(raw.substr(0, at));
    std::vector<std::string_view> after = SplitFields(raw.substr(at + kBuild.size()));
    if (before.empty() || after.empty()) break;
    std::string_view version = before.back();
    if (version.size() < 2 || version[0] != 'R' ||
        !std::isdigit(static_cast<unsigned char>(version[1])))
      return Result::Error("fw ver: version " + Quoted(version) + " is not like R81.10");
    if (!ParseUint(after[0]))
      return Result::Error("fw ver: build " + Quoted(after[0]) + " is not a number");
    return FwVer{std::string(version), std::string(after[0])};
  }
  return Result::Error("fw ver: no '<version> - Build <n>' line; " + FirstLineOf(output));
}

}  // namespace cutover
