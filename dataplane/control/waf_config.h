// The `waf:` section of the config (WafConfig in config.h). Control core only; internal to
// dataplane/control.
#pragma once

#include <yaml-cpp/yaml.h>

#include "dataplane/control/config.h"

namespace gauntlet {

class Loader;

// Reads `node` into cfg.waf: rule files (globs expanded relative to the config file's
// directory; a pattern that names no file is an error), threshold, mode and the limits.
// Errors go to `in` with their file:line:col.
void load_waf(Loader& in, const YAML::Node& node, Config& cfg);

}  // namespace gauntlet
