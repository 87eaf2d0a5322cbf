// A service's `waf:` key (ServiceWafConfig in config.h). Control core only; internal to
// dataplane/control.
#pragma once

#include <yaml-cpp/yaml.h>

#include "dataplane/control/config.h"

namespace gauntlet {

class Loader;

// `waf: true | false` or {mode: block|detect, threshold: N, sni_allow: [...], sni_deny: [...]}.
// Errors go to `in` with file:line:col; returns false when there was one.
bool load_service_waf(Loader& in, const YAML::Node& node, ServiceWafConfig& waf);

// After the services are read: WAF inspects TCP only, and a service with WAF needs the
// top-level waf: section (its rules). That section may come after services: in the file (and
// is read after them), so the caller says whether the document has one (`config_has_waf`).
void check_service_waf(Loader& in, const std::vector<ServiceConfig>& services, bool config_has_waf);

}  // namespace gauntlet
