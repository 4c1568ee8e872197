#include "plugins/core/settings.h"

#include <stdexcept>

namespace cutover {

std::string_view ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kString:
      return "string";
    case ValueType::kInteger:
      return "integer";
    case ValueType::kBoolean:
      return "boolean";
    case ValueType::kDuration:
      return "duration";
    case ValueType::kStringList:
      return "list of strings";
  }
  return "unknown";
}

const SettingValue& Settings::Get(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) throw std::logic_error("setting '" + key + "' is not declared");
  return it->second;
}

template <typename T>
static const T& As(const SettingValue& value, const std::string& key) {
  if (const T* v = std::get_if<T>(&value)) return *v;
  throw std::logic_error("setting '" + key + "' read with the wrong type");
}

const std::string& Settings::String(const std::string& key) const {
  return As<std::string>(Get(key), key);
}
std::int64_t Settings::Integer(const std::string& key) const {
  return As<std::int64_t>(Get(key), key);
}
bool Settings::Boolean(const std::string& key) const { return As<bool>(Get(key), key); }
Duration Settings::DurationValue(const std::string& key) const {
  return As<Duration>(Get(key), key);
}
const std::vector<std::string>& Settings::StringList(const std::string& key) const {
  return As<std::vector<std::string>>(Get(key), key);
}

}  // namespace cutover
