// The web view's page and data (see web_view.h).
#include "dataplane/control/web_view.h"

#include <fmt/format.h>
#include <iterator>
#include <vector>

#include "dataplane/control/web_page.h"
#include "dataplane/packet/headers.h"

namespace gauntlet {

namespace {

// A JSON string body: config names are the operator's, but still text, never markup.
std::string escaped(std::string_view in) {
  std::string out;
  for (const char c : in) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == '<' || c == '>' || c == '&') {
      out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

void RecentStops::add(std::string trace_line) {
  std::lock_guard guard(lock_);
  if (lines_.size() == kKept) lines_.pop_front();
  lines_.push_back(std::move(trace_line));
}

std::deque<std::string> RecentStops::lines() const {
  std::lock_guard guard(lock_);
  return lines_;
}

std::vector<double> maglev_shares(const CompiledService& s) {
  std::vector<double> share(s.backends.size(), 0);
  const auto slots = s.table.slots();
  for (uint32_t b : slots)
    if (b < share.size()) share[b] += 1;
  for (double& x : share) x = slots.empty() ? 0 : x / static_cast<double>(slots.size());
  return share;
}

std::vector<ServiceView> service_views(const Tables& t) {
  std::vector<ServiceView> v;
  for (const CompiledService& s : t.services)
    v.push_back({s.name, s.vip, s.version, s.proto, s.ports, s.backends, s.down, maglev_shares(s),
                 s.forwarding, s.table_hash});
  return v;
}

std::string services_json(const std::vector<ServiceView>& services,
                          const std::vector<BackendFlows>* flows) {
  std::string s = "[";
  auto out = std::back_inserter(s);
  for (size_t i = 0; i < services.size(); ++i) {
    const ServiceView& svc = services[i];
    if (i) s += ',';
    fmt::format_to(out, R"({{"name":"{}","vip":"{}","ports":[)", escaped(svc.name),
                   format_ip(svc.vip, svc.version));
    for (size_t p = 0; p < svc.ports.size(); ++p)
      fmt::format_to(out, "{}{}", p ? "," : "", svc.ports[p]);
    s += R"(],"backends":[)";
    for (size_t b = 0; b < svc.backends.size(); ++b) {
      const BackendConfig& be = svc.backends[b];
      const double share = b < svc.share.size() ? svc.share[b] : 0;
      fmt::format_to(out, R"({}{{"address":"{}","port":{},"weight":{},"share":{:.6f})",
                     b ? "," : "", format_ip(be.address, be.version), be.port, be.weight, share);
      if (be.health)
        fmt::format_to(out, R"(,"health":"{}")",
                       b < svc.down.size() && svc.down[b] ? "down" : "up");
      if (flows) fmt::format_to(out, R"(,"flows":{})", flows_to_backend(*flows, i, be));
      s += '}';
    }
    s += "]}";
  }
  return s + "]";
}

std::string view_json(std::string_view mode, const std::string& summary_json,
                      const RecentStops& stops, const std::string& services) {
  std::string s =
      fmt::format(R"({{"mode":"{}","summary":{},"stopped":[)", escaped(mode), summary_json);
  bool first = true;
  for (const std::string& line : stops.lines()) {
    if (!first) s += ',';
    first = false;
    s += line;
  }
  return s + R"(],"services":)" + services + "}";
}

std::string web_page(std::string_view snapshot_json) {
  std::string page(kWebPage);
  std::string inline_data;
  if (!snapshot_json.empty()) {
    // Inside <script>, "</" could close the element early (a request path may carry
    // "</script>"): JSON lets "/" be escaped, so "<\/" reads the same.
    inline_data = "window.GAUNTLET_SNAPSHOT = ";
    for (size_t i = 0; i < snapshot_json.size(); ++i) {
      inline_data += snapshot_json[i];
      if (snapshot_json[i] == '<' && i + 1 < snapshot_json.size() && snapshot_json[i + 1] == '/')
        inline_data += '\\';
    }
    inline_data += ";";
  }
  const std::string marker = "/*SNAPSHOT*/";
  const size_t at = page.find(marker);
  if (at != std::string::npos) page.replace(at, marker.size(), inline_data);
  return page;
}

}  // namespace gauntlet
