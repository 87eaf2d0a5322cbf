// TLS ClientHello extraction from the first bytes a client sends (RFC 8446 §4.1.2, RFC 5246
// §7.4.1.2): the SNI host name, the ALPN protocols and whether TLS 1.3 is offered, for routing
// and policy before any decryption (there is none).
//
// TlsHelloAccumulator is fed the client->server stream in order, in segments of any split. It
// reassembles the handshake message across TLS records (record-level fragmentation is legal,
// and splitting a ClientHello over tiny records is a known trick to hide the SNI from
// middleboxes) into caller-provided storage, then parses it:
//   need_more  everything so far is consistent; feed more
//   done       the ClientHello is parsed: hello() holds it
//   not_tls    the stream does not start like a TLS handshake record (first byte not 22, or
//              record version major not 3 / minor above 4): plain HTTP, SSLv2, other protocols
//   malformed  it starts like TLS but a length or field does not hold: reason() names the
//              first one. Every length is checked against the bytes its parent declares.
// done, not_tls and malformed are final; later feeds consume nothing and change nothing.
//
// Lengths, precisely: a record's length must be 1..16384 and may not run past the end of the
// ClientHello (the client's first flight has nothing after it in a handshake record), so a
// record that claims more than the handshake message holds is malformed as soon as the
// handshake header is read. A record that claims less is taken as fragmentation: the message
// continues in the next record, which must be a handshake record again.
//
// Memory: the handshake message is copied into `storage` (16 KB is ample: real ClientHellos,
// post-quantum key shares included, are under 2 KB); a longer one is malformed
// (tls:hello-too-large). Threads: one accumulator per flow, owned by its worker; noexcept,
// no allocation.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace gauntlet {

enum class TlsHelloStatus : uint8_t { need_more, done, not_tls, malformed, count };
inline constexpr std::array<std::string_view, static_cast<size_t>(TlsHelloStatus::count)>
    kTlsHelloStatusNames = {"need-more", "done", "not-tls", "malformed"};
constexpr std::string_view tls_hello_status_name(TlsHelloStatus s) noexcept {
  return kTlsHelloStatusNames[static_cast<size_t>(s)];
}

// X(id, printed name)
#define GAUNTLET_TLS_MALFORMED(X)                                                      \
  X(none, "none")                                                                      \
  X(record_type, "tls:record-type")       /* a later record is not handshake */        \
  X(record_version, "tls:record-version") /* a later record's version */               \
  X(record_length, "tls:record-length")   /* 0, or over 16384 */                       \
  X(record_handshake_mismatch, "tls:record-handshake-mismatch") /* record > message */ \
  X(handshake_type, "tls:handshake-type")     /* first message not ClientHello */      \
  X(hello_too_large, "tls:hello-too-large")   /* past the accumulator's storage */     \
  X(handshake_length, "tls:handshake-length") /* ends inside a fixed-size field */     \
  X(client_version, "tls:client-version")     /* legacy_version major not 3 */         \
  X(session_id_length, "tls:session-id-length")                                        \
  X(cipher_suites_length, "tls:cipher-suites-length")                                  \
  X(compression_length, "tls:compression-length")                                      \
  X(extensions_length, "tls:extensions-length")                                        \
  X(extension_length, "tls:extension-length")                                          \
  X(duplicate_extension, "tls:duplicate-extension")                                    \
  X(sni_list_length, "tls:sni-list-length")                                            \
  X(sni_name_length, "tls:sni-name-length")                                            \
  X(sni_invalid_name, "tls:sni-invalid-name")                                          \
  X(sni_duplicate_name, "tls:sni-duplicate-name")                                      \
  X(alpn_list_length, "tls:alpn-list-length")                                          \
  X(alpn_protocol_length, "tls:alpn-protocol-length")                                  \
  X(supported_versions_length, "tls:supported-versions-length")

enum class TlsMalformed : uint8_t {
#define GAUNTLET_TLS_MALFORMED_ENUM(id, name) id,
  GAUNTLET_TLS_MALFORMED(GAUNTLET_TLS_MALFORMED_ENUM)
#undef GAUNTLET_TLS_MALFORMED_ENUM
      count
};

inline constexpr std::array<std::string_view, static_cast<size_t>(TlsMalformed::count)>
    kTlsMalformedNames = {
#define GAUNTLET_TLS_MALFORMED_NAME(id, name) name,
        GAUNTLET_TLS_MALFORMED(GAUNTLET_TLS_MALFORMED_NAME)
#undef GAUNTLET_TLS_MALFORMED_NAME
};
constexpr std::string_view tls_malformed_name(TlsMalformed m) noexcept {
  return kTlsMalformedNames[static_cast<size_t>(m)];
}

