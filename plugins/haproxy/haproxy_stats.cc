#include "plugins/haproxy/haproxy_stats.h"

#include <deque>

#include "common/strings.h"

namespace cutover {
namespace {

// Splits one CSV record into views. HAProxy quotes a field holding a comma or a quote
// and doubles inner quotes; such a field is unescaped into `unquoted` (a deque, so the
// strings never move) and its view points there. False on a malformed quote. A
// `show stat` of 1,000 servers has 150,000 fields: the common unquoted line costs no
// allocation once `fields` has grown.
bool SplitCsvRecord(std::string_view line, std::vector<std::string_view>* fields,
                    std::deque<std::string>* unquoted) {
  fields->clear();
  if (line.find('"') == std::string_view::npos) {
    // A plain loop: fields are a few bytes long, too short for memchr to pay off.
    std::size_t start = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (line[i] != ',') continue;
      fields->push_back(line.substr(start, i - start));
      start = i + 1;
    }
    fields->push_back(line.substr(start));
    return true;
  }
  unquoted->clear();
  std::size_t i = 0;
  while (true) {
    if (i < line.size() && line[i] == '"') {
      std::string& field = unquoted->emplace_back();
      ++i;
      while (true) {
        if (i >= line.size()) return false;
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field.push_back(line[i++]);
      }
      if (i < line.size() && line[i] != ',') return false;
      fields->push_back(field);
    } else {
      std::size_t end = line.find(',', i);
      if (end == std::string_view::npos) end = line.size();
      fields->push_back(line.substr(i, end - i));
      i = end;
    }
    if (i >= line.size()) return true;
    ++i;  // the comma
  }
}

std::optional<std::size_t> ColumnIndex(const std::vector<std::string_view>& header,
                                       std::string_view name) {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return i;
  return std::nullopt;
}

}  // namespace

const HaproxyServerStat* HaproxyStatTable::Find(const std::string& backend,
                                                const std::string& server) const {
  auto it = servers.find(backend + "/" + server);
  return it == servers.end() ? nullptr : &it->second;
}

