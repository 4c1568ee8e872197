// Driver settings after validation against the driver's descriptor: every declared key
// has a typed value (the configured one or the default). Plain data; not thread-safe to
// modify, safe to read from many threads.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "common/duration.h"

namespace cutover {

enum class ValueType { kString, kInteger, kBoolean, kDuration, kStringList };

std::string_view ValueTypeName(ValueType type);

using SettingValue =
    std::variant<std::string, std::int64_t, bool, Duration, std::vector<std::string>>;

class Settings {
 public:
  void Set(const std::string& key, SettingValue value) { values_[key] = std::move(value); }
  bool Has(const std::string& key) const { return values_.count(key) != 0; }

  // Each getter throws std::logic_error when the key is undeclared or of another type:
  // that is a driver bug, not an operator error (the loader validated the file).
  const std::string& String(const std::string& key) const;
  std::int64_t Integer(const std::string& key) const;
  bool Boolean(const std::string& key) const;
  Duration DurationValue(const std::string& key) const;
  const std::vector<std::string>& StringList(const std::string& key) const;

  const std::map<std::string, SettingValue>& values() const { return values_; }

 private:
  const SettingValue& Get(const std::string& key) const;
  std::map<std::string, SettingValue> values_;
};

}  // namespace cutover
