// The named set of drivers a binary knows. Built explicitly (RegisterBuiltinDrivers), so
// nothing depends on static initialisers in static libraries. Not thread-safe while
// being filled; read-only and safe to share afterwards.
#pragma once

#include <string>
#include <vector>

#include "plugins/core/descriptor.h"

namespace cutover {

class DriverRegistry {
 public:
  // Throws std::logic_error on a duplicate name or a descriptor without a factory.
  void Add(DriverDescriptor descriptor);
  const DriverDescriptor* Find(const std::string& name) const;
  const std::vector<DriverDescriptor>& All() const { return descriptors_; }
  std::string Names() const;  // "checkpoint, exec, haproxy, linux-fw", for error messages

 private:
  std::vector<DriverDescriptor> descriptors_;
};

}  // namespace cutover
