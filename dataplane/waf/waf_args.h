// Splitting request text into the arguments the WAF matches one by one: urlencoded
// name=value pairs (query strings, form bodies, cookies), JSON string values and keys, and
// multipart/form-data parts. Views into the input; nothing is decoded here except JSON string
// escapes (into a caller's buffer). Hot path: noexcept, no allocation, header-only so the
// visitor is inlined.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "dataplane/waf/http_syntax.h"

namespace gauntlet::waf_args {

// Pieces separated by `sep` ('&' for forms, ';' for cookies), each split at its first '='.
// visit(name, value); a piece without '=' is a name with an empty value. Leading spaces of
// a piece are skipped (cookies: "a=1; b=2").
template <class Visit>
void for_each_pair(std::string_view s, char sep, Visit&& visit) noexcept {
  while (!s.empty()) {
    const size_t end = s.find(sep);
    std::string_view piece = s.substr(0, end);
    s = end == std::string_view::npos ? std::string_view() : s.substr(end + 1);
    while (!piece.empty() && piece.front() == ' ') piece.remove_prefix(1);
    if (piece.empty()) continue;
    const size_t eq = piece.find('=');
    if (eq == std::string_view::npos)
      visit(piece, std::string_view());
    else
      visit(piece.substr(0, eq), piece.substr(eq + 1));
  }
}

// What follows an encoded '=' in a name ("pay%3D1'or'1", or "%253D" encoded twice): a
// backend that decodes before it splits reads it as the value. Empty when there is none.
inline std::string_view encoded_pair_value(std::string_view name) noexcept {
  for (size_t at = name.find('%'); at != std::string_view::npos; at = name.find('%', at + 1)) {
    for (std::string_view code : {std::string_view("3d"), std::string_view("253d")})
      if (http_syntax::iequals(name.substr(at + 1, code.size()), code))
        return name.substr(at + 1 + code.size());
  }
  return {};
}

// Every string literal of a JSON text, unescaped into `buf` (truncated to it), with whether it
// is an object key (followed by ':'). Not a validator: it finds strings in any byte soup, so a
// malformed body still has its strings matched. \uXXXX becomes UTF-8; surrogate pairs are
// not joined (each half becomes its own 3-byte form).
template <class Visit>
void for_each_json_string(std::string_view s, std::span<char> buf, Visit&& visit) noexcept {
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] != '"') {
      ++i;
      continue;
    }
    size_t n = 0;
    ++i;
    while (i < s.size() && s[i] != '"') {
      char c = s[i++];
      if (c == '\\' && i < s.size()) {
        const char e = s[i++];
        switch (e) {
          case 'n':
            c = '\n';
            break;
          case 't':
            c = '\t';
            break;
          case 'r':
            c = '\r';
            break;
          case 'b':
            c = '\b';
            break;
          case 'f':
            c = '\f';
            break;
          case 'u': {
            unsigned cp = 0;
            int digits = 0;
            for (; digits < 4 && i < s.size(); ++digits, ++i) {
              const int d = http_syntax::hex_value(static_cast<uint8_t>(s[i]));
              if (d < 0) break;
              cp = cp * 16 + static_cast<unsigned>(d);
            }
            if (cp < 0x80) {
              c = static_cast<char>(cp);
            } else {
              char utf8[3];
              size_t len = 0;
              if (cp < 0x800) {
                utf8[len++] = static_cast<char>(0xc0 | (cp >> 6));
              } else {
                utf8[len++] = static_cast<char>(0xe0 | (cp >> 12));
                utf8[len++] = static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
              }
              utf8[len++] = static_cast<char>(0x80 | (cp & 0x3f));
              for (size_t k = 0; k + 1 < len && n < buf.size(); ++k) buf[n++] = utf8[k];
              c = utf8[len - 1];
            }
            break;
          }
          default:
            c = e;
            break;  // \" \\ \/ and anything else: the character itself
        }
      }
      if (n < buf.size()) buf[n++] = c;
    }
    ++i;  // the closing quote
    size_t j = i;
    while (j < s.size() && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r' || s[j] == '\n')) ++j;
    visit(std::string_view(buf.data(), n), j < s.size() && s[j] == ':');
  }
}

