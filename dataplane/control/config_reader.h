// Reading YAML into the config model: the helpers every section's loader shares. Each
// problem is recorded with file:line:column and reading goes on, so one run reports them
// all. Control core only; internal to dataplane/control.
#pragma once

#include <algorithm>
#include <charconv>
#include <fmt/format.h>
#include <optional>
#include <string>
#include <vector>
#include <yaml-cpp/yaml.h>

#include "dataplane/control/config.h"

namespace gauntlet {

bool valid_device_string(const std::string& d);

class Loader;
// firewall: / allowlist: sections (rules_config.cpp).
void load_acl_list(Loader& in, const YAML::Node& node, const char* section, AclList& list,
                   Config& cfg);
// conntrack: and snat: sections (stateful_config.cpp).
void load_conntrack(Loader& in, const YAML::Node& node, Config& cfg);
void load_snat(Loader& in, const YAML::Node& node, Config& cfg);
// services: section (services_config.cpp). `config_has_waf`: the document has a top-level
// waf: section, which services with WAF on need.
void load_services(Loader& in, const YAML::Node& node, Config& cfg, bool config_has_waf);
// metrics: and events: sections (ops_config.cpp).
void load_operations(Loader& in, const YAML::Node& root, Config& cfg);
// After the whole config is read: duplicate ids across lists, shadowed/overlapping rules.
void check_acl_lists(Config& cfg, std::vector<ConfigError>& errors);

class Loader {
 public:
  Loader(const std::string& file, std::vector<ConfigError>& errors)
      : file_(file), errors_(errors) {}

  const std::string& file() const { return file_; }
  std::vector<ConfigError>& errors() { return errors_; }

  void error_at(int line, int column, const std::string& message) {
    errors_.push_back({file_, line, column, message});
  }
  void error(const YAML::Node& at, const std::string& message) {
    const YAML::Mark m = at.Mark();
    errors_.push_back({file_, m.line + 1, m.column + 1, message});
  }
  SourceMark mark(const YAML::Node& at) const {
    return {file_, at.Mark().line + 1, at.Mark().column + 1};
  }

  // A mapping whose keys must all be in `allowed`: a typo must not silently do nothing.
  bool check_map(const YAML::Node& node, const char* what,
                 std::initializer_list<const char*> allowed) {
    if (!node.IsMap()) {
      error(node, fmt::format("{} must be a mapping", what));
      return false;
    }
    std::vector<std::string> seen;
    for (const auto& kv : node) {
      const std::string key = kv.first.Scalar();
      // yaml-cpp keeps the first of two equal keys: the second would silently do nothing.
      if (std::find(seen.begin(), seen.end(), key) != seen.end())
        error(kv.first, fmt::format("'{}' is given twice in {}", key, what));
      seen.push_back(key);
      bool ok = false;
      for (const char* a : allowed) ok = ok || key == a;
      if (!ok) {
        std::string list;
        for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
        error(kv.first,
              fmt::format("unknown key '{}' in {} (expected one of: {})", key, what, list));
      }
    }
    return true;
  }

  std::optional<std::string> scalar(const YAML::Node& node, const char* what) {
    if (!node.IsScalar()) {
      error(node, fmt::format("{} must be a single value", what));
      return std::nullopt;
    }
    return node.Scalar();
  }

  template <typename T>
  std::optional<T> number(const YAML::Node& node, const char* what, T lo, T hi) {
    auto text = scalar(node, what);
    if (!text) return std::nullopt;
    T value{};
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc{} || end != text->data() + text->size() || value < lo || value > hi) {
      error(node,
            fmt::format("{} must be a whole number from {} to {}, not '{}'", what, lo, hi, *text));
      return std::nullopt;
    }
    return value;
  }

  std::optional<uint8_t> port(const YAML::Node& node) {
    auto text = scalar(node, "port");
    if (!text) return std::nullopt;
    auto p = port_role_from_name(*text);
    if (!p) error(node, fmt::format("unknown port role '{}' (expected outside or inside)", *text));
    return p;
  }

  std::optional<Prefix> prefix(const YAML::Node& node, const char* what, bool host_bits_allowed) {
    auto text = scalar(node, what);
    if (!text) return std::nullopt;
    const auto slash = text->find('/');
    Prefix p;
    p.version = parse_ip(text->substr(0, slash), p.address);
    if (p.version == 0) {
      error(node, fmt::format("{} '{}' is not an IPv4 or IPv6 address", what, *text));
      return std::nullopt;
    }
    const unsigned max_len = p.version == 4 ? 32 : 128;
    p.length = static_cast<uint8_t>(max_len);
    if (slash != std::string::npos) {
      unsigned len = 0;
      const std::string len_text = text->substr(slash + 1);
      auto [end, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
      if (ec != std::errc{} || end != len_text.data() + len_text.size() || len > max_len) {
        error(node,
              fmt::format("{} '{}' has an invalid prefix length (0..{})", what, *text, max_len));
        return std::nullopt;
      }
      p.length = static_cast<uint8_t>(len);
    }
    if (!host_bits_allowed) {
      Prefix masked = p;
      masked.address = {};
      for (unsigned i = 0; i < 16; ++i) {
        const int bits = std::clamp(static_cast<int>(p.length) - static_cast<int>(i * 8), 0, 8);
        masked.address.bytes[i] = p.address.bytes[i] & static_cast<uint8_t>(0xff00 >> bits);
      }
      if (!(masked.address == p.address)) {
        error(node, fmt::format("{} '{}' has bits set after the prefix length (did you mean {}?)",
                                what, *text, format_prefix(masked)));
        return std::nullopt;
      }
    }
    return p;
  }

 private:
  std::string file_;
  std::vector<ConfigError>& errors_;
};

}  // namespace gauntlet