HaproxyStatParse ParseShowStat(std::string_view csv) {
  HaproxyStatParse result;
  std::vector<std::string_view> lines = SplitLines(csv);
  std::size_t first = 0;
  while (first < lines.size() && Trim(lines[first]).empty()) ++first;
  if (first == lines.size()) {
    result.error = "show stat: empty output";
    return result;
  }
  std::string_view header_line = lines[first];
  if (!StartsWith(header_line, "# ")) {
    result.error = "show stat: line " + std::to_string(first + 1) +
                   " should be the CSV header '# pxname,svname,...' but reads '" +
                   std::string(header_line.substr(0, 80)) + "'";
    return result;
  }
  header_line.remove_prefix(2);
  std::vector<std::string_view> header;
  std::deque<std::string> header_unquoted;
  if (!SplitCsvRecord(header_line, &header, &header_unquoted)) {
    result.error = "show stat: the CSV header has an unterminated quote";
    return result;
  }

  struct Required {
    const char* name;
    std::size_t index = 0;
  } pxname{"pxname"}, svname{"svname"}, scur{"scur"}, status{"status"}, bck{"bck"};
  for (Required* column : {&pxname, &svname, &scur, &status, &bck}) {
    auto index = ColumnIndex(header, column->name);
    if (!index) {
      result.error = std::string("show stat: the header has no '") + column->name +
                     "' column; this HAProxy's CSV layout is not supported";
      return result;
    }
    column->index = *index;
  }
  // Optional columns: they only feed the digest (an absent one counts as empty).
  const auto type = ColumnIndex(header, "type");
  const std::optional<std::size_t> digest_columns[] = {pxname.index,
                                                       svname.index,
                                                       ColumnIndex(header, "addr"),
                                                       ColumnIndex(header, "cookie"),
                                                       ColumnIndex(header, "mode"),
                                                       bck.index,
                                                       ColumnIndex(header, "sid")};

  HaproxyStatTable table;
  table.columns = header.size();
  std::vector<std::string_view> fields;
  std::deque<std::string> unquoted;
  std::string key, digest_input;
  for (std::size_t n = first + 1; n < lines.size(); ++n) {
    std::string_view line = lines[n];
    if (Trim(line).empty()) continue;
    auto where = [n] { return "show stat: line " + std::to_string(n + 1); };
    if (!SplitCsvRecord(line, &fields, &unquoted)) {
      result.error = where() + " has an unterminated quote; the output looks cut short";
      return result;
    }
    if (fields.size() != header.size()) {
      result.error = where() + " has " + std::to_string(fields.size()) +
                     " fields where the header has " + std::to_string(header.size()) +
                     "; the output looks cut short";
      return result;
    }
    // type 2 is a server; without the column, frontends and backends are told by name.
    bool is_server = type ? fields[*type] == "2"
                          : fields[svname.index] != "FRONTEND" && fields[svname.index] != "BACKEND";
    if (!is_server) continue;
    key.assign(fields[pxname.index]).append("/").append(fields[svname.index]);
    auto sessions = ParseUint(fields[scur.index]);
    if (!sessions) {
      result.error = where() + " (" + key + "): scur '" + std::string(fields[scur.index]) +
                     "' is not a number";
      return result;
    }
    if (fields[bck.index] != "0" && fields[bck.index] != "1") {
      result.error = where() + " (" + key + "): bck '" + std::string(fields[bck.index]) +
                     "' is neither 0 nor 1";
      return result;
    }
    HaproxyServerStat stat;
    stat.status = std::string(fields[status.index]);
    stat.backup = fields[bck.index] == "1";
    stat.current_sessions = *sessions;
    digest_input.clear();
    for (const auto& column : digest_columns) {
      if (column) digest_input += fields[*column];
      digest_input.push_back('\x1f');
    }
    stat.config_digest = Fnv1aHex(digest_input);
    table.servers[key] = std::move(stat);
  }
  result.table = std::move(table);
  return result;
}

HaproxyInfoParse ParseShowInfo(std::string_view text) {
  HaproxyInfoParse result;
  HaproxyInfo info;
  for (std::string_view line : SplitLines(text)) {
    if (Trim(line).empty()) continue;
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      result.error =
          "show info: line '" + std::string(line.substr(0, 80)) + "' is not 'Name: value'";
      return result;
    }
    info.fields[std::string(Trim(line.substr(0, colon)))] =
        std::string(Trim(line.substr(colon + 1)));
  }
  auto version = info.fields.find("Version");
  if (version == info.fields.end() || version->second.empty()) {
    result.error = "show info: no 'Version:' line";
    return result;
  }
  info.version = version->second;
  result.info = std::move(info);
  return result;
}

std::optional<std::vector<std::string_view>> SplitCommandOutputs(std::string_view reply) {
  std::vector<std::string_view> outputs;
  std::size_t start = 0;
  while (start < reply.size()) {
    // An output is either empty ("\n") or text ending in "\n\n".
    if (reply[start] == '\n') {
      outputs.push_back(reply.substr(start, 0));
      start += 1;
      continue;
    }
    std::size_t end = reply.find("\n\n", start);
    if (end == std::string_view::npos) return std::nullopt;
    outputs.push_back(reply.substr(start, end + 1 - start));
    start = end + 2;
  }
  if (outputs.empty()) return std::nullopt;
  return outputs;
}

HaproxyServerState ServerStateFromStatus(std::string_view status, bool backup) {
  auto is = [status](std::string_view word) {
    return status == word || StartsWith(status, std::string(word) + " ");
  };
  if (is("UP") || status == "no check") return {backup ? "backup" : "active", true};
  if (is("DRAIN")) return {"draining", false};
  if (is("MAINT")) return {"maintenance", false};
  return {"down", false};
}

}  // namespace cutover
