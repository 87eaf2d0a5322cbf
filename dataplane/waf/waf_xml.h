// Splitting an XML request body into the arguments the WAF matches one by one, as CRS 4 does
// with ModSecurity's XML processor: every attribute value, every text node and every CDATA
// section is a value, every element and attribute name a name. Rules anchored to a value's
// start or end (a lone quote, `;ps`) then see the attribute value, not the whole document.
//
// A tokenizer, not a validator: nesting and end-tag names are not checked, and it reads on
// through faults, so that a damaged document still has its values matched. It never expands
// entities: the five predefined ones and character references (&#N; &#xH;) are decoded,
// any other reference (&name;, declared in a DOCTYPE or not) stays as written. Comments,
// processing instructions (<?xml ...?> included), DOCTYPE and other declarations (an internal
// subset in [...] included) and end tags are skipped. Text nodes are trimmed of XML
// whitespace and skipped when nothing is left; attribute values are kept as written.
//
// Work and memory: one pass over the input, each byte looked at a bounded number of times; no
// allocation. Values without '&' are views into the input; a decoded value is written into
// the caller's `buf` (truncated to it) and is valid until the next visit.
// Hot path: noexcept, header-only so the visitor is inlined.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "dataplane/waf/http_syntax.h"

namespace gauntlet::waf_args {

// How a document was read. Whatever the outcome, the arguments found before it are visited.
enum class XmlOutcome : uint8_t {
  complete,   // read to its end, every construct closed
  malformed,  // read to its end through faults: a '<' that starts no markup (read as text),
              // an attribute without '=' or quotes, stray bytes in a tag (skipped)
  truncated,  // the input ends inside markup (a tag, a quoted value, a comment, CDATA, a
              // declaration): the partial value or CDATA is visited as it is
  limited,    // max_arguments reached: the rest is not split (still matched as the body)
};

// Arguments (names and values together) split from one body at most.
inline constexpr size_t kXmlMaxArguments = 1024;

namespace xml_detail {

constexpr bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
// XML name characters, loosely: any byte >= 0x80 counts (UTF-8 names are not validated).
constexpr bool is_name_start(char c) noexcept {
  const auto u = static_cast<uint8_t>(c);
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || u == '_' || u == ':' || u >= 0x80;
}
constexpr bool is_name_char(char c) noexcept {
  return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

constexpr std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// The code point of a character reference's digits ("#60", "#x3c"); 0 when it is not one
// (too long, no digits, not a Unicode scalar value).
constexpr uint32_t char_ref(std::string_view ref) noexcept {
  if (ref.size() < 2 || ref.size() > 9 || ref[0] != '#') return 0;
  const bool hex = ref[1] == 'x';
  const size_t first = hex ? 2 : 1;
  if (first == ref.size()) return 0;
  uint32_t cp = 0;
  for (size_t k = first; k < ref.size(); ++k) {
    const int d = hex ? http_syntax::hex_value(static_cast<uint8_t>(ref[k]))
                      : (ref[k] >= '0' && ref[k] <= '9' ? ref[k] - '0' : -1);
    if (d < 0) return 0;
    cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(d);
    if (cp > 0x10ffff) return 0;
  }
  return cp >= 0xd800 && cp <= 0xdfff ? 0 : cp;
}

// One reference's replacement ("lt" -> "<", "#x41" -> "A") into out[4]; its length, 0 when
// the reference is not predefined nor a character reference (it is then kept as written).
constexpr size_t replacement(std::string_view ref, char* out) noexcept {
  constexpr struct {
    std::string_view name;
    char c;
  } kPredefined[] = {{"lt", '<'}, {"gt", '>'}, {"amp", '&'}, {"quot", '"'}, {"apos", '\''}};
  for (const auto& p : kPredefined)
    if (ref == p.name) {
      out[0] = p.c;
      return 1;
    }
  const uint32_t cp = char_ref(ref);
  if (cp == 0) return 0;
  if (cp < 0x80) {
    out[0] = static_cast<char>(cp);
    return 1;
  }
  size_t n = cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  constexpr uint8_t kLead[] = {0, 0, 0xc0, 0xe0, 0xf0};
  uint32_t rest = cp;
  for (size_t k = n - 1; k > 0; --k, rest >>= 6) out[k] = static_cast<char>(0x80 | (rest & 0x3f));
  out[0] = static_cast<char>(kLead[n] | rest);
  return n;
}

// `text` with its references decoded into `buf` (truncated to it); the decoded length.
inline size_t decode_references(std::string_view text, std::span<char> buf) noexcept {
  size_t n = 0;
  for (size_t i = 0; i < text.size() && n < buf.size();) {
    if (text[i] == '&') {
      const size_t semi = text.substr(i + 1, 10).find(';');
      char rep[4];
      const size_t len =
          semi == std::string_view::npos ? 0 : replacement(text.substr(i + 1, semi), rep);
      if (len != 0) {
        for (size_t k = 0; k < len && n < buf.size(); ++k) buf[n++] = rep[k];
        i += semi + 2;
        continue;
      }
    }
    buf[n++] = text[i++];
  }
  return n;
}

// Past the '>' that closes a declaration starting at `at` ("<!DOCTYPE x [ ... ]>"): quoted
// strings and an internal subset in brackets are read over, and each quoted string (a
// public or system identifier, an entity's value) is given to literal(). npos when the input
// ends first (an unclosed literal is given as it is).
template <class Literal>
size_t skip_declaration(std::string_view s, size_t at, Literal&& literal) noexcept {
  char quote = 0;
  int depth = 0;
  size_t open = 0;
  for (size_t i = at + 2; i < s.size(); ++i) {
    const char c = s[i];
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
        if (!literal(s.substr(open, i - open))) return std::string_view::npos;
      }
    } else if (c == '"' || c == '\'') {
      quote = c;
      open = i + 1;
    } else if (c == '[') {
      ++depth;
    } else if (c == ']') {
      depth -= depth > 0 ? 1 : 0;
    } else if (c == '>' && depth == 0) {
      return i + 1;
    }
  }
  if (quote != 0) literal(s.substr(open));
  return std::string_view::npos;
}

enum class Markup : uint8_t { text, partial, start_tag, end_tag, comment, cdata, pi, declaration };

// What the '<' at `at` starts. `partial`: the input ends before that can be told.
constexpr Markup markup_at(std::string_view s, size_t at) noexcept {
  const std::string_view rest = s.substr(at);
  if (rest.size() < 2) return Markup::partial;
  if (rest[1] == '/') return Markup::end_tag;
  if (rest[1] == '?') return Markup::pi;
  if (is_name_start(rest[1])) return Markup::start_tag;
  if (rest[1] != '!') return Markup::text;
  constexpr std::string_view kComment = "<!--", kCdata = "<![CDATA[";
  if (rest.starts_with(kComment)) return Markup::comment;
  if (rest.starts_with(kCdata)) return Markup::cdata;
  if (kComment.starts_with(rest) || kCdata.starts_with(rest)) return Markup::partial;
  return Markup::declaration;
}

}  // namespace xml_detail