inline constexpr size_t kTlsHelloStorageBytes = 16384;
inline constexpr size_t kTlsMaxRecordPayload = 16384;  // 2^14 (RFC 8446 §5.1)
inline constexpr size_t kTlsMaxSniLength = 253;        // a DNS name in text form (255 on the wire)
inline constexpr size_t kTlsMaxAlpnProtocols = 8;      // kept; all are counted and checked

// Byte spans point into the accumulator's storage: valid while it lives and is not reset.
// Multi-byte numbers are converted to host order; cipher_suites stays raw (2 bytes each,
// network order). Filled in parse order, so after `malformed` it holds what came before.
struct TlsClientHello {
  uint16_t record_version = 0;             // of the first record
  uint16_t client_version = 0;             // legacy_version (0x0303 for TLS 1.2 and 1.3)
  std::span<const uint8_t> random;         // 32 bytes
  std::span<const uint8_t> session_id;     // 0..32 bytes
  std::span<const uint8_t> cipher_suites;  // raw, even length >= 2
  std::span<const uint8_t> compression_methods;
  std::span<const uint8_t> extensions;  // the whole extensions block; empty when absent
  uint16_t extension_count = 0;
  bool has_sni = false;  // a host_name was present (validated, lower-cased)
  bool has_alpn = false;
  bool has_supported_versions = false;
  bool offers_tls13 = false;  // supported_versions lists 0x0304
  uint16_t alpn_count = 0;    // protocols listed; the first kTlsMaxAlpnProtocols are kept
  std::array<std::string_view, kTlsMaxAlpnProtocols> alpn{};
  uint8_t sni_length = 0;
  std::array<char, kTlsMaxSniLength> sni_buffer{};

  std::string_view sni() const noexcept { return {sni_buffer.data(), sni_length}; }
  std::span<const std::string_view> alpn_protocols() const noexcept {
    return {alpn.data(), alpn_count < kTlsMaxAlpnProtocols ? alpn_count : kTlsMaxAlpnProtocols};
  }
  size_t cipher_suite_count() const noexcept { return cipher_suites.size() / 2; }
  uint16_t cipher_suite(size_t i) const noexcept {
    return static_cast<uint16_t>(cipher_suites[2 * i] << 8 | cipher_suites[2 * i + 1]);
  }
};

// Parses a complete ClientHello body (the bytes after the 4-byte handshake header), filling
// `out`. Pure function over bytes, for the accumulator and for fuzzing.
TlsMalformed parse_client_hello_body(std::span<const uint8_t> body, TlsClientHello& out) noexcept;

class TlsHelloAccumulator {
 public:
  // `storage` receives the handshake message; kTlsHelloStorageBytes is the intended size.
  explicit TlsHelloAccumulator(std::span<uint8_t> storage) noexcept : storage_(storage) {}

  // Feeds the next bytes of the client stream; returns the status after them. Bytes after the
  // end of the ClientHello are not consumed (see consumed()).
  TlsHelloStatus feed(const uint8_t* data, size_t len) noexcept;

  TlsHelloStatus status() const noexcept { return status_; }
  TlsMalformed reason() const noexcept { return reason_; }  // with malformed
  const TlsClientHello& hello() const noexcept { return hello_; }
  // Stream bytes used: with done, exactly the ClientHello's records (what follows is the
  // caller's); otherwise the bytes up to where the status was decided. The same for any split.
  size_t consumed() const noexcept { return consumed_; }
  void reset() noexcept;

 private:
  TlsHelloStatus fail(TlsMalformed why) noexcept;
  TlsHelloStatus on_record_header_byte(uint8_t byte) noexcept;
  TlsHelloStatus check_lengths() noexcept;

  std::span<uint8_t> storage_;
  TlsClientHello hello_;
  TlsHelloStatus status_ = TlsHelloStatus::need_more;
  TlsMalformed reason_ = TlsMalformed::none;
  std::array<uint8_t, 5> record_header_{};
  uint8_t record_header_len_ = 0;
  bool first_record_ = true;
  size_t record_remaining_ = 0;  // payload bytes of the current record still to come
  size_t message_len_ = 0;       // handshake bytes stored
  size_t message_total_ = 0;     // 4 + handshake length, once the header is in; 0 before
  size_t consumed_ = 0;
};

}  // namespace gauntlet
