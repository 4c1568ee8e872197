#include "plugins/linux_fw/linux_fw_parsers.h"

#include <cctype>
#include <charconv>
#include <utility>
#include <vector>

#include "common/strings.h"

namespace cutover {
namespace {

struct Count {
  std::string label;
  std::uint64_t value = 0;
};

std::string JoinWords(const std::vector<std::string_view>& words) {
  std::string joined;
  for (auto w : words) {
    if (!joined.empty()) joined.push_back(' ');
    joined += w;
  }
  return joined;
}

// "connections created:  6  failed:  0" -> {created: 6}, {failed: 0}.
// nullopt when a label is not followed by a whole number.
std::optional<std::vector<Count>> LabelThenCount(std::string_view line) {
  std::vector<Count> counts;
  std::vector<std::string_view> words;
  auto fields = SplitFields(line);
  for (std::size_t i = 0; i < fields.size(); ++i) {
    std::string_view field = fields[i];
    if (field.back() != ':') {
      words.push_back(field);
      continue;
    }
    field.remove_suffix(1);
    if (!field.empty()) words.push_back(field);
    if (i + 1 >= fields.size()) return std::nullopt;
    auto value = ParseUint(fields[++i]);
    if (!value) return std::nullopt;
    counts.push_back({JoinWords(words), *value});
    words.clear();
  }
  if (!words.empty()) return std::nullopt;
  return counts;
}

// "552 Bytes sent   64 Bytes recv" -> {Bytes sent: 552}, {Bytes recv: 64}.
std::optional<std::vector<Count>> CountThenLabel(std::string_view line) {
  std::vector<Count> counts;
  for (auto field : SplitFields(line)) {
    if (auto value = ParseUint(field)) {
      counts.push_back({"", *value});
    } else if (counts.empty()) {
      return std::nullopt;
    } else {
      std::string& label = counts.back().label;
      if (!label.empty()) label.push_back(' ');
      label += field;
    }
  }
  for (const auto& c : counts)
    if (c.label.empty()) return std::nullopt;
  return counts;
}

// "UDP traffic (active device=eth2):" -> kind "UDP", device "eth2".
std::optional<std::pair<std::string, std::string>> TrafficHeader(std::string_view header) {
  constexpr std::string_view kMarker = " traffic (active device=";
  std::size_t at = header.find(kMarker);
  if (at == std::string_view::npos || at == 0 || header.size() < at + kMarker.size() + 2 ||
      header.substr(header.size() - 2) != "):")
    return std::nullopt;
  std::string_view device = header.substr(at + kMarker.size());
  device.remove_suffix(2);
  return std::make_pair(std::string(header.substr(0, at)), std::string(device));
}

// Walks conntrackd's indented report: column-0 lines ending in ':' open a section,
// indented ones a subsection; every other non-empty line goes to `on_line`.
template <typename OnLine>
void WalkSections(std::string_view output, OnLine on_line) {
  std::string section, subsection;
  for (std::string_view line : SplitLines(output)) {
    std::string_view trimmed = Trim(line);
    if (trimmed.empty()) continue;
    if (trimmed.back() == ':') {
      bool indented = line.front() == ' ' || line.front() == '\t';
      if (indented) {
        subsection = std::string(trimmed.substr(0, trimmed.size() - 1));
      } else {
        section = std::string(trimmed);
        subsection.clear();
      }
      continue;
    }
    on_line(section, subsection, trimmed);
  }
}

// Collects one traffic block from its three "N label N label" lines.
class TrafficReader {
 public:
  void Open(std::string kind, std::string device) {
    traffic_ = ConntrackdSyncTraffic{};
    traffic_->kind = std::move(kind);
    traffic_->device = std::move(device);
    seen_ = 0;
  }
  bool Read(std::string_view line) {
    auto counts = CountThenLabel(line);
    if (!counts || counts->size() != 2) return false;
    const Count& a = (*counts)[0];
    const Count& b = (*counts)[1];
    if (a.label == "Bytes sent" && b.label == "Bytes recv") {
      traffic_->bytes_sent = a.value;
      traffic_->bytes_received = b.value;
    } else if (a.label == "Pckts sent" && b.label == "Pckts recv") {
      traffic_->packets_sent = a.value;
      traffic_->packets_received = b.value;
    } else if (a.label == "Error send" && b.label == "Error recv") {
      traffic_->send_errors = a.value;
      traffic_->receive_errors = b.value;
    } else {
      return false;
    }
    ++seen_;
    return true;
  }
  // False (with *error) when a block was opened but cut short.
  bool Finish(std::optional<ConntrackdSyncTraffic>* traffic, std::string* error) const {
    if (traffic_ && seen_ != 3) {
      *error = "the '" + traffic_->kind +
               " traffic' block is incomplete (expected Bytes, Pckts and Error lines)";
      return false;
    }
    *traffic = traffic_;
    return true;
  }
  bool open() const { return traffic_.has_value(); }

