// Alertmanager's webhook payload (version "4"), parsed strictly where cutover depends on
// a field and tolerantly elsewhere: unknown fields are ignored, as Alertmanager keeps
// adding them (truncatedAlerts, notification_reason, routeLabels, ...). An optional field
// that is null counts as absent (as for Go's decoder); a key repeated in one object is an
// error, since readers disagree on which copy wins.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/parse_result.h"

namespace cutover {

struct AlertmanagerAlert {
  std::string status;  // "firing" or "resolved"
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::string starts_at;  // RFC 3339, as sent
  std::string ends_at;
  std::string generator_url;
  std::string fingerprint;

  std::string Label(const std::string& name) const;  // "" when absent
};

struct AlertmanagerNotification {
  std::string version;
  std::string receiver;
  std::string status;
  std::string group_key;
  std::string external_url;
  std::map<std::string, std::string> group_labels;
  std::map<std::string, std::string> common_labels;
  std::vector<AlertmanagerAlert> alerts;
  int truncated_alerts = 0;
};

// Errors name the field and what was expected, e.g.
// "alerts[0].status: expected \"firing\" or \"resolved\", got \"firng\"".
ParseResult<AlertmanagerNotification> ParseAlertmanagerWebhook(std::string_view body);

// Alertmanager delivers at least once and repeats: one alert instance in one state is
// identified by fingerprint, startsAt and status.
std::string DeliveryKey(const AlertmanagerAlert& alert);

}  // namespace cutover
