#include "plugins/core/registry.h"

#include <algorithm>
#include <stdexcept>

namespace cutover {

void DriverRegistry::Add(DriverDescriptor descriptor) {
  if (descriptor.name.empty() || !descriptor.create)
    throw std::logic_error("driver descriptor needs a name and a factory");
  if (Find(descriptor.name) != nullptr)
    throw std::logic_error("driver '" + descriptor.name + "' registered twice");
  descriptors_.push_back(std::move(descriptor));
  std::sort(descriptors_.begin(), descriptors_.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
}

const DriverDescriptor* DriverRegistry::Find(const std::string& name) const {
  for (const auto& d : descriptors_)
    if (d.name == name) return &d;
  return nullptr;
}

std::string DriverRegistry::Names() const {
  std::string names;
  for (const auto& d : descriptors_) names += (names.empty() ? "" : ", ") + d.name;
  return names;
}

}  // namespace cutover
