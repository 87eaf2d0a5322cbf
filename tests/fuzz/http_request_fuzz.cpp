// Fuzzes the incremental HTTP/1.x request parser (dataplane/waf/http_request.h). Input: two
// control bytes, then the client's stream. The control bytes choose the limits (default or
// tiny, to reach every limit) and a segmentation: one byte at a time, fixed-size segments, or
// pseudo-random sizes with empty segments mixed in. Each segment is fed from its own
// exact-size slot (SegmentSlots), so a read past a segment, or of one already fed, is an
// AddressSanitizer report. The parser promises
// the same events and body bytes for every split: the events of the segmented feed are
// compared with those of the whole stream fed at once, and any difference aborts.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/waf/http_request.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using gauntlet::HttpEvent;
using gauntlet::HttpEventKind;
using gauntlet::HttpRequest;
using gauntlet::fuzz::check;

// Every event as one line of text. Body fragments depend on the split, so consecutive body
// events are joined into one line holding all their bytes.
class EventLog {
 public:
  void add(const HttpRequest& r, const HttpEvent& e) {
    if (e.kind == HttpEventKind::body) {
      body_.append(reinterpret_cast<const char*>(e.body.data()), e.body.size());
      return;
    }
    flush_body();
    std::string line = std::to_string(static_cast<int>(e.kind)) + ' ';
    switch (e.kind) {
      case HttpEventKind::request_line:
        line += std::to_string(r.index) + ' ' + std::string(r.method) + ' ' +
                std::string(r.target) + ' ' + std::string(r.path) + ' ' + std::string(r.query) +
                ' ' + std::to_string(static_cast<int>(r.method_id)) + ' ' +
                std::to_string(r.version_major) + '.' + std::to_string(r.version_minor);
        break;
      case HttpEventKind::header:
      case HttpEventKind::trailer:
        line += std::string(e.field.name) + ": " + std::string(e.field.value);
        break;
      case HttpEventKind::headers_complete:
        line += std::to_string(static_cast<int>(r.framing)) + ' ' +
                std::to_string(r.content_length) + ' ' + std::to_string(r.headers.size());
        break;
      case HttpEventKind::request_complete:
        line += std::to_string(r.body_bytes) + ' ' + std::to_string(r.trailers.size()) + ' ' +
                std::to_string(r.violations);
        break;
      case HttpEventKind::error:
        line += std::to_string(static_cast<int>(e.violation)) + ' ' + std::to_string(r.violations);
        break;
      default:
        break;
    }
    lines_.push_back(std::move(line));
  }
  std::vector<std::string> finish(const gauntlet::HttpRequestParser& p) {
    flush_body();
    lines_.push_back("end " + std::to_string(p.failed()) + ' ' +
                     std::to_string(p.request().violations));
    return std::move(lines_);
  }

 private:
  void flush_body() {
    if (body_.empty()) return;
    lines_.push_back("body " + body_);
    body_.clear();
  }
  std::vector<std::string> lines_;
  std::string body_;
};

// Segment sizes for the whole stream, from the control byte pair.
std::vector<size_t> segmentation(uint8_t mode, uint8_t arg, size_t len) {
  std::vector<size_t> sizes;
  uint32_t state = 0x9e3779b9u ^ (uint32_t{mode} << 8 | arg);
  for (size_t done = 0; done < len;) {
    size_t n = 1;
    switch (mode & 3) {
      case 0:  // one byte at a time
        break;
      case 1:  // fixed size
        n = size_t{arg} + 1;
        break;
      default:  // pseudo-random sizes; mode 3 also feeds empty segments
        state ^= state << 13, state ^= state >> 17, state ^= state << 5;
        n = (mode & 3) == 3 ? state % (size_t{arg} + 2) : 1 + state % (size_t{arg} + 1);
        break;
    }
    if (n > len - done) n = len - done;
    sizes.push_back(n);
    done += n;
  }
  return sizes;
}

// Tiny limits, so that short inputs reach every limit.
gauntlet::HttpLimits tiny_limits() {
  gauntlet::HttpLimits limits;
  limits.max_request_line = 64;
  limits.max_header_line = 48;
  limits.max_header_bytes = 160;
  limits.max_headers = 4;
  limits.max_chunk_extension = 8;
  limits.max_chunk_size = 4096;
  return limits;
}

// Storage for one parser with `limits`, allocated once per limit set (each is exact-size, so a
// read past it is still a heap-buffer-overflow) and cleared before every parse, so that each
// parser starts on storage as fresh as a new HttpParserStorage's.
gauntlet::HttpParserStorage& storage_for(const gauntlet::HttpLimits& limits, bool tiny) {
  static gauntlet::HttpParserStorage normal{gauntlet::HttpLimits{}};
  static gauntlet::HttpParserStorage small{tiny_limits()};
  gauntlet::HttpParserStorage& s = tiny ? small : normal;
  check(s.head.size() == size_t{limits.max_request_line} + limits.max_header_bytes &&
            s.fields.size() == limits.max_headers,
        "reused parser storage does not match the limits");
  std::fill(s.head.begin(), s.head.end(), '\0');
  std::fill(s.fields.begin(), s.fields.end(), gauntlet::HttpHeader{});
  return s;
}

std::vector<std::string> run(const gauntlet::HttpLimits& limits, bool tiny, const uint8_t* data,
                             const std::vector<size_t>& sizes) {
  gauntlet::HttpParserStorage& storage = storage_for(limits, tiny);
  gauntlet::HttpRequestParser parser(limits, storage.head, storage.fields);
  EventLog log;
  gauntlet::fuzz::SegmentSlots slots(sizes);
  size_t at = 0;
  for (size_t n : sizes) {
    const uint8_t* segment = slots.open(data + at, n);
    parser.feed(segment, n, [&](const HttpRequest& r, const HttpEvent& e) { log.add(r, e); });
    slots.close();
    check(parser.buffered_bytes() <=
              size_t{parser.limits().max_request_line} + parser.limits().max_header_bytes,
          "head storage use past the limits");
    at += n;
  }
  return log.finish(parser);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t mode = data[0], arg = data[1];
  data += 2;
  size -= 2;
  const bool tiny = (mode & 4) != 0;
  const gauntlet::HttpLimits limits = tiny ? tiny_limits() : gauntlet::HttpLimits{};
  const auto split = run(limits, tiny, data, segmentation(mode, arg, size));
  const auto whole = run(limits, tiny, data, {size});
  check(split == whole, "segmented feed and whole feed give different events");
  return 0;
}
