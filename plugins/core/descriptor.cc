#include "plugins/core/descriptor.h"

#include <algorithm>

namespace cutover {

bool DriverDescriptor::Supports(Action action) const {
  return std::find(actions.begin(), actions.end(), action) != actions.end();
}

const ConfigKey* DriverDescriptor::FindKey(const std::string& key) const {
  for (const ConfigKey& k : config)
    if (k.name == key) return &k;
  return nullptr;
}

}  // namespace cutover
