#pragma once

#include <string>

#include "plugins/core/registry.h"

namespace cutover {

// Markdown reference of every registered driver (description, actions, roles, settings),
// generated from the descriptors so the docs cannot drift from the code. The README's
// driver reference is this text; a test keeps them equal.
std::string DriverReferenceMarkdown(const DriverRegistry& registry);

}  // namespace cutover