// The boundary parameter of a multipart Content-Type; empty when there is none.
inline std::string_view multipart_boundary(std::string_view content_type) noexcept {
  size_t at = 0;
  while ((at = content_type.find('=', at)) != std::string_view::npos) {
    size_t k = at;
    while (k > 0 && content_type[k - 1] == ' ') --k;
    const size_t name_len = 8;  // "boundary"
    if (k >= name_len &&
        http_syntax::iequals(content_type.substr(k - name_len, name_len), "boundary")) {
      std::string_view v = content_type.substr(at + 1);
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      if (!v.empty() && v.front() == '"') {
        v.remove_prefix(1);
        return v.substr(0, v.find('"'));
      }
      return v.substr(0, v.find_first_of("; \t"));
    }
    ++at;
  }
  return {};
}

// A parameter of a Content-Disposition value (name, filename), quotes removed.
inline std::string_view disposition_param(std::string_view value, std::string_view param) noexcept {
  size_t at = 0;
  while ((at = value.find(param, at)) != std::string_view::npos) {
    const bool starts = at == 0 || value[at - 1] == ';' || value[at - 1] == ' ';
    const size_t eq = at + param.size();
    if (starts && eq < value.size() && value[eq] == '=') {
      std::string_view v = value.substr(eq + 1);
      if (!v.empty() && v.front() == '"') {
        v.remove_prefix(1);
        return v.substr(0, v.find('"'));
      }
      return v.substr(0, v.find(';'));
    }
    at = eq;
  }
  return {};
}

// multipart/form-data parts (RFC 7578): visit(name, filename, content) for each part, the
// content being the bytes between the part's blank line and the next delimiter (the last
// part may be cut short by the buffered prefix). Parts are found by "--boundary"; CRLF and
// bare LF line ends are both read.
template <class Visit>
void for_each_multipart_part(std::string_view body, std::string_view boundary,
                             Visit&& visit) noexcept {
  if (boundary.empty() || boundary.size() > 200) return;
  char delimiter_buf[204] = {'-', '-'};
  for (size_t k = 0; k < boundary.size(); ++k) delimiter_buf[2 + k] = boundary[k];
  const std::string_view delimiter(delimiter_buf, boundary.size() + 2);
  size_t at = body.find(delimiter);
  while (at != std::string_view::npos) {
    size_t pos = at + delimiter.size();
    if (body.substr(pos, 2) == "--") return;  // the close delimiter
    const size_t line_end = body.find('\n', pos);
    if (line_end == std::string_view::npos) return;
    pos = line_end + 1;
    std::string_view name, filename;
    // Part headers up to the blank line.
    while (pos < body.size()) {
      size_t eol = body.find('\n', pos);
      if (eol == std::string_view::npos) eol = body.size();
      std::string_view line = body.substr(pos, eol - pos);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      pos = eol + 1;
      if (line.empty()) break;
      const size_t colon = line.find(':');
      if (colon != std::string_view::npos &&
          http_syntax::iequals(line.substr(0, colon), "content-disposition")) {
        const std::string_view v = line.substr(colon + 1);
        name = disposition_param(v, "name");
        filename = disposition_param(v, "filename");
      }
    }
    if (pos > body.size()) pos = body.size();
    const size_t next = body.find(delimiter, pos);
    std::string_view content =
        body.substr(pos, next == std::string_view::npos ? body.npos : next - pos);
    if (content.ends_with("\r\n"))
      content.remove_suffix(2);
    else if (content.ends_with("\n"))
      content.remove_suffix(1);
    visit(name, filename, content);
    at = next;
  }
}

}  // namespace gauntlet::waf_args
