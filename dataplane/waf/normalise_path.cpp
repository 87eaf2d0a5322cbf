// Path normalisation: remove_dot_segments over '/' and '\' separators, never above the root.
// Behaviour is specified in normalise.h.
//
// Two implementations of one result, because ".." makes the work longer than the result
// ("/aaaa/../b" passes through "/aaaa/" on its way to "/b"):
// - forward, a stack kept in the output itself: safe in place, needs room for the input;
// - backward, for an output smaller than the input: a right-to-left pass counts what survives
//   (a ".." cancels the nearest surviving segment to its left), then a second one writes each
//   surviving byte straight to its final position, dropping those past the capacity. So a
//   truncated result is an exact prefix, and a result that fits exactly is never truncated.
// Both must agree byte for byte; the unit tests run every case through both.
#include "dataplane/waf/normalise.h"
#include "dataplane/waf/normalise_writer.h"

namespace gauntlet {
namespace {

constexpr bool is_separator(char c) noexcept { return c == '/' || c == '\\'; }

enum class Segment : uint8_t { dot, dot_dot, name };

Segment classify(std::string_view s) noexcept {
  if (s == ".") return Segment::dot;
  if (s == "..") return Segment::dot_dot;
  return Segment::name;
}

NormaliseResult normalise_forward(std::string_view in, std::span<char> out) noexcept {
  normalise_detail::BoundedWriter w(out);
  uint16_t flags = 0;
  const size_t n = in.size();
  if (n > 0 && is_separator(in[0])) w.put('/');
  const size_t root = w.size();  // a ".." never removes the leading '/'
  // The output is root + "name/"... + maybe a last "name", so the segment before a ".."
  // always ends in '/'.
  size_t i = 0;
  while (i < n) {
    while (i < n && is_separator(in[i])) ++i;
    if (i == n) break;
    size_t end = i;
    while (end < n && !is_separator(in[end])) ++end;
    switch (classify(in.substr(i, end - i))) {
      case Segment::dot:
        flags |= kNormPathTraversal;
        break;
      case Segment::dot_dot:
        flags |= kNormPathTraversal;
        if (w.size() == root) {
          flags |= kNormPathAboveRoot;
        } else {  // drop the trailing '/', then back to just after the previous '/'
          size_t keep = w.size() - 1;
          while (keep > root && w.data()[keep - 1] != '/') --keep;
          w.shrink_to(keep);
        }
        break;
      case Segment::name:
        // Byte by byte: with out aliasing in, the write position never passes the read one.
        for (size_t k = i; k < end; ++k) w.put(in[k]);
        if (end < n) w.put('/');
        break;
    }
    i = end;
  }
  return w.result(flags);
}

// Calls f(start, length, separator_after) for each segment, last segment first.
template <class F>
void for_each_segment_backward(std::string_view in, F&& f) noexcept {
  size_t i = in.size();
  while (i > 0) {
    while (i > 0 && is_separator(in[i - 1])) --i;
    if (i == 0) return;
    size_t start = i;
    while (start > 0 && !is_separator(in[start - 1])) --start;
    f(start, i - start, i < in.size());
    i = start;
  }
}

NormaliseResult normalise_backward(std::string_view in, std::span<char> out) noexcept {
  uint16_t flags = 0;
  const bool rooted = !in.empty() && is_separator(in[0]);
  // Pass 1: the full length, and the flags.
  size_t total = rooted ? 1 : 0;
  size_t cancel = 0;  // ".." still looking for a segment to cancel
  for_each_segment_backward(in, [&](size_t start, size_t length, bool separator_after) {
    const Segment kind = classify(in.substr(start, length));
    if (kind != Segment::name) {
      flags |= kNormPathTraversal;
      if (kind == Segment::dot_dot) ++cancel;
    } else if (cancel > 0) {
      --cancel;
    } else {
      total += length + (separator_after ? 1 : 0);
    }
  });
  if (cancel > 0) flags |= kNormPathAboveRoot;

  // Pass 2: write the surviving bytes whose final position is inside the output.
  const size_t capacity = out.size();
  auto write = [&](size_t at, char c) {
    if (at < capacity) out[at] = c;
  };
  size_t pos = total;
  cancel = 0;
  for_each_segment_backward(in, [&](size_t start, size_t length, bool separator_after) {
    const Segment kind = classify(in.substr(start, length));
    if (kind == Segment::dot_dot) ++cancel;
    if (kind != Segment::name) return;
    if (cancel > 0) {
      --cancel;
      return;
    }
    if (separator_after) write(--pos, '/');
    for (size_t k = length; k > 0; --k) write(--pos, in[start + k - 1]);
  });
  if (rooted) write(0, '/');
  if (total > capacity) return {capacity, static_cast<uint16_t>(flags | kNormTruncated)};
  return {total, flags};
}

}  // namespace

NormaliseResult normalise_path(std::string_view in, std::span<char> out) noexcept {
  // The forward pass never needs more room than the input; only a smaller output needs the
  // backward one (and a smaller output cannot be the input's own storage).
  return out.size() >= in.size() ? normalise_forward(in, out) : normalise_backward(in, out);
}

}  // namespace gauntlet
