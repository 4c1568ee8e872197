// A driver probes one member and performs actions on it.
//
// A Driver instance belongs to one member and is used by one thread at a time: callers
// (exporter, action engine) serialise Probe and Perform per member. Describe is the
// exception: it reads only the driver's settings, so it may run beside Probe or Perform.
// Drivers must bound every wait by the deadline or their transport's timeouts; a call
// never blocks forever.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "plugins/core/action.h"
#include "plugins/core/member_status.h"

namespace cutover {

struct ProbeContext {
  // The probe must return by then; the caller reports the member down if it does not.
  std::chrono::steady_clock::time_point deadline;
  // When the current round of probes (one scrape) began. Drivers that read many members
  // from one source (HAProxy's `show stat`) may reuse a reading taken after this instant.
  std::chrono::steady_clock::time_point round_start;
};

struct ActionRequest {
  Action action;
  // Named parameters, e.g. {"priority": "50"} or {"version": "2.1"}. Values may come from
  // outside (plans, alerts): drivers pass them as separate arguments, never into a shell
  // command line unquoted.
  std::map<std::string, std::string> params;
};

struct ActionResult {
  bool ok = false;
  std::string output;  // what the platform printed, for the journal
  std::string error;   // why it failed, naming the thing and the fix where known

  static ActionResult Success(std::string output) { return {true, std::move(output), {}}; }
  static ActionResult Failure(std::string error, std::string output = {}) {
    return {false, std::move(output), std::move(error)};
  }
};

class Driver {
 public:
  virtual ~Driver() = default;
  virtual MemberStatus Probe(const ProbeContext& context) = 0;
  // Called only with actions the descriptor declares; others are refused before.
  virtual ActionResult Perform(const ActionRequest& request) = 0;
  // What Perform(request) would do, without doing it or touching the member: one line per
  // command or request, in order, as the platform would receive it and prefixed by where
  // it goes ("ssh root@10.0.0.1:22: conntrackd -C /etc/conntrackd/conntrackd.conf -c").
  // The lines come from the code that builds Perform's commands, so a rehearsal cannot
  // drift from the real run. Where Perform chooses a later command from an earlier one's
  // output, that part is said in words ("then, if ...: ..."). An action Perform would
  // refuse (not declared, a bad parameter, a missing setting) gives one line saying why
  // nothing would be sent. Secrets are never printed.
  virtual std::vector<std::string> Describe(const ActionRequest& request) const = 0;
};

// Describe's one line for an action Perform would refuse before sending anything.
inline std::vector<std::string> DescribeRefusal(const std::string& why) {
  return {"nothing would be sent: " + why};
}

}  // namespace cutover
