#include "plugins/core/driver_docs.h"

namespace cutover {

std::string DriverReferenceMarkdown(const DriverRegistry& registry) {
  std::string md;
  for (const DriverDescriptor& d : registry.All()) {
    md += "### `" + d.name + "`\n\n" + d.description + "\n\n";
    md += "- Actions: ";
    for (std::size_t i = 0; i < d.actions.size(); ++i)
      md += (i ? ", " : "") + std::string("`") + std::string(ActionName(d.actions[i])) + "`";
    md += "\n- Roles: ";
    for (std::size_t i = 0; i < d.roles.size(); ++i)
      md += (i ? ", " : "") + std::string("`") + d.roles[i] + "`";
    md +=
        std::string("\n- Credentials: ") + (d.needs_credentials ? "required" : "not used") + "\n\n";
    md += "| setting | type | default | required | help |\n|---|---|---|---|---|\n";
    for (const ConfigKey& k : d.config) {
      std::string help = k.help;
      if (k.secret) help += " (secret: a file path, never the value)";
      std::string def = k.default_value.empty() ? "" : "`" + k.default_value + "`";
      md += "| `" + k.name + "` | " + std::string(ValueTypeName(k.type)) + " | " + def + " | " +
            (k.required ? "yes" : "no") + " | " + help + " |\n";
    }
    md += "\n";
  }
  return md;
}

}  // namespace cutover