 private:
  std::optional<ConntrackdSyncTraffic> traffic_;
  int seen_ = 0;
};

bool ReadCacheLine(std::string_view line, ConntrackdCacheStats* cache, int* seen) {
  auto counts = LabelThenCount(line);
  if (!counts) return false;
  const auto& c = *counts;
  if (c.size() == 1 && c[0].label == "current active connections") {
    cache->active = c[0].value;
  } else if (c.size() == 2 && c[1].label == "failed" && c[0].label == "connections created") {
    cache->created = c[0].value;
    cache->created_failed = c[1].value;
  } else if (c.size() == 2 && c[1].label == "failed" && c[0].label == "connections updated") {
    cache->updated = c[0].value;
    cache->updated_failed = c[1].value;
  } else if (c.size() == 2 && c[1].label == "failed" && c[0].label == "connections destroyed") {
    cache->destroyed = c[0].value;
    cache->destroyed_failed = c[1].value;
  } else {
    return false;
  }
  ++*seen;
  return true;
}

}  // namespace

ParseResult<std::uint64_t> ParseConntrackCount(std::string_view output) {
  auto count = ParseUint(Trim(output));
  if (!count)
    return ParseResult<std::uint64_t>::Error("expected the number of conntrack entries, got " +
                                             QuoteCommandOutput(output));
  return *count;
}

ParseResult<ConntrackdStats> ParseConntrackdStats(std::string_view output) {
  using Result = ParseResult<ConntrackdStats>;
  ConntrackdStats stats;
  int internal_lines = 0, external_lines = 0;
  std::string bad_line;
  TrafficReader traffic;
  WalkSections(output, [&](const std::string& section, const std::string&, std::string_view line) {
    if (!bad_line.empty()) return;
    bool ok = true;
    if (section == "cache internal:") {
      ok = ReadCacheLine(line, &stats.internal, &internal_lines);
    } else if (section == "cache external:") {
      ok = ReadCacheLine(line, &stats.external, &external_lines);
    } else if (section == "traffic processed:") {
      auto counts = CountThenLabel(line);
      ok = counts && counts->size() == 2 && (*counts)[0].label == "Bytes" &&
           (*counts)[1].label == "Pckts";
      if (ok) {
        stats.processed_bytes = (*counts)[0].value;
        stats.processed_packets = (*counts)[1].value;
      }
    } else if (section == "message tracking:") {
      auto counts = CountThenLabel(line);
      ok = counts && counts->size() == 2 && (*counts)[0].label == "Malformed msgs" &&
           (*counts)[1].label == "Lost msgs";
      if (ok) {
        stats.malformed_messages = (*counts)[0].value;
        stats.lost_messages = (*counts)[1].value;
      }
    } else if (auto header = TrafficHeader(section)) {
      if (!traffic.open()) traffic.Open(header->first, header->second);
      ok = traffic.Read(line);
    }
    if (!ok) bad_line = std::string(line);
  });
  if (!bad_line.empty())
    return Result::Error("conntrackd statistics: unexpected line " + QuoteCommandOutput(bad_line));
  if (internal_lines != 4 || external_lines != 4) {
    std::string which = internal_lines != 4 ? "cache internal" : "cache external";
    return Result::Error("conntrackd statistics: the '" + which +
                         "' block is missing or incomplete (conntrackd not in sync mode, or "
                         "output cut short?); got " +
                         QuoteCommandOutput(output));
  }
  std::string traffic_error;
  if (!traffic.Finish(&stats.traffic, &traffic_error))
    return Result::Error("conntrackd statistics: " + traffic_error);
  return stats;
}

ParseResult<ConntrackdNetworkStats> ParseConntrackdNetworkStats(std::string_view output) {
  using Result = ParseResult<ConntrackdNetworkStats>;
  ConntrackdNetworkStats stats;
  bool received_malformed_seen = false, lost_seen = false;
  std::string bad_line;
  TrafficReader traffic;
  WalkSections(output, [&](const std::string& section, const std::string& subsection,
                           std::string_view line) {
    if (!bad_line.empty()) return;
    if (auto header = TrafficHeader(section)) {
      if (!traffic.open()) traffic.Open(header->first, header->second);
      if (!traffic.Read(line)) bad_line = std::string(line);
      return;
    }
    auto counts = LabelThenCount(line);
    if (section != "network statistics:" && section != "sequence tracking statistics:")
      return;  // a block this parser does not know: newer conntrackd, ignored
    if (!counts || counts->size() != 1) {
      bad_line = std::string(line);
      return;
    }
    const std::string& label = (*counts)[0].label;
    std::uint64_t value = (*counts)[0].value;
    if (section == "network statistics:" && subsection == "recv") {
      if (label == "Malformed messages") {
        stats.received_malformed = value;
        received_malformed_seen = true;
      } else if (label == "Wrong protocol version") {
        stats.wrong_protocol_version = value;
      } else if (label == "Malformed header") {
        stats.malformed_header = value;
      } else if (label == "Malformed payload") {
        stats.malformed_payload = value;
      } else if (label == "Bad message type") {
        stats.bad_message_type = value;
      } else if (label == "Truncated message") {
        stats.truncated_message = value;
      } else if (label == "Bad message size") {
        stats.bad_message_size = value;
      }
    } else if (section == "network statistics:" && subsection == "send") {
      if (label == "Malformed messages") stats.sent_malformed = value;
    } else if (section == "sequence tracking statistics:" && subsection == "recv") {
      if (label == "Packets lost") {
        stats.packets_lost = value;
        lost_seen = true;
      } else if (label == "Packets before") {
        stats.packets_before = value;
      }
    }
  });
  if (!bad_line.empty())
    return Result::Error("conntrackd network statistics: unexpected line " +
                         QuoteCommandOutput(bad_line));
  if (!received_malformed_seen || !lost_seen)
    return Result::Error(std::string("conntrackd network statistics: no '") +
                         (!received_malformed_seen ? "Malformed messages" : "Packets lost") +
                         "' figure (output cut short, or not `conntrackd -s network`?); got " +
                         QuoteCommandOutput(output));
  std::string traffic_error;
  if (!traffic.Finish(&stats.traffic, &traffic_error))
    return Result::Error("conntrackd network statistics: " + traffic_error);
  return stats;
}

ParseResult<KeepalivedState> ParseKeepalivedState(std::string_view contents) {
  using Result = ParseResult<KeepalivedState>;
  std::string_view last;
  for (std::string_view line : SplitLines(contents))
    if (!Trim(line).empty()) last = Trim(line);
  if (last.empty())
    return Result::Error(
        "the VRRP state file is empty: keepalived's notify script has not written a state "
        "yet");
  auto fields = SplitFields(last);
  KeepalivedState state;
  std::string_view word;
  if (fields.size() == 1) {
    word = fields[0];
  } else if (fields.size() == 4 && (fields[0] == "INSTANCE" || fields[0] == "GROUP")) {
    state.scope = std::string(fields[0]);
    state.name = std::string(fields[1]);
    word = fields[2];
    std::int64_t priority = 0;
    auto [ptr, ec] =
        std::from_chars(fields[3].data(), fields[3].data() + fields[3].size(), priority);
    if (ec != std::errc() || ptr != fields[3].data() + fields[3].size())
      return Result::Error("the VRRP state line " + QuoteCommandOutput(last) +
                           " ends in a priority that is not a whole number");
    state.priority = priority;
  } else {
    return Result::Error(
        "expected a keepalived state (MASTER, BACKUP, FAULT, STOP) or a "
        "notify line such as 'INSTANCE VI_1 MASTER 150', got " +
        QuoteCommandOutput(last));
  }
  // keepalived writes upper case; a hand-written state file may not.
  for (char c : word)
    state.state.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  static constexpr std::pair<std::string_view, std::string_view> kRoles[] = {
      {"MASTER", "active"}, {"BACKUP", "standby"},  {"FAULT", "fault"},
      {"STOP", "stopped"},  {"DELETED", "stopped"},
  };
  for (const auto& [keepalived_word, role] : kRoles) {
    if (state.state == keepalived_word) {
      state.role = std::string(role);
      return state;
    }
  }
  return Result::Error("unknown keepalived state " + QuoteCommandOutput(word) +
                       " (expected MASTER, BACKUP, FAULT, STOP or DELETED)");
}

ParseResult<ClusterStatus> ParseClusterStatus(std::string_view output) {
  using Result = ParseResult<ClusterStatus>;
  auto is_key = [](std::string_view key) {
    if (key.empty() || key.front() < 'a' || key.front() > 'z') return false;
    for (char c : key)
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
  };
  std::optional<std::string> role;
  std::optional<bool> accepting;
  for (std::string_view raw : SplitLines(output)) {
    std::string_view line = Trim(raw);
    if (line.empty()) continue;
    std::size_t eq = line.find('=');
    // A line like "vtysh: command not found" or "Error: x = y" is a broken command,
    // not a new key; reading past it could hide why the status is wrong.
    if (eq == std::string_view::npos || !is_key(line.substr(0, eq)))
      return Result::Error("expected key=value lines (role=..., accepting=...), got the line " +
                           QuoteCommandOutput(line));
    std::string_view key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "role") {
      if (role)
        return Result::Error("role is given twice (" + QuoteCommandOutput("role=" + *role) +
                             " and " + QuoteCommandOutput(line) + ")");
      if (value != "active" && value != "standby" && value != "ready" && value != "down")
        return Result::Error("unknown role in the line " + QuoteCommandOutput(line) +
                             " (expected active, standby, ready or down)");
      role = std::string(value);
    } else if (key == "accepting") {
      if (accepting)
        return Result::Error("accepting is given twice (second time in the line " +
                             QuoteCommandOutput(line) + ")");
      if (value != "0" && value != "1")
        return Result::Error("accepting must be 0 or 1, got the line " + QuoteCommandOutput(line));
      accepting = value == "1";
    }
  }
  if (!role || !accepting)
    return Result::Error(std::string("the status names no ") + (!role ? "role" : "accepting") +
                         " (expected role=<active|standby|ready|down> and accepting=<0|1>), "
                         "got " +
                         QuoteCommandOutput(output));
  return ClusterStatus{*role, *accepting};
}

