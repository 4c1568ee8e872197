// A POST to /api/v1/alerts: Alertmanager's webhook body, or anyone's who reaches the port.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "actions/intake/alertmanager_webhook.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto parsed = cutover::ParseAlertmanagerWebhook(
      std::string_view(reinterpret_cast<const char*>(data), size));
  if (parsed.ok()) {
    for (const auto& alert : parsed.value().alerts) cutover::DeliveryKey(alert);
  }
  return 0;
}
