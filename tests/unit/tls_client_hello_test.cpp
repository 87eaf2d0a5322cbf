// Tests for the TLS ClientHello accumulator and parser: ClientHellos assembled here field by
// field, SNI / ALPN / supported_versions extracted, every split of the stream, record-level
// fragmentation, lying lengths at every level, non-TLS input and the storage bound. No EAL.
#include "dataplane/waf/tls_client_hello.h"

#include <cstdint>
#include <gtest/gtest.h>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gauntlet {
namespace {

using Bytes = std::vector<uint8_t>;
using S = TlsHelloStatus;
using M = TlsMalformed;

void put16(Bytes& b, size_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
void append(Bytes& b, const Bytes& more) { b.insert(b.end(), more.begin(), more.end()); }
Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }

struct Extension {
  uint16_t type;
  Bytes data;
};

Extension sni_extension(const std::vector<std::string>& names) {
  Bytes list;
  for (const std::string& n : names) {
    list.push_back(0);  // host_name
    put16(list, n.size());
    append(list, text(n));
  }
  Bytes data;
  put16(data, list.size());
  append(data, list);
  return {0, data};
}

Extension alpn_extension(const std::vector<std::string>& protocols) {
  Bytes list;
  for (const std::string& p : protocols) {
    list.push_back(static_cast<uint8_t>(p.size()));
    append(list, text(p));
  }
  Bytes data;
  put16(data, list.size());
  append(data, list);
  return {16, data};
}

Extension versions_extension(const std::vector<uint16_t>& versions) {
  Bytes data = {static_cast<uint8_t>(versions.size() * 2)};
  for (uint16_t v : versions) put16(data, v);
  return {43, data};
}

// A ClientHello, field by field; offsets of every length field are kept so that tests can
// make any one of them lie.
struct Hello {
  uint16_t record_version = 0x0301;
  uint16_t client_version = 0x0303;
  Bytes session_id = Bytes(32, 0xab);
  std::vector<uint16_t> ciphers = {0x1301, 0x1302, 0xc02f};
  Bytes compression = {0};
  bool with_extensions = true;
  std::vector<Extension> extensions = {
      sni_extension({"WWW.Example.com"}),
      {0x000a, {0x00, 0x02, 0x00, 0x1d}},  // supported_groups, not read
      alpn_extension({"h2", "http/1.1"}),
      versions_extension({0x0304, 0x0303}),
  };

  // Offsets (into the whole record) filled by build().
  size_t session_id_len_at = 0, ciphers_len_at = 0, compression_len_at = 0, extensions_len_at = 0;
  std::vector<size_t> extension_len_at;  // per extension: its 2-byte length

  Bytes body() {
    Bytes b;
    put16(b, client_version);
    append(b, Bytes(32, 0x5a));  // random
    session_id_len_at = b.size();
    b.push_back(static_cast<uint8_t>(session_id.size()));
    append(b, session_id);
    ciphers_len_at = b.size();
    put16(b, ciphers.size() * 2);
    for (uint16_t c : ciphers) put16(b, c);
    compression_len_at = b.size();
    b.push_back(static_cast<uint8_t>(compression.size()));
    append(b, compression);
    if (!with_extensions) return b;
    Bytes block;
    extension_len_at.clear();
    for (const Extension& e : extensions) {
      put16(block, e.type);
      extension_len_at.push_back(b.size() + 2 + block.size());
      put16(block, e.data.size());
      append(block, e.data);
    }
    extensions_len_at = b.size();
    put16(b, block.size());
    append(b, block);
    return b;
  }

  Bytes handshake() {
    const Bytes b = body();
    Bytes h = {1, static_cast<uint8_t>(b.size() >> 16), static_cast<uint8_t>(b.size() >> 8),
               static_cast<uint8_t>(b.size())};
    append(h, b);
    return h;
  }

