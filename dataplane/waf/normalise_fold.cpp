// fold_text(): the text steps of normalise() in one pass. Behaviour is specified in normalise.h.
#include <array>
#include <cstdint>

#include "dataplane/waf/normalise.h"
#include "dataplane/waf/normalise_writer.h"

namespace gauntlet {
namespace {

using normalise_detail::ascii_lower;
using normalise_detail::is_space;

// Bytes fold_text() copies as they are but for case: neither whitespace nor one of the bytes
// that may need more ('%', NUL, '+', '&').
constexpr std::array<bool, 256> kPlainByte = [] {
  std::array<bool, 256> t{};
  for (int b = 0; b < 256; ++b) {
    const char c = static_cast<char>(b);
    t[static_cast<size_t>(b)] = !is_space(c) && c != '%' && c != '\0' && c != '+' && c != '&';
  }
  return t;
}();

}  // namespace

bool fold_text(std::string_view in, char* out, FoldInput kind, size_t& length) noexcept {
  size_t n = 0;
  bool in_space = false;
  bool amp_seen = false;
  const auto put = [&](char c) noexcept {
    if (is_space(c)) {
      if (!in_space) out[n++] = ' ';
      in_space = true;
    } else {
      in_space = false;
      out[n++] = ascii_lower(c);
    }
  };
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (kPlainByte[static_cast<uint8_t>(c)]) {  // most bytes: one test, no branch on case
      in_space = false;
      out[n++] = ascii_lower(c);
      continue;
    }
    if (c == '%' && kind != FoldInput::decoded) return false;
    if (c == '\0') {
      if (amp_seen) return false;
      continue;
    }
    if (c == '+' && kind == FoldInput::sent_form) {
      // SP before entities: a reference neither contains nor ends at one, so reading '+' for
      // it below changes nothing.
      put(' ');
      continue;
    }
    if (c == '&') {
      amp_seen = true;
      HtmlEntityText text;
      if (const size_t used = decode_html_entity(in, i, text); used > 0) {
        for (uint8_t k = 0; k < text.size; ++k) put(text.bytes[k]);
        i += used - 1;
        continue;
      }
    }
    put(c);
  }
  length = n;
  return true;
}

}  // namespace gauntlet