ParseResult<NftCounter> ParseNftCounter(std::string_view output) {
  using Result = ParseResult<NftCounter>;
  std::optional<NftCounter> counter;
  bool totals_seen = false;
  int depth = 0;  // 0 outside, 1 in the table block, 2 in the counter block
  for (std::string_view raw : SplitLines(output)) {
    std::string_view line = Trim(raw);
    if (line.empty()) continue;
    auto fields = SplitFields(line);
    if (line == "}" && depth > 0) {
      --depth;
    } else if (depth == 0 && fields.size() == 4 && fields[0] == "table" && fields[3] == "{") {
      depth = 1;
    } else if (depth == 1 && fields.size() == 3 && fields[0] == "counter" && fields[2] == "{") {
      if (counter)
        return Result::Error("expected one nftables counter, got a second one in the line " +
                             QuoteCommandOutput(line));
      counter = NftCounter{std::string(fields[1]), 0, 0};
      depth = 2;
    } else if (depth == 2 && fields[0] == "packets") {
      auto packets = fields.size() == 4 ? ParseUint(fields[1]) : std::nullopt;
      auto bytes = fields.size() == 4 && fields[2] == "bytes" ? ParseUint(fields[3]) : std::nullopt;
      if (!packets || !bytes || totals_seen)
        return Result::Error("expected one 'packets N bytes N' line in counter '" + counter->name +
                             "', got the line " + QuoteCommandOutput(line));
      counter->packets = *packets;
      counter->bytes = *bytes;
      totals_seen = true;
    } else if (depth != 2) {
      // Inside the counter block, other lines (a comment) carry no figure; outside it,
      // a line means this is not what `nft list counter` prints.
      return Result::Error(
          "expected `nft list counter` output (table ... { counter NAME { packets N bytes N "
          "} }), got the line " +
          QuoteCommandOutput(line));
    }
  }
  const char* missing = !counter       ? "a 'counter NAME {' block"
                        : !totals_seen ? "a 'packets N bytes N' line"
                        : depth != 0   ? "the closing braces"
                                       : nullptr;
  if (missing)
    return Result::Error(std::string("expected `nft list counter` output with ") + missing +
                         " (output cut short?), got " + QuoteCommandOutput(output));
  return *counter;
}

}  // namespace cutover