  // One record holding the whole handshake; body offsets shifted to record offsets.
  Bytes record() {
    const Bytes h = handshake();
    Bytes r = {22, static_cast<uint8_t>(record_version >> 8), static_cast<uint8_t>(record_version)};
    put16(r, h.size());
    append(r, h);
    constexpr size_t kBodyAt = 9;  // record header 5 + handshake header 4
    for (size_t* at :
         {&session_id_len_at, &ciphers_len_at, &compression_len_at, &extensions_len_at})
      *at += kBodyAt;
    for (size_t& at : extension_len_at) at += kBodyAt;
    return r;
  }
};

// Records of at most `fragment` payload bytes each, carrying `handshake`.
Bytes fragmented(const Bytes& handshake, size_t fragment) {
  Bytes out;
  for (size_t at = 0; at < handshake.size(); at += fragment) {
    const size_t n = std::min(fragment, handshake.size() - at);
    append(out, {22, 3, 1});
    put16(out, n);
    out.insert(out.end(), handshake.begin() + static_cast<long>(at),
               handshake.begin() + static_cast<long>(at + n));
  }
  return out;
}

void set16(Bytes& b, size_t at, size_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}
size_t get16(const Bytes& b, size_t at) { return size_t{b[at]} << 8 | b[at + 1]; }

struct Fed {
  Bytes storage = Bytes(kTlsHelloStorageBytes);
  TlsHelloAccumulator acc{storage};
  TlsHelloStatus feed(const Bytes& b) { return acc.feed(b.data(), b.size()); }
  TlsHelloStatus feed(const Bytes& b, size_t from, size_t to) {
    return acc.feed(b.data() + from, to - from);
  }
};

// Status and reason after feeding `bytes` whole (the accumulator outlives the call in a copy
// of the views only through these plain values).
std::pair<S, M> outcome(const Bytes& bytes) {
  Fed f;
  f.feed(bytes);
  return {f.acc.status(), f.acc.reason()};
}

std::string describe(const TlsHelloAccumulator& a) {
  const TlsClientHello& h = a.hello();
  std::string s = std::string(tls_hello_status_name(a.status())) + " " +
                  std::string(tls_malformed_name(a.reason())) + " sni=" + std::string(h.sni()) +
                  " alpn=";
  for (std::string_view p : h.alpn_protocols()) s += std::string(p) + ",";
  return s + " tls13=" + std::to_string(h.offers_tls13) +
         " consumed=" + std::to_string(a.consumed());
}

TEST(TlsClientHello, ExtractsSniLowercasedAlpnAndTls13) {
  Hello spec;
  const Bytes record = spec.record();
  Fed f;
  ASSERT_EQ(f.feed(record), S::done) << describe(f.acc);
  const TlsClientHello& h = f.acc.hello();
  EXPECT_EQ(h.sni(), "www.example.com");
  ASSERT_EQ(h.alpn_protocols().size(), 2u);
  EXPECT_EQ(h.alpn_protocols()[0], "h2");
  EXPECT_EQ(h.alpn_protocols()[1], "http/1.1");
  EXPECT_TRUE(h.has_supported_versions);
  EXPECT_TRUE(h.offers_tls13);
  EXPECT_EQ(h.record_version, 0x0301);
  EXPECT_EQ(h.client_version, 0x0303);
  EXPECT_EQ(h.session_id.size(), 32u);
  EXPECT_EQ(h.random.size(), 32u);
  ASSERT_EQ(h.cipher_suite_count(), 3u);
  EXPECT_EQ(h.cipher_suite(0), 0x1301);
  EXPECT_EQ(h.cipher_suite(2), 0xc02f);
  EXPECT_EQ(h.compression_methods.size(), 1u);
  EXPECT_EQ(h.extension_count, 4u);
  EXPECT_EQ(f.acc.consumed(), record.size());
}

TEST(TlsClientHello, HelloWithoutExtensionsIsDoneWithoutSni) {
  Hello spec;
  spec.with_extensions = false;
  spec.session_id.clear();
  Fed f;
  ASSERT_EQ(f.feed(spec.record()), S::done) << describe(f.acc);
  EXPECT_FALSE(f.acc.hello().has_sni);
  EXPECT_FALSE(f.acc.hello().has_alpn);
  EXPECT_FALSE(f.acc.hello().offers_tls13);
  EXPECT_TRUE(f.acc.hello().extensions.empty());
}

TEST(TlsClientHello, ManyAlpnProtocolsAreCountedAndTheFirstEightKept) {
  Hello spec;
  std::vector<std::string> protocols;
  for (int i = 0; i < 10; ++i) protocols.push_back("p" + std::to_string(i));
  spec.extensions = {alpn_extension(protocols), versions_extension({0x0303})};
  Fed f;
  ASSERT_EQ(f.feed(spec.record()), S::done) << describe(f.acc);
  EXPECT_EQ(f.acc.hello().alpn_count, 10u);
  ASSERT_EQ(f.acc.hello().alpn_protocols().size(), kTlsMaxAlpnProtocols);
  EXPECT_EQ(f.acc.hello().alpn_protocols()[7], "p7");
  EXPECT_FALSE(f.acc.hello().offers_tls13);
}

TEST(TlsClientHello, EveryTwoSegmentSplitAndByteAtATimeGiveTheSameResult) {
  Hello spec;
  const Bytes record = spec.record();
  Fed whole;
  whole.feed(record);
  const std::string expected = describe(whole.acc);
  for (size_t cut = 0; cut <= record.size(); ++cut) {
    Fed f;
    const S first = f.feed(record, 0, cut);
    if (cut < record.size()) {
      EXPECT_EQ(first, S::need_more) << "cut " << cut;
    }
    f.feed(record, cut, record.size());
    ASSERT_EQ(describe(f.acc), expected) << "cut " << cut;
  }
  Fed bytewise;
  for (size_t i = 0; i < record.size(); ++i) bytewise.feed(record, i, i + 1);
  EXPECT_EQ(describe(bytewise.acc), expected);
}

// Found by fuzzing: where a verdict is decided must not depend on the split either.
TEST(TlsClientHello, MalformedVerdictAndConsumedAreTheSameForEverySplit) {
  Hello spec;
  Bytes wrong_type = spec.record();
  wrong_type[5] = 2;  // ServerHello
  for (const auto& [stream, storage_size] :
       std::vector<std::pair<Bytes, size_t>>{{spec.record(), 64}, {wrong_type, 4096}}) {
    auto run = [&, &stream = stream, storage_size = storage_size](size_t cut) {
      Bytes storage(storage_size);
      TlsHelloAccumulator acc(storage);
      acc.feed(stream.data(), cut);
      acc.feed(stream.data() + cut, stream.size() - cut);
      return describe(acc);
    };
    const std::string whole = run(stream.size());
    EXPECT_NE(whole.find("malformed"), std::string::npos) << whole;
    for (size_t cut = 0; cut <= stream.size(); ++cut) ASSERT_EQ(run(cut), whole) << "cut " << cut;
  }
}

TEST(TlsClientHello, HandshakeFragmentedOverManyRecordsIsReassembled) {
  Hello spec;
  const Bytes handshake = spec.handshake();
  for (size_t fragment : {1u, 2u, 3u, 7u, 100u}) {
    const Bytes stream = fragmented(handshake, fragment);
    Fed f;
    ASSERT_EQ(f.feed(stream), S::done) << "fragment " << fragment << " " << describe(f.acc);
    EXPECT_EQ(f.acc.hello().sni(), "www.example.com");
    EXPECT_EQ(f.acc.consumed(), stream.size());
  }
}

TEST(TlsClientHello, BytesAfterTheHelloAreNotConsumedAndLaterFeedsChangeNothing) {
  Hello spec;
  Bytes stream = spec.record();
  const size_t hello_size = stream.size();
  append(stream, {23, 3, 3, 0, 5, 1, 2, 3, 4, 5});  // early application data
  Fed f;
  ASSERT_EQ(f.feed(stream), S::done);
  EXPECT_EQ(f.acc.consumed(), hello_size);
  EXPECT_EQ(f.feed(text("GET / HTTP/1.1\r\n")), S::done);
  EXPECT_EQ(f.acc.consumed(), hello_size);
}

TEST(TlsClientHello, NonTlsBytesAreNotTls) {
  EXPECT_EQ(outcome(text("GET / HTTP/1.1\r\nHost: x\r\n\r\n")).first, S::not_tls);
  EXPECT_EQ(outcome(text("G")).first, S::not_tls);                       // decided on byte one
  EXPECT_EQ(outcome({0x80, 0x2e, 0x01, 0x03, 0x01}).first, S::not_tls);  // SSLv2 hello
  EXPECT_EQ(outcome({22, 2, 0}).first, S::not_tls);                      // not version 3.x
  EXPECT_EQ(outcome({22, 3, 5}).first, S::not_tls);
  EXPECT_EQ(outcome({22, 3}).first, S::need_more);
  EXPECT_EQ(outcome({}).first, S::need_more);
}

TEST(TlsClientHello, SniIsValidatedAsADnsName) {
  struct Case {
    std::string name;
    bool valid;
  };
  const std::vector<Case> cases = {
      {"example.com", true},
      {"a", true},
      {"xn--bcher-kva.example", true},
      {"under_score.example", true},
      {std::string(63, 'a') + ".com", true},
      {std::string(64, 'a') + ".com", false},
      {"example.com.", false},
      {".example.com", false},
      {"a..b", false},
      {"exa mple.com", false},
      {std::string("exa\0mple.com", 12), false},
      {"example.com:443", false},
      {"", false},
      {std::string(kTlsMaxSniLength, 'a'), false},  // one label too long anyway
  };
  for (const Case& c : cases) {
    Hello spec;
    spec.extensions = {sni_extension({c.name})};
    const auto [status, reason] = outcome(spec.record());
    if (c.valid) {
      EXPECT_EQ(status, S::done) << c.name;
    } else {
      EXPECT_EQ(status, S::malformed) << c.name;
      EXPECT_EQ(reason, M::sni_invalid_name) << c.name;
    }
  }
  // The longest valid name: 253 bytes in labels of 63.
  std::string longest = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                        std::string(63, 'c') + "." + std::string(61, 'd');
  ASSERT_EQ(longest.size(), 253u);
  Hello spec;
  spec.extensions = {sni_extension({longest})};
  Fed f;
  ASSERT_EQ(f.feed(spec.record()), S::done);
  EXPECT_EQ(f.acc.hello().sni(), longest);
  spec.extensions = {sni_extension({longest + "e"})};
  EXPECT_EQ(outcome(spec.record()).second, M::sni_invalid_name);
}

TEST(TlsClientHello, DuplicateExtensionsAndDuplicateHostNamesAreMalformed) {
  Hello spec;
  spec.extensions = {sni_extension({"a.example"}), sni_extension({"b.example"})};
  EXPECT_EQ(outcome(spec.record()).second, M::duplicate_extension);
  spec.extensions = {sni_extension({"a.example", "b.example"})};
  EXPECT_EQ(outcome(spec.record()).second, M::sni_duplicate_name);
}

// A length that runs past its parent gets the reason naming it; one that stops short
// misaligns what follows, which is malformed too (its reason depends on what follows).
TEST(TlsClientHello, LyingLengthsAtEveryLevelAreMalformed) {
  Hello spec;
  const Bytes good = spec.record();
  auto lie16 = [&](size_t at, size_t value) {
    Bytes b = good;
    set16(b, at, value);
    return outcome(b);
  };
  auto lie8 = [&](size_t at, uint8_t value) {
    Bytes b = good;
    b[at] = value;
    return outcome(b);
  };
  const size_t record_len = get16(good, 3);
  EXPECT_EQ(lie16(3, record_len + 1).second, M::record_handshake_mismatch);
  EXPECT_EQ(lie16(3, 0).second, M::record_length);
  EXPECT_EQ(lie16(3, kTlsMaxRecordPayload + 1).second, M::record_length);
  // Shorter: the rest of the hello is read as the next record header, and its first byte
  // is not a handshake record.
  ASSERT_NE(good.back(), 22);
  EXPECT_EQ(lie16(3, record_len - 1).second, M::record_type);

  const size_t handshake_len = get16(good, 7);  // low 16 of the 24-bit length
  EXPECT_EQ(lie16(7, handshake_len - 1).second, M::record_handshake_mismatch);
  EXPECT_EQ(lie8(5, 2).second, M::handshake_type);

  EXPECT_EQ(lie8(spec.session_id_len_at, 33).second, M::session_id_length);
  EXPECT_EQ(lie8(spec.session_id_len_at, 31).first, S::malformed);
  EXPECT_EQ(lie16(spec.ciphers_len_at, 0xfffe).second, M::cipher_suites_length);
  EXPECT_EQ(lie16(spec.ciphers_len_at, 7).second, M::cipher_suites_length);  // odd
  EXPECT_EQ(lie16(spec.ciphers_len_at, 0).second, M::cipher_suites_length);
  EXPECT_EQ(lie16(spec.ciphers_len_at, 4).first, S::malformed);
  EXPECT_EQ(lie8(spec.compression_len_at, 0xff).second, M::compression_length);
  EXPECT_EQ(lie8(spec.compression_len_at, 0).second, M::compression_length);

  const size_t block = get16(good, spec.extensions_len_at);
  EXPECT_EQ(lie16(spec.extensions_len_at, block + 1).second, M::extensions_length);
  EXPECT_EQ(lie16(spec.extensions_len_at, block - 1).second, M::extensions_length);
  for (size_t k = 0; k < spec.extension_len_at.size(); ++k) {
    const size_t at = spec.extension_len_at[k];
    EXPECT_EQ(lie16(at, 0xffff).second, M::extension_length) << "extension " << k;
    EXPECT_EQ(lie16(at, get16(good, at) + 1).first, S::malformed) << "extension " << k;
    if (spec.extensions[k].type != 0x000a) {  // an extension not read can be any length
      EXPECT_EQ(lie16(at, get16(good, at) - 1).first, S::malformed) << "extension " << k;
    }
  }

  // Inside server_name (the first extension): list, then the one name.
  const size_t sni_list_at = spec.extension_len_at[0] + 2;
  const size_t name_len_at = sni_list_at + 3;
  EXPECT_EQ(lie16(sni_list_at, get16(good, sni_list_at) + 1).second, M::sni_list_length);
  EXPECT_EQ(lie16(sni_list_at, get16(good, sni_list_at) - 1).second, M::sni_list_length);
  EXPECT_EQ(lie16(sni_list_at, 0).second, M::sni_list_length);
  EXPECT_EQ(lie16(name_len_at, get16(good, name_len_at) + 1).second, M::sni_name_length);
  EXPECT_EQ(lie16(name_len_at, get16(good, name_len_at) - 1).second, M::sni_name_length);

  // Inside ALPN (the third extension): list, then the first protocol.
  const size_t alpn_list_at = spec.extension_len_at[2] + 2;
  EXPECT_EQ(lie16(alpn_list_at, get16(good, alpn_list_at) + 1).second, M::alpn_list_length);
  EXPECT_EQ(lie8(alpn_list_at + 2, 0).second, M::alpn_protocol_length);
  EXPECT_EQ(lie8(alpn_list_at + 2, 200).second, M::alpn_protocol_length);

  // supported_versions (the fourth): its one-byte list length.
  const size_t versions_at = spec.extension_len_at[3] + 2;
  EXPECT_EQ(lie8(versions_at, good[versions_at] + 1).second, M::supported_versions_length);
  EXPECT_EQ(lie8(versions_at, good[versions_at] - 1).second, M::supported_versions_length);
}

TEST(TlsClientHello, HandshakeLongerThanItsRecordWaitsForTheNextRecord) {
  Hello spec;
  Bytes stream = spec.record();
  set16(stream, 7, get16(stream, 7) + 1);  // the message now claims one more byte
  Fed f;
  EXPECT_EQ(f.feed(stream), S::need_more);  // legal so far: it may continue in a record
  EXPECT_EQ(f.feed({23, 3, 3, 0, 1, 0}), S::malformed);
  EXPECT_EQ(f.acc.reason(), M::record_type);
}

TEST(TlsClientHello, TruncatedFixedFieldsAreAHandshakeLengthError) {
  Bytes stream = {22, 3, 1, 0, 10, 1, 0, 0, 6, 3, 3, 1, 2, 3, 4};  // random cut short
  EXPECT_EQ(outcome(stream).second, M::handshake_length);
  stream = {22, 3, 1, 0, 5, 1, 0, 0, 1, 3};  // not even the client version
  EXPECT_EQ(outcome(stream).second, M::handshake_length);
}

TEST(TlsClientHello, ClientVersionMustBeThreeDotSomething) {
  Hello spec;
  spec.client_version = 0x0203;
  EXPECT_EQ(outcome(spec.record()).second, M::client_version);
}

TEST(TlsClientHello, HelloLargerThanStorageIsMalformedAndNothingOverflows) {
  Hello spec;
  spec.extensions.push_back({0xff01, Bytes(600, 0)});
  const Bytes stream = spec.record();
  Bytes small(512);
  TlsHelloAccumulator acc(small);
  EXPECT_EQ(acc.feed(stream.data(), stream.size()), S::malformed);
  EXPECT_EQ(acc.reason(), M::hello_too_large);
  // The same with the message in tiny records, where the length arrives before the bytes.
  TlsHelloAccumulator fragmented_acc(small);
  const Bytes pieces = fragmented(spec.handshake(), 3);
  EXPECT_EQ(fragmented_acc.feed(pieces.data(), pieces.size()), S::malformed);
  EXPECT_EQ(fragmented_acc.reason(), M::hello_too_large);
}

TEST(TlsClientHello, ResetStartsOver) {
  Fed f;
  EXPECT_EQ(f.feed(text("GET /")), S::not_tls);
  f.acc.reset();
  Hello spec;
  EXPECT_EQ(f.feed(spec.record()), S::done);
  EXPECT_EQ(f.acc.hello().sni(), "www.example.com");
}

TEST(TlsClientHello, ReasonNamesAreNamespaced) {
  for (size_t m = 1; m < static_cast<size_t>(M::count); ++m)
    EXPECT_EQ(tls_malformed_name(static_cast<M>(m)).substr(0, 4), "tls:");
}

}  // namespace
}  // namespace gauntlet