// Visits visit(text, is_name) for each argument of the XML document `s` in document order;
// `buf` receives decoded values. At most `max_arguments` visits.
template <class Visit>
XmlOutcome for_each_xml_argument(std::string_view s, std::span<char> buf, size_t max_arguments,
                                 Visit&& visit) noexcept {
  using namespace xml_detail;
  constexpr size_t npos = std::string_view::npos;
  size_t visited = 0;
  bool malformed = false;
  // false when the limit is reached (nothing is visited then).
  auto emit = [&](std::string_view text, bool name, bool decode) {
    if (text.empty()) return true;
    if (visited == max_arguments) return false;
    if (decode && text.find('&') != npos) {
      // "&#0;" decodes to nothing, and so does anything into a buffer of no bytes.
      text = {buf.data(), decode_references(text, buf)};
      if (text.empty()) return true;
    }
    ++visited;
    visit(text, name);
    return true;
  };
  const auto done = [&] { return malformed ? XmlOutcome::malformed : XmlOutcome::complete; };
  // Skips the tag that starts at `at` (its name is visited); past its '>', npos at the
  // input's end, or at a '<' inside it (a fault: the '<' is read as markup again).
  enum class Tag : uint8_t { ended, truncated, limited };
  auto start_tag = [&](size_t at, size_t& pos) {
    pos = at + 1;
    while (pos < s.size() && is_name_char(s[pos])) ++pos;
    if (!emit(s.substr(at + 1, pos - at - 1), true, false)) return Tag::limited;
    bool after_name = false, after_eq = false;
    while (pos < s.size()) {
      const char c = s[pos];
      if (is_space(c)) {
        ++pos;
      } else if (c == '>' || c == '/') {
        malformed |= after_name || after_eq;  // a name without '=', or '=' without a value
        after_name = after_eq = false;
        if (s[pos++] == '>') return Tag::ended;
      } else if (c == '<') {
        malformed = true;
        return Tag::ended;
      } else if (c == '=') {
        malformed |= !after_name;
        after_eq = true;
        after_name = false;
        ++pos;
      } else if (c == '"' || c == '\'') {
        malformed |= !after_eq;
        const size_t close = s.find(c, pos + 1);
        const size_t end = close == npos ? s.size() : close;
        if (!emit(s.substr(pos + 1, end - pos - 1), false, true)) return Tag::limited;
        if (close == npos) return Tag::truncated;
        pos = close + 1;
        after_eq = after_name = false;
      } else if (after_eq) {
        // A value without quotes (a fault): up to space, '>' or '<'.
        const size_t start = pos;
        while (pos < s.size() && !is_space(s[pos]) && s[pos] != '>' && s[pos] != '<') ++pos;
        malformed = true;
        if (!emit(s.substr(start, pos - start), false, true)) return Tag::limited;
        after_eq = false;
      } else if (is_name_char(c)) {
        const size_t start = pos;
        while (pos < s.size() && is_name_char(s[pos])) ++pos;
        malformed |= after_name;  // the name before had no '='
        if (!emit(s.substr(start, pos - start), true, false)) return Tag::limited;
        after_name = true;
      } else {
        malformed = true;  // a stray byte
        ++pos;
      }
    }
    return Tag::truncated;
  };

  size_t i = s.starts_with("\xef\xbb\xbf") ? 3 : 0;  // a UTF-8 byte order mark
  size_t text_start = i;
  while (true) {
    const size_t lt = s.find('<', i);
    const Markup kind = lt == npos ? Markup::text : markup_at(s, lt);
    if (lt != npos && kind == Markup::text) {  // a '<' that starts nothing: it is text
      malformed = true;
      i = lt + 1;
      continue;
    }
    const size_t text_end = lt == npos ? s.size() : lt;
    if (!emit(trim(s.substr(text_start, text_end - text_start)), false, true))
      return XmlOutcome::limited;
    if (lt == npos) return done();
    size_t next = npos;
    switch (kind) {
      case Markup::start_tag: {
        const Tag t = start_tag(lt, next);
        if (t == Tag::limited) return XmlOutcome::limited;
        if (t == Tag::truncated) return XmlOutcome::truncated;
        break;
      }
      case Markup::cdata: {
        const size_t close = s.find("]]>", lt + 9);
        const size_t end = close == npos ? s.size() : close;
        if (!emit(trim(s.substr(lt + 9, end - lt - 9)), false, false)) return XmlOutcome::limited;
        next = close == npos ? npos : close + 3;
        break;
      }
      case Markup::end_tag:
        next = s.find('>', lt);
        next = next == npos ? npos : next + 1;
        break;
      case Markup::comment:
        next = s.find("-->", lt + 4);
        next = next == npos ? npos : next + 3;
        break;
      case Markup::pi:
        next = s.find("?>", lt + 2);
        next = next == npos ? npos : next + 2;
        break;
      case Markup::declaration: {
        bool limited = false;
        next = skip_declaration(s, lt, [&](std::string_view literal) {
          limited = !emit(literal, false, false);
          return !limited;
        });
        if (limited) return XmlOutcome::limited;
        break;
      }
      case Markup::text:
      case Markup::partial:
        break;
    }
    if (next == npos) return XmlOutcome::truncated;
    i = text_start = next;
  }
}

// Whether a body is read as XML: its Content-Type's media type is */xml or *+xml (XML, SOAP,
// Atom, SVG ...), or, without a Content-Type, its first byte other than whitespace is '<'.
constexpr bool is_xml_body(std::string_view content_type, std::string_view body) noexcept {
  if (content_type.empty()) {
    const size_t first = body.find_first_not_of(" \t\r\n");
    return first != std::string_view::npos && body[first] == '<';
  }
  std::string_view media = http_syntax::trim_ows(content_type.substr(0, content_type.find(';')));
  if (media.size() < 4) return false;
  const char sep = media[media.size() - 4];
  return (sep == '/' || sep == '+') && http_syntax::iequals(media.substr(media.size() - 3), "xml");
}

}  // namespace gauntlet::waf_args
