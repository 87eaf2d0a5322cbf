// Percent-decoding with the IIS %uXXXX extension and the optional second pass. Behaviour is
// specified in normalise.h; this file only says why where it is not obvious.
#include <cstring>

#include "dataplane/waf/normalise.h"
#include "dataplane/waf/normalise_writer.h"

namespace gauntlet {
namespace {

using normalise_detail::BoundedWriter;
using normalise_detail::encode_utf8;
using normalise_detail::hex_digit;

struct PassOptions {
  bool plus_to_space;
  bool iis_unicode;
  bool fullwidth_to_ascii;
  bool flag_invalid;  // only the first pass describes the input as sent
};

// One decoded unit: the bytes it stands for and how many source bytes it took. Every escape is
// at least as long as what it decodes to (3 -> 1, 6 -> <= 3), so writing never overtakes
// reading and the output may alias the input.
struct Unit {
  char bytes[4];
  uint8_t size;
  uint8_t consumed;
  bool decoded;
};

// -1 unless s[at, at + n) are n hex digits; their value otherwise.
long hex_run(std::string_view s, size_t at, size_t n) noexcept {
  if (s.size() < at || s.size() - at < n) return -1;
  long value = 0;
  for (size_t k = 0; k < n; ++k) {
    const int d = hex_digit(s[at + k]);
    if (d < 0) return -1;
    value = value * 16 + d;
  }
  return value;
}

Unit decode_unit(std::string_view s, size_t i, const PassOptions& o, uint16_t& flags) noexcept {
  Unit u{{s[i]}, 1, 1, false};
  if (s[i] == '+' && o.plus_to_space) {
    u.bytes[0] = ' ';
    return u;
  }
  if (s[i] != '%') return u;
  if (const long byte = hex_run(s, i + 1, 2); byte >= 0) {
    u = Unit{{static_cast<char>(byte)}, 1, 3, true};
    if (byte == 0) flags |= kNormNulSeen;
    return u;
  }
  if (o.iis_unicode && i + 1 < s.size() && (s[i + 1] == 'u' || s[i + 1] == 'U')) {
    if (long cp = hex_run(s, i + 2, 4); cp >= 0) {
      if (o.fullwidth_to_ascii && cp >= 0xff01 && cp <= 0xff5e) cp -= 0xfee0;
      if (cp == 0) flags |= kNormNulSeen;
      flags |= kNormUnicodeEscape;
      u.size = static_cast<uint8_t>(encode_utf8(static_cast<uint32_t>(cp), u.bytes));
      u.consumed = 6;
      u.decoded = true;
      return u;
    }
  }
  if (o.flag_invalid) flags |= kNormInvalidEscape;
  return u;
}

// The second pass decodes the first pass's output as it is produced, through a window just
// long enough for the longest escape: no intermediate buffer, and the output is a prefix of
// the final result even when the once-decoded text would not have fit.
NormaliseResult decode_twice(std::string_view in, BoundedWriter& w, const PassOptions& first,
                             const PassOptions& second) noexcept {
  uint16_t flags = 0;
  bool decoded_again = false;
  char window[16];  // >= the longest escape (6) + the longest unit (4)
  size_t window_len = 0;
  size_t i = 0;
  while (!w.full()) {
    while (window_len < 6 && i < in.size()) {
      const Unit u = decode_unit(in, i, first, flags);
      std::memcpy(window + window_len, u.bytes, u.size);
      window_len += u.size;
      i += u.consumed;
    }
    if (window_len == 0) break;
    const Unit u = decode_unit(std::string_view(window, window_len), 0, second, flags);
    if (!w.put(u.bytes, u.size)) break;
    decoded_again |= u.decoded;
    window_len -= u.consumed;
    std::memmove(window, window + u.consumed, window_len);
  }
  if (decoded_again) flags |= kNormDoubleEncoded;
  return w.result(flags);
}

// One pass straight into `out` (which may be `in`): bytes that start no escape are copied as
// they are, and the output never overtakes the input, so nothing can be truncated.
size_t decode_pass(std::string_view in, char* out, const PassOptions& o, uint16_t& flags,
                   bool& decoded) noexcept {
  size_t n = 0;
  for (size_t i = 0; i < in.size();) {
    const char c = in[i];
    if (c != '%' && (c != '+' || !o.plus_to_space)) {
      out[n++] = c;
      ++i;
      continue;
    }
    const Unit u = decode_unit(in, i, o, flags);
    for (uint8_t k = 0; k < u.size; ++k) out[n++] = u.bytes[k];
    decoded |= u.decoded;
    i += u.consumed;
  }
  return n;
}

}  // namespace

NormaliseResult percent_decode(std::string_view in, std::span<char> out,
                               const PercentDecodeOptions& options) noexcept {
  BoundedWriter w(out);
  const PassOptions first{options.plus_to_space, options.iis_unicode, options.fullwidth_to_ascii,
                          true};
  // A '+' in the once-decoded text came from "%2B" and is data, so it stays '+'.
  const PassOptions second{false, options.iis_unicode, options.fullwidth_to_ascii, false};
  uint16_t flags = 0;
  if (out.size() >= in.size()) {
    // Room for the input is room for any result (decoding only shrinks), so each pass runs
    // over the whole text; the second only where the first left a '%'.
    bool decoded = false;
    size_t n = decode_pass(in, out.data(), first, flags, decoded);
    decoded = false;
    if (options.double_decode && std::memchr(out.data(), '%', n) != nullptr)
      n = decode_pass({out.data(), n}, out.data(), second, flags, decoded);
    return {n, static_cast<uint16_t>(flags | (decoded ? kNormDoubleEncoded : 0))};
  }
  if (options.double_decode) return decode_twice(in, w, first, second);
  for (size_t i = 0; i < in.size();) {
    const Unit u = decode_unit(in, i, first, flags);
    if (!w.put(u.bytes, u.size)) break;
    i += u.consumed;
  }
  return w.result(flags);
}

}  // namespace gauntlet
