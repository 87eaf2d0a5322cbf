// Fuzzes the TLS ClientHello accumulator (dataplane/waf/tls_client_hello.h). Input: two bytes
// choosing a split position, then the client's stream. The stream is fed in two parts, each
// from its own exact-size buffer, and then whole to the same accumulator after reset(); the
// header promises the same status, reason, consumed() and hello for every split, so any
// difference aborts. The body parser is also run directly on the stream.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dataplane/waf/tls_client_hello.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using gauntlet::TlsHelloAccumulator;
using gauntlet::TlsHelloStatus;
using gauntlet::fuzz::check;
using gauntlet::fuzz::exact_copy;

// What a finished accumulator says, as plain values (its spans point into its storage).
struct Outcome {
  TlsHelloStatus status;
  gauntlet::TlsMalformed reason;
  size_t consumed;
  std::string sni;
  std::vector<std::string> alpn;
  std::vector<uint8_t> ciphers, extensions;
  uint16_t extension_count = 0, alpn_count = 0, client_version = 0;
  bool offers_tls13 = false;
  bool operator==(const Outcome&) const = default;
};

Outcome outcome_of(const TlsHelloAccumulator& a) {
  Outcome o{a.status(), a.reason(), a.consumed(), {}, {}, {}, {}};
  if (a.status() != TlsHelloStatus::done) return o;
  const gauntlet::TlsClientHello& h = a.hello();
  o.sni = std::string(h.sni());
  for (std::string_view p : h.alpn_protocols()) o.alpn.emplace_back(p);
  o.ciphers.assign(h.cipher_suites.begin(), h.cipher_suites.end());
  o.extensions.assign(h.extensions.begin(), h.extensions.end());
  o.extension_count = h.extension_count;
  o.alpn_count = h.alpn_count;
  o.client_version = h.client_version;
  o.offers_tls13 = h.offers_tls13;
  return o;
}

void feed(TlsHelloAccumulator& a, const uint8_t* data, size_t len) {
  const auto copy = exact_copy(data, len);
  a.feed(copy.get(), len);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t split_at = (size_t{data[0]} << 8 | data[1]);
  const uint8_t* stream = data + 2;
  const size_t len = size - 2;
  const size_t split = split_at % (len + 1);

  static std::array<uint8_t, gauntlet::kTlsHelloStorageBytes> storage;
  TlsHelloAccumulator a(storage);
  feed(a, stream, split);
  feed(a, stream + split, len - split);
  check(a.consumed() <= len, "consumed more than was fed");
  const Outcome split_outcome = outcome_of(a);

  a.reset();
  feed(a, stream, len);
  check(outcome_of(a) == split_outcome, "split feed and whole feed disagree");

  gauntlet::TlsClientHello hello;
  const auto body = exact_copy(stream, len);
  gauntlet::parse_client_hello_body(std::span<const uint8_t>(body.get(), len), hello);
  return 0;
}
