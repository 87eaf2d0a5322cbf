// The ClientHello body and the extensions gauntlet reads: server_name (RFC 6066 §3), ALPN
// (RFC 7301 §3.1), supported_versions (RFC 8446 §4.2.1). Every vector is read through a
// bounds-checked reader, and each length must match its parent's exactly: a length that
// leaves bytes over is as much a lie as one that runs past the end.
#include "dataplane/waf/tls_client_hello.h"

namespace gauntlet {
namespace {

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> bytes) noexcept : bytes_(bytes) {}
  size_t left() const noexcept { return bytes_.size(); }
  bool u8(uint8_t& v) noexcept {
    if (bytes_.empty()) return false;
    v = bytes_[0];
    bytes_ = bytes_.subspan(1);
    return true;
  }
  bool u16(uint16_t& v) noexcept {
    if (bytes_.size() < 2) return false;
    v = static_cast<uint16_t>(bytes_[0] << 8 | bytes_[1]);
    bytes_ = bytes_.subspan(2);
    return true;
  }
  bool take(size_t n, std::span<const uint8_t>& out) noexcept {
    if (bytes_.size() < n) return false;
    out = bytes_.first(n);
    bytes_ = bytes_.subspan(n);
    return true;
  }

 private:
  std::span<const uint8_t> bytes_;
};

constexpr uint16_t kExtServerName = 0, kExtAlpn = 16, kExtSupportedVersions = 43;
constexpr uint8_t kNameTypeHostName = 0;

// Lower-cases `name` into the hello and checks it is a DNS host name: labels of 1-63 bytes of
// letters, digits, '-' and '_' (underscores occur in real SNI), no empty label, so no trailing
// dot (RFC 6066: "without a trailing dot"), at most 253 bytes.
bool store_host_name(std::span<const uint8_t> name, TlsClientHello& h) noexcept {
  if (name.empty() || name.size() > kTlsMaxSniLength) return false;
  size_t label = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = static_cast<char>(name[i]);
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
      if (++label > 63) return false;
    } else {
      return false;
    }
    h.sni_buffer[i] = c;
  }
  if (label == 0) return false;
  h.sni_length = static_cast<uint8_t>(name.size());
  h.has_sni = true;
  return true;
}

TlsMalformed parse_server_name(std::span<const uint8_t> data, TlsClientHello& h) noexcept {
  Reader r(data);
  uint16_t list_len = 0;
  if (!r.u16(list_len) || list_len == 0 || list_len != r.left())
    return TlsMalformed::sni_list_length;
  while (r.left() > 0) {
    uint8_t type = 0;
    uint16_t name_len = 0;
    std::span<const uint8_t> name;
    if (!r.u8(type) || !r.u16(name_len) || !r.take(name_len, name))
      return TlsMalformed::sni_name_length;
    if (type != kNameTypeHostName) continue;  // no other type is defined; skip it
    // RFC 6066 forbids two names of one type; two host names would let two readers differ.
    if (h.has_sni) return TlsMalformed::sni_duplicate_name;
    if (!store_host_name(name, h)) return TlsMalformed::sni_invalid_name;
  }
  return TlsMalformed::none;
}

TlsMalformed parse_alpn(std::span<const uint8_t> data, TlsClientHello& h) noexcept {
  Reader r(data);
  uint16_t list_len = 0;
  if (!r.u16(list_len) || list_len < 2 || list_len != r.left())
    return TlsMalformed::alpn_list_length;
  while (r.left() > 0) {
    uint8_t len = 0;
    std::span<const uint8_t> protocol;
    if (!r.u8(len) || len == 0 || !r.take(len, protocol)) return TlsMalformed::alpn_protocol_length;
    if (h.alpn_count < kTlsMaxAlpnProtocols)
      h.alpn[h.alpn_count] = {reinterpret_cast<const char*>(protocol.data()), protocol.size()};
    ++h.alpn_count;
  }
  h.has_alpn = true;
  return TlsMalformed::none;
}

TlsMalformed parse_supported_versions(std::span<const uint8_t> data, TlsClientHello& h) noexcept {
  Reader r(data);
  uint8_t list_len = 0;
  if (!r.u8(list_len) || list_len < 2 || list_len % 2 != 0 || list_len != r.left())
    return TlsMalformed::supported_versions_length;
  for (uint16_t version = 0; r.u16(version);)
    if (version == 0x0304) h.offers_tls13 = true;
  h.has_supported_versions = true;
  return TlsMalformed::none;
}

TlsMalformed parse_extensions(std::span<const uint8_t> block, TlsClientHello& h) noexcept {
  Reader r(block);
  bool seen_sni = false, seen_alpn = false, seen_versions = false;
  while (r.left() > 0) {
    uint16_t type = 0, len = 0;
    std::span<const uint8_t> data;
    if (!r.u16(type) || !r.u16(len) || !r.take(len, data)) return TlsMalformed::extension_length;
    ++h.extension_count;
    // Each extension at most once (RFC 8446 §4.2); checked for the ones read here.
    bool* seen = type == kExtServerName          ? &seen_sni
                 : type == kExtAlpn              ? &seen_alpn
                 : type == kExtSupportedVersions ? &seen_versions
                                                 : nullptr;
    if (seen == nullptr) continue;
    if (*seen) return TlsMalformed::duplicate_extension;
    *seen = true;
    const TlsMalformed m = type == kExtServerName ? parse_server_name(data, h)
                           : type == kExtAlpn     ? parse_alpn(data, h)
                                                  : parse_supported_versions(data, h);
    if (m != TlsMalformed::none) return m;
  }
  return TlsMalformed::none;
}

}  // namespace

TlsMalformed parse_client_hello_body(std::span<const uint8_t> body, TlsClientHello& h) noexcept {
  Reader r(body);
  if (!r.u16(h.client_version) || !r.take(32, h.random)) return TlsMalformed::handshake_length;
  if (h.client_version >> 8 != 3) return TlsMalformed::client_version;
  uint8_t session_id_len = 0;
  if (!r.u8(session_id_len)) return TlsMalformed::handshake_length;
  if (session_id_len > 32 || !r.take(session_id_len, h.session_id))
    return TlsMalformed::session_id_length;
  uint16_t suites_len = 0;
  if (!r.u16(suites_len)) return TlsMalformed::handshake_length;
  if (suites_len < 2 || suites_len % 2 != 0 || !r.take(suites_len, h.cipher_suites))
    return TlsMalformed::cipher_suites_length;
  uint8_t compression_len = 0;
  if (!r.u8(compression_len)) return TlsMalformed::handshake_length;
  if (compression_len == 0 || !r.take(compression_len, h.compression_methods))
    return TlsMalformed::compression_length;
  if (r.left() == 0) return TlsMalformed::none;  // no extensions: legal before TLS 1.3
  uint16_t extensions_len = 0;
  if (!r.u16(extensions_len) || extensions_len != r.left()) return TlsMalformed::extensions_length;
  r.take(extensions_len, h.extensions);
  return parse_extensions(h.extensions, h);
}

}  // namespace gauntlet
