// Fuzzes the WAF's XML body splitter (dataplane/waf/waf_xml.h). Input: one control byte, then
// the document. The control byte chooses the decode buffer (small, 0..31 bytes, to truncate
// references; or 4 KiB) and the argument limit (small, 1..8, to reach it; or
// kXmlMaxArguments). The document and the buffer are exact-size heap copies, so a read past
// either is a heap-buffer-overflow. Checked, as the header promises: never more arguments
// than the limit, `limited` only with the limit reached, no empty argument, and every
// argument inside the document or the decode buffer; a second run gives the same arguments.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/waf/waf_xml.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using namespace gauntlet::waf_args;
using gauntlet::fuzz::check;

bool inside(std::string_view part, const char* base, size_t size) {
  const auto p = reinterpret_cast<uintptr_t>(part.data());
  const auto b = reinterpret_cast<uintptr_t>(base);
  return p >= b && p + part.size() <= b + size;
}

struct Split {
  XmlOutcome outcome;
  std::vector<std::pair<std::string, bool>> arguments;
};

Split split(std::string_view doc, std::span<char> buf, size_t limit) {
  Split s;
  s.outcome = for_each_xml_argument(doc, buf, limit, [&](std::string_view text, bool name) {
    check(!text.empty(), "an empty argument was visited");
    check(inside(text, doc.data(), doc.size()) || inside(text, buf.data(), buf.size()),
          "an argument lies outside the document and the decode buffer");
    s.arguments.emplace_back(std::string(text), name);
  });
  check(s.arguments.size() <= limit, "more arguments than the limit");
  check(s.outcome != XmlOutcome::limited || s.arguments.size() == limit,
        "limited before the limit was reached");
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t control = data[0];
  const size_t capacity = control & 0x80 ? 4096 : control & 0x1f;
  const size_t limit = control & 0x40 ? kXmlMaxArguments : 1 + ((control >> 2) & 7);
  const auto doc_bytes = gauntlet::fuzz::exact_copy(data + 1, size - 1);
  const std::string_view doc(reinterpret_cast<const char*>(doc_bytes.get()), size - 1);
  auto buf = std::make_unique<char[]>(capacity == 0 ? 1 : capacity);
  const std::span<char> span(buf.get(), capacity);

  const Split first = split(doc, span, limit);
  const Split second = split(doc, span, limit);
  check(first.outcome == second.outcome && first.arguments == second.arguments,
        "the same document split differently twice");
  return 0;
}
