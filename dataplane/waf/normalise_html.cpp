// HTML character reference decoding. Behaviour is specified in normalise.h. The named set is
// deliberately small: the references that XSS payloads use to spell markup and JavaScript
// punctuation, not the 2,000 names of the HTML standard.
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

#include "dataplane/waf/normalise.h"
#include "dataplane/waf/normalise_writer.h"

namespace gauntlet {
namespace {

using normalise_detail::BoundedWriter;
using normalise_detail::encode_utf8;
using normalise_detail::hex_digit;

struct NamedEntity {
  std::string_view name;
  std::string_view text;  // UTF-8
};

constexpr std::array<NamedEntity, 44> kNamedEntities = {{
    {"lt", "<"},     {"LT", "<"},           {"gt", ">"},     {"GT", ">"},     {"amp", "&"},
    {"AMP", "&"},    {"quot", "\""},        {"QUOT", "\""},  {"apos", "'"},   {"nbsp", "\xc2\xa0"},
    {"Tab", "\t"},   {"NewLine", "\n"},     {"colon", ":"},  {"semi", ";"},   {"comma", ","},
    {"period", "."}, {"excl", "!"},         {"quest", "?"},  {"num", "#"},    {"dollar", "$"},
    {"percnt", "%"}, {"plus", "+"},         {"equals", "="}, {"commat", "@"}, {"lpar", "("},
    {"rpar", ")"},   {"lsqb", "["},         {"rsqb", "]"},   {"lbrack", "["}, {"rbrack", "]"},
    {"lcub", "{"},   {"rcub", "}"},         {"lbrace", "{"}, {"rbrace", "}"}, {"sol", "/"},
    {"bsol", "\\"},  {"grave", "`"},        {"Hat", "^"},    {"lowbar", "_"}, {"verbar", "|"},
    {"vert", "|"},   {"VerticalLine", "|"}, {"ast", "*"},    {"midast", "*"},
}};

constexpr uint32_t kReplacementCharacter = 0xfffd;

// A numeric reference at in[at] == '&' (in[at + 1] == '#'). Returns the bytes consumed, 0 when
// it is not one (no digits).
size_t decode_numeric(std::string_view in, size_t at, HtmlEntityText& text) noexcept {
  size_t i = at + 2;
  const bool hex = i < in.size() && (in[i] == 'x' || in[i] == 'X');
  if (hex) ++i;
  const size_t digits_start = i;
  uint32_t cp = 0;
  for (; i < in.size(); ++i) {
    const int d = hex ? hex_digit(in[i]) : (in[i] >= '0' && in[i] <= '9' ? in[i] - '0' : -1);
    if (d < 0) break;
    // Saturate past U+10FFFF: the value is already invalid, and the digits keep coming.
    cp = cp > 0x10ffff ? cp : cp * (hex ? 16 : 10) + static_cast<uint32_t>(d);
  }
  if (i == digits_start) return 0;
  if (i < in.size() && in[i] == ';') ++i;
  if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) cp = kReplacementCharacter;
  text.size = static_cast<uint8_t>(encode_utf8(cp, text.bytes));
  return i - at;
}

// Per byte, the named entities whose name starts with it (bit k: kNamedEntities[k]). An '&'
// before most bytes (a query's `&utm_source=`) starts no name and costs one lookup.
static_assert(kNamedEntities.size() <= 64);
constexpr std::array<uint64_t, 256> kNamedEntitiesByFirstByte = [] {
  std::array<uint64_t, 256> t{};
  for (size_t k = 0; k < kNamedEntities.size(); ++k)
    t[static_cast<unsigned char>(kNamedEntities[k].name[0])] |= uint64_t{1} << k;
  return t;
}();

// A named reference at in[at] == '&'. Returns the bytes consumed, 0 when no known name.
size_t decode_named(std::string_view in, size_t at, HtmlEntityText& text) noexcept {
  if (at + 1 >= in.size()) return 0;
  const std::string_view rest = in.substr(at + 1);
  const NamedEntity* best = nullptr;
  for (uint64_t candidates = kNamedEntitiesByFirstByte[static_cast<unsigned char>(rest[0])];
       candidates != 0; candidates &= candidates - 1) {
    const NamedEntity& e = kNamedEntities[static_cast<size_t>(std::countr_zero(candidates))];
    if (rest.starts_with(e.name) && (best == nullptr || e.name.size() > best->name.size()))
      best = &e;
  }
  if (best == nullptr) return 0;
  size_t consumed = 1 + best->name.size();
  if (at + consumed < in.size() && in[at + consumed] == ';') ++consumed;
  std::memcpy(text.bytes, best->text.data(), best->text.size());
  text.size = static_cast<uint8_t>(best->text.size());
  return consumed;
}

}  // namespace

size_t decode_html_entity(std::string_view in, size_t at, HtmlEntityText& text) noexcept {
  const bool numeric = at + 1 < in.size() && in[at + 1] == '#';
  return numeric ? decode_numeric(in, at, text) : decode_named(in, at, text);
}

NormaliseResult decode_html_entities(std::string_view in, std::span<char> out) noexcept {
  BoundedWriter w(out);
  uint16_t flags = 0;
  for (size_t i = 0; i < in.size() && !w.full();) {
    if (in[i] == '&') {
      HtmlEntityText text;
      if (const size_t consumed = decode_html_entity(in, i, text); consumed > 0) {
        flags |= kNormHtmlEntity;
        w.put(text.bytes, text.size);
        i += consumed;
        continue;
      }
    }
    w.put(in[i]);
    ++i;
  }
  return w.result(flags);
}

}  // namespace gauntlet
