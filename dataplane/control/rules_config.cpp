// firewall: and allowlist: sections: rules inline, from YAML rule files, or from
// ClassBench files (the format dpdk-test-acl reads), checked as a whole afterwards.
#include <cctype>
#include <filesystem>
#include <map>
#include <sstream>

#include "dataplane/control/config_file.h"
#include "dataplane/control/config_reader.h"

namespace gauntlet {

namespace {

bool valid_rule_id(const std::string& id) {
  if (id.empty() || id.size() > 64 || id == "default") return false;
  for (char ch : id)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '.' && ch != ':' &&
        ch != '-')
      return false;
  return true;
}

std::optional<PortRange> parse_ports(Loader& in, const YAML::Node& node, const char* what) {
  auto text = in.scalar(node, what);
  if (!text) return std::nullopt;
  if (*text == "any") return PortRange{};
  unsigned lo = 0, hi = 0;
  const auto dash = text->find('-');
  auto read = [&](const std::string& t, unsigned& v) {
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    return ec == std::errc{} && end == t.data() + t.size() && v <= 65535;
  };
  const bool ok = dash == std::string::npos
                      ? read(*text, lo) && read(*text, hi)
                      : read(text->substr(0, dash), lo) && read(text->substr(dash + 1), hi);
  if (!ok) {
    in.error(node,
             fmt::format("{} '{}' is not a port, a range like 1024-65535, or any", what, *text));
    return std::nullopt;
  }
  if (lo > hi) {
    in.error(node, fmt::format("{} range {} is upside down (write {}-{})", what, *text, hi, lo));
    return std::nullopt;
  }
  return PortRange{static_cast<uint16_t>(lo), static_cast<uint16_t>(hi)};
}

std::optional<int16_t> parse_proto(Loader& in, const YAML::Node& node) {
  auto text = in.scalar(node, "proto");
  if (!text) return std::nullopt;
  static const std::map<std::string, int16_t> kNames = {
      {"any", -1}, {"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"icmpv6", 58}};
  if (auto it = kNames.find(*text); it != kNames.end()) return it->second;
  unsigned n = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec == std::errc{} && end == text->data() + text->size() && n <= 255)
    return static_cast<int16_t>(n);
  in.error(node,
           fmt::format("unknown protocol '{}' (tcp, udp, icmp, icmpv6, any or 0-255)", *text));
  return std::nullopt;
}

std::optional<AclRule> load_rule(Loader& in, const YAML::Node& node) {
  if (!in.check_map(node, "a rule",
                    {"id", "action", "log", "src", "dst", "src_port", "dst_port", "proto"}))
    return std::nullopt;
  AclRule r;
  r.mark = in.mark(node);
  bool ok = true;
  if (!node["id"] || !node["action"]) {
    in.error(node, "a rule needs an id and an action (allow or deny)");
    return std::nullopt;
  }
  if (auto id = in.scalar(node["id"], "id"); id && valid_rule_id(*id))
    r.id = *id;
  else
    in.error(node["id"], fmt::format("rule id '{}' must be letters, digits, '_', '.', ':' or '-'",
                                     id.value_or(""))),
        ok = false;
  if (auto a = in.scalar(node["action"], "action"); a && (*a == "allow" || *a == "deny"))
    r.action = *a == "allow" ? RuleAction::allow : RuleAction::deny;
  else
    in.error(node["action"], fmt::format("action must be allow or deny, not '{}'", a.value_or(""))),
        ok = false;
  if (node["log"]) {
    auto l = in.scalar(node["log"], "log");
    if (l && (*l == "true" || *l == "false"))
      r.log = *l == "true";
    else
      in.error(node["log"], "log must be true or false"), ok = false;
  }
  for (auto [key, prefix] : {std::pair{"src", &r.src}, std::pair{"dst", &r.dst}}) {
    if (!node[key] || (node[key].IsScalar() && node[key].Scalar() == "any")) continue;
    if (auto p = in.prefix(node[key], key, false))
      *prefix = *p;
    else
      ok = false;
  }
  for (auto [key, range] :
       {std::pair{"src_port", &r.src_ports}, std::pair{"dst_port", &r.dst_ports}}) {
    if (!node[key]) continue;
    if (auto p = parse_ports(in, node[key], key))
      *range = *p;
    else
      ok = false;
  }
  if (node["proto"]) {
    if (auto p = parse_proto(in, node["proto"]))
      r.proto = *p;
    else
      ok = false;
  }
  if (!ok) return std::nullopt;
  // An `any` address (length 0) takes no side; a rule's family is that of its addresses.
  const uint8_t sv = r.src.length ? r.src.version : 0, dv = r.dst.length ? r.dst.version : 0;
  if (sv && dv && sv != dv) {
    in.error(node, fmt::format("rule '{}' mixes an IPv{} source with an IPv{} destination", r.id,
                               sv, dv));
    return std::nullopt;
  }
  r.family = sv ? sv : dv;
  if (r.proto == 1 || r.proto == 58) {
    const uint8_t want = r.proto == 1 ? 4 : 6;
    if (r.family && r.family != want) {
      in.error(node["proto"], fmt::format("{} is an IPv{} protocol but rule '{}' is IPv{}",
                                          r.proto == 1 ? "icmp" : "icmpv6", want, r.id, r.family));
      return std::nullopt;
    }
    r.family = want;
  }
  if ((!r.src_ports.any() || !r.dst_ports.any()) && r.proto != 6 && r.proto != 17) {
    in.error(node, fmt::format("rule '{}' matches ports but its proto is not tcp or udp", r.id));
    return std::nullopt;
  }
  return r;
}

void add_rule(Loader& in, const YAML::Node& at, AclList& list, const Config& cfg, AclRule r,
              const char* section) {
  if (list.rules.size() >= cfg.max_rules) {
    // One error for the first rule past the limit; the rest would say the same.
    if (list.rules.size() == cfg.max_rules)
      in.error(at, fmt::format("{} has more than max_rules ({}) rules", section, cfg.max_rules));
    list.rules.push_back(std::move(r));
    return;
  }
  list.rules.push_back(std::move(r));
}

void load_rules(Loader& in, const YAML::Node& seq, AclList& list, const Config& cfg,
                const char* section) {
  if (!seq.IsSequence()) {
    in.error(seq, "rules must be a list");
    return;
  }
  for (const auto& node : seq)
    if (auto r = load_rule(in, node)) add_rule(in, node, list, cfg, std::move(*r), section);
}

std::string relative_to(const std::string& config, const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  return (std::filesystem::path(config).parent_path() / path).string();
}

void load_rule_file(Loader& in, const YAML::Node& at, const std::string& path, AclList& list,
                    const Config& cfg, const char* section) {
  std::string why;
  const std::optional<std::string> text = read_config_file(path, why);
  if (!text) {
    in.error(at, fmt::format("cannot open rule file {}: {}", path, why));
    return;
  }
  Loader file_in(path, in.errors());
  try {
    const YAML::Node root = YAML::Load(*text);
    if (root.IsMap() && file_in.check_map(root, "a rule file", {"rules"}) && root["rules"])
      load_rules(file_in, root["rules"], list, cfg, section);
    else if (root.IsSequence())
      load_rules(file_in, root, list, cfg, section);
    else if (!root.IsMap())
      file_in.error_at(1, 1, "a rule file must be a list of rules (or a mapping with rules:)");
  } catch (const YAML::Exception& e) {
    file_in.error_at(e.mark.line + 1, e.mark.column + 1, e.msg);
  }
}

// "@a.b.c.d/len  e.f.g.h/len  lo : hi  lo : hi  proto/mask ..." -> allow rules "cb<line>".
void load_classbench(Loader& in, const YAML::Node& at, const std::string& path, AclList& list,
                     const Config& cfg, const char* section) {
  std::string why;
  const std::optional<std::string> text = read_config_file(path, why);
  if (!text) {
    in.error(at, fmt::format("cannot open ClassBench file {}: {}", path, why));
    return;
  }
  std::istringstream f(*text);
  std::string line;
  for (int n = 1; std::getline(f, line); ++n) {
    if (line.empty() || line[0] != '@') {
      if (!line.empty()) in.errors().push_back({path, n, 1, "a ClassBench rule starts with '@'"});
      continue;
    }
    std::istringstream s(line.substr(1));
    std::string src, dst, colon1, colon2, proto;
    unsigned sl = 0, sh = 0, dl = 0, dh = 0;
    s >> src >> dst >> sl >> colon1 >> sh >> dl >> colon2 >> dh >> proto;
    AclRule r;
    r.id = fmt::format("cb{}", n);
    r.mark = {path, n, 1};
    bool ok = !s.fail() && colon1 == ":" && colon2 == ":" && sl <= sh && sh <= 65535 && dl <= dh &&
              dh <= 65535;
    auto prefix = [&](const std::string& t, Prefix& p) {
      const auto slash = t.find('/');
      p.version = parse_ip(t.substr(0, slash), p.address);
      unsigned len = 0;
      if (slash == std::string::npos || p.version != 4) return false;
      auto [e, ec] = std::from_chars(t.data() + slash + 1, t.data() + t.size(), len);
      p.length = static_cast<uint8_t>(len);
      return ec == std::errc{} && e == t.data() + t.size() && len <= 32;
    };
    ok = ok && prefix(src, r.src) && prefix(dst, r.dst);
    unsigned pv = 0, pm = 0;
    ok = ok && std::sscanf(proto.c_str(), "%x/%x", &pv, &pm) == 2 && pv <= 255 &&
         (pm == 0 || pm == 0xff);
    if (!ok) {
      in.errors().push_back(
          {path, n, 1, "not a ClassBench rule (@src/len dst/len lo : hi lo : hi proto/mask)"});
      continue;
    }
    r.family = 4;
    r.proto = pm == 0 ? -1 : static_cast<int16_t>(pv);
    r.src_ports = {static_cast<uint16_t>(sl), static_cast<uint16_t>(sh)};
    r.dst_ports = {static_cast<uint16_t>(dl), static_cast<uint16_t>(dh)};
    add_rule(in, at, list, cfg, std::move(r), section);
  }
}

}  // namespace

void load_acl_list(Loader& in, const YAML::Node& node, const char* section, AclList& list,
                   Config& cfg) {
  if (!in.check_map(node, section, {"default", "rules", "rule_files", "classbench"})) return;
  if (node["default"]) {
    auto d = in.scalar(node["default"], "default");
    if (d && (*d == "allow" || *d == "deny"))
      list.default_action = *d == "allow" ? RuleAction::allow : RuleAction::deny;
    else
      in.error(node["default"],
               fmt::format("default must be allow or deny, not '{}'", d.value_or("")));
  }
  if (node["rules"]) load_rules(in, node["rules"], list, cfg, section);
  if (const auto& files = node["rule_files"]) {
    if (!files.IsSequence())
      in.error(files, "rule_files must be a list of paths");
    else
      for (const auto& f : files)
        if (auto p = in.scalar(f, "rule file"))
          load_rule_file(in, f, relative_to(in.file(), *p), list, cfg, section);
  }
  if (const auto& cb = node["classbench"])
    if (auto p = in.scalar(cb, "classbench"))
      load_classbench(in, cb, relative_to(in.file(), *p), list, cfg, section);
}

}  // namespace gauntlet
