// Fuzzes the request-field normaliser (dataplane/waf/normalise.h). Input: three control bytes,
// then the field. The first picks the function (each transform alone, or normalise() with a
// field kind), the second its options, the third the output capacity: small (0..63 bytes, to
// truncate) or at least the input's length. Outputs are exact-size heap buffers. Checked, as
// the header promises: the length never exceeds the capacity; with capacity >= input length
// nothing is truncated (no transform makes its input longer) and the result is the same in
// place (out == in) as into a separate buffer; a result that is not truncated is the full
// result, and a truncated one of a single transform is a prefix of it.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>

#include "dataplane/waf/normalise.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using namespace gauntlet;
using gauntlet::fuzz::check;

struct Call {
  uint8_t function;  // 0..6: one transform; 7: normalise()
  FieldKind kind;
  PercentDecodeOptions decode;
  NormaliseOptions options;

  NormaliseResult operator()(std::string_view in, std::span<char> out) const {
    switch (function) {
      case 0:
        return percent_decode(in, out, decode);
      case 1:
        return to_lower_ascii(in, out);
      case 2:
        return remove_nul(in, out);
      case 3:
        return normalise_path(in, out);
      case 4:
        return decode_html_entities(in, out);
      case 5:
        return compress_whitespace(in, out);
      case 6:
        return replace_sql_comments(in, out);
      default:
        return normalise(kind, in, out, options);
    }
  }
};

struct Output {
  std::unique_ptr<char[]> bytes;
  NormaliseResult result;
  std::string_view text() const { return {bytes.get(), result.length}; }
};

Output run(const Call& call, std::string_view in, size_t capacity) {
  Output o{std::unique_ptr<char[]>(new char[capacity]), {}};
  o.result = call(in, {o.bytes.get(), capacity});
  check(o.result.length <= capacity, "result longer than the output buffer");
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const uint8_t f = data[0], o = data[1], c = data[2];
  const auto input = gauntlet::fuzz::exact_copy(data + 3, size - 3);
  const std::string_view in(reinterpret_cast<const char*>(input.get()), size - 3);

  Call call{static_cast<uint8_t>(f & 7), static_cast<FieldKind>(((f >> 3) & 3) % 3), {}, {}};
  call.decode = {(o & 1) != 0, (o & 2) != 0, (o & 4) != 0, (o & 8) != 0};
  call.options = {(o & 1) != 0,  (o & 2) != 0,  (o & 4) != 0,  (o & 8) != 0,
                  (o & 16) != 0, (o & 32) != 0, (o & 64) != 0, (o & 128) != 0};
  const size_t capacity = c < 128 ? c % 64 : in.size() + (c - 128);

  const Output full = run(call, in, in.size());
  check(!full.result.truncated(), "a result longer than its input");
  const Output got = run(call, in, capacity);
  if (!got.result.truncated()) {
    check(got.text() == full.text(), "untruncated result differs from the full result");
    check(got.result.flags == full.result.flags, "flags depend on the output capacity");
  } else if (call.function != 7) {
    check(full.text().substr(0, got.result.length) == got.text(),
          "truncated result is not a prefix of the full result");
  }
  if (capacity >= in.size()) {
    // In place: the input's own storage, with room to spare as the capacity says.
    std::unique_ptr<char[]> buffer(new char[capacity]);
    if (!in.empty()) std::memcpy(buffer.get(), in.data(), in.size());
    const NormaliseResult r =
        call(std::string_view(buffer.get(), in.size()), {buffer.get(), capacity});
    check(r.length == got.result.length && r.flags == got.result.flags &&
              std::string_view(buffer.get(), r.length) == got.text(),
          "in-place result differs");
  }
  return 0;
}
