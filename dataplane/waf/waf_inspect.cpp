// waf_inspect(): the hot path. A request's fields are joined into one buffer per form (raw,
// normalised) and lane of fields (waf_database.h), each field value a segment tagged with the
// fields it stands for, and each buffer is matched in one Hyperscan scan; every matching rule adds
// its score once per request, and the request is blocked the moment the score reaches the
// threshold.
//
// What is matched when:
//   request_line      nothing yet (the line is matched together with the headers)
//   headers_complete  request_line, method, path, query, args, args_names, headers,
//                     header_names, user_agent, cookies, referer, host, content_type;
//                     violation rules
//   trailer           headers, header_names (that one field)
//   body              buffered into state.body_buffer; matched when it is full; bytes past
//                     it streamed through the `body` rules (waf_body_stream.h)
//   request_complete  the buffered body (body, body_args, args_names) unless matched already;
//                     the end of the body stream
//                     (body_args: urlencoded and multipart values and file names, JSON
//                     strings, XML attribute values and text (waf_xml.h) as well as the
//                     whole body, or the whole body for any other content type); violation
//                     rules; an undecided request passes
//   error             violation rules (the dataplane resets the flow whatever they say)
// Segments are separated by NUL, which never occurs in normalised text, so only a pattern
// that deliberately matches any byte can run from one value into the next.
// Normalisation may say more than one thing: a value with "/*" is added twice, as it is and
// with SQL comments replaced by SP; a path is added decoded and, when that changes it, with
// dot segments resolved. The first form sees the comment or the "..", so neither can hide
// what follows it.
#include <cstring>

#include "dataplane/waf/waf_args.h"
#include "dataplane/waf/waf_batch.h"
#include "dataplane/waf/waf_body_stream.h"
#include "dataplane/waf/waf_xml.h"

namespace gauntlet {

void WafRequestState::reset() noexcept {
  decision = WafDecision::undecided;
  score = 0;
  match_count = 0;
  excerpt_length = 0;
  logged = false;
  body_length = 0;
  body_uninspected = 0;
  body_inspected = false;
  stream_state_length = 0;
  stream_engine = nullptr;
  body_streamed = 0;
  std::memset(rule_seen, 0, sizeof(rule_seen));
}

namespace {

constexpr uint32_t bit(WafField f) noexcept { return waf_field_bit(f); }

bool istarts_with(std::string_view s, std::string_view prefix) noexcept {
  return s.size() >= prefix.size() && http_syntax::iequals(s.substr(0, prefix.size()), prefix);
}

class Inspector {
 public:
  Inspector(const WafEngine& e, WafScratch& s, WafRequestState& st, const HttpRequest& r) noexcept
      : e_(e), s_(s), st_(st), req_(r) {}

  void head() noexcept;
  void trailer(const HttpHeader& h) noexcept;
  void body(std::span<const uint8_t> fragment) noexcept;
  void finish_body() noexcept;
  void finish_stream() noexcept { waf_stream_finish(e_, s_, st_); }
  void violations() noexcept;

 private:
  bool done() const noexcept { return st_.decision == WafDecision::block; }
  void head_fields(WafBatch& b) noexcept;
  void body_fields(WafBatch& b, std::string_view body) noexcept;
  void stream(std::span<const uint8_t> bytes) noexcept;

  const WafEngine& e_;
  WafScratch& s_;
  WafRequestState& st_;
  const HttpRequest& req_;
};

// Header fields with a field of their own besides `headers`.
uint32_t header_fields(std::string_view name) noexcept {
  uint32_t fields = bit(WafField::headers);
  if (http_syntax::iequals(name, "user-agent"))
    fields |= bit(WafField::user_agent);
  else if (http_syntax::iequals(name, "referer"))
    fields |= bit(WafField::referer);
  else if (http_syntax::iequals(name, "host"))
    fields |= bit(WafField::host);
  else if (http_syntax::iequals(name, "content-type"))
    fields |= bit(WafField::content_type);
  return fields;
}

void Inspector::head_fields(WafBatch& b) noexcept {
  if (b.wants(bit(WafField::request_line)) &&
      req_.method.size() + req_.target.size() + 1 <= s_.capacity / 2) {
    // The request line as "METHOD target", assembled in the JSON buffer (free here).
    char* line = s_.decoded.get();
    std::memcpy(line, req_.method.data(), req_.method.size());
    line[req_.method.size()] = ' ';
    std::memcpy(line + req_.method.size() + 1, req_.target.data(), req_.target.size());
    b.add(bit(WafField::request_line), {line, req_.method.size() + 1 + req_.target.size()});
  }
  b.add(bit(WafField::method), req_.method);
  b.add_path(bit(WafField::path), req_.path);
  const bool raw = b.form() == kWafRaw;
  if (!req_.query.empty()) {
    // The raw query is the raw form of its arguments. Normalised arguments are matched one
    // by one: the decoded query as a whole would let a pattern run across arguments.
    b.add(bit(WafField::query) | (raw ? bit(WafField::args) : 0), req_.query, WafDecode::form);
    waf_args::for_each_pair(req_.query, '&', [&](std::string_view n, std::string_view v) {
      if (raw) {
        b.add(bit(WafField::args_names), n, WafDecode::form);
        return;
      }
      b.add_pair(bit(WafField::args_names) | bit(WafField::args), n, bit(WafField::args), v,
                 WafDecode::form);
      b.add(bit(WafField::args), waf_args::encoded_pair_value(n), WafDecode::form);
    });
  }
  for (const HttpHeader& h : req_.headers) {
    if (!http_syntax::iequals(h.name, "cookie")) {
      b.add_pair(bit(WafField::header_names), h.name, header_fields(h.name), h.value);
      continue;
    }
    b.add(bit(WafField::header_names), h.name);
    // Raw: the header value is its cookies' raw form. Normalised: each name and value.
    b.add(bit(WafField::headers) | (raw ? bit(WafField::cookies) : 0), h.value);
    if (raw) continue;
    waf_args::for_each_pair(h.value, ';', [&](std::string_view n, std::string_view v) {
      b.add_pair(bit(WafField::cookies), n, bit(WafField::cookies), v);
    });
  }
}

void Inspector::head() noexcept {
  for (WafForm form : {kWafRaw, kWafNormalised}) {
    WafBatch b(e_, s_, st_, form);
    head_fields(b);
    b.flush();
  }
  violations();
}

void Inspector::trailer(const HttpHeader& h) noexcept {
  for (WafForm form : {kWafRaw, kWafNormalised}) {
    WafBatch b(e_, s_, st_, form);
    b.add_pair(bit(WafField::header_names), h.name, bit(WafField::headers), h.value);
    b.flush();
  }
}

void Inspector::body(std::span<const uint8_t> fragment) noexcept {
  if (st_.body_inspected) {
    stream(fragment);
    return;
  }
  const size_t room = st_.body_buffer.size() - st_.body_length;
  const size_t take = fragment.size() < room ? fragment.size() : room;
  std::memcpy(st_.body_buffer.data() + st_.body_length, fragment.data(), take);
  st_.body_length += take;
  if (take < fragment.size() || (st_.body_length == st_.body_buffer.size() && take > 0)) {
    finish_body();
    stream(fragment.subspan(take));
  }
}

// Body bytes past the buffer. The stream opens with the first of them (a body that just
// fills the buffer costs no second scan of it).
void Inspector::stream(std::span<const uint8_t> bytes) noexcept {
  if (bytes.empty() || done()) return;
  if (st_.stream_engine == nullptr)
    waf_stream_start(e_, s_, st_, {st_.body_buffer.data(), st_.body_length});
  waf_stream_feed(e_, s_, st_, bytes);
}

void Inspector::body_fields(WafBatch& b, std::string_view body) noexcept {
  const std::string_view type = req_.header("content-type");
  const bool form = type.empty() || istarts_with(type, "application/x-www-form-urlencoded");
  const bool multipart = istarts_with(type, "multipart/");
  const bool xml = waf_args::is_xml_body(type, body);
  const bool json = !xml && type.find("json") != std::string_view::npos;
  const WafDecode decode = form ? WafDecode::form : WafDecode::plain;
  // The whole body is an argument where it is one value (text, and XML as well as its
  // values), and in raw form the urlencoded text is its arguments' raw form. Multipart and
  // JSON framing (part headers, CRLFs, quotes) is not argument text.
  bool one_value = !form && !multipart && !json;
  if (xml) {
    const auto outcome = waf_args::for_each_xml_argument(
        body, {s_.decoded.get(), s_.capacity}, waf_args::kXmlMaxArguments,
        [&](std::string_view text, bool name) {
          // A percent-encoded value is one the application URL-decodes, and URL decoders
          // take '+' as SP as well: read it as a form value would be.
          const bool encoded = text.find('%') != std::string_view::npos;
          b.add(bit(name ? WafField::args_names : WafField::body_args), text,
                encoded ? WafDecode::form : WafDecode::plain);
        });
    if (outcome == waf_args::XmlOutcome::complete || outcome == waf_args::XmlOutcome::truncated)
      one_value = false;
  }
  const bool whole_is_args = one_value || (form && b.form() == kWafRaw);
  b.add(bit(WafField::body) | (whole_is_args ? bit(WafField::body_args) : 0), body, decode);
  if (form) {
    // In raw form the whole body (added above) is its arguments' raw form.
    const bool raw = b.form() == kWafRaw;
    waf_args::for_each_pair(body, '&', [&](std::string_view n, std::string_view v) {
      if (raw) {
        b.add(bit(WafField::args_names), n, WafDecode::form);
        return;
      }
      b.add_pair(bit(WafField::args_names), n, bit(WafField::body_args), v, WafDecode::form);
      b.add(bit(WafField::body_args), waf_args::encoded_pair_value(n), WafDecode::form);
    });
  } else if (multipart) {
    waf_args::for_each_multipart_part(
        body, waf_args::multipart_boundary(type),
        [&](std::string_view n, std::string_view filename, std::string_view content) {
          // A file's content is data, not an argument: only its name is matched.
          b.add_pair(bit(WafField::args_names), n, bit(WafField::body_args),
                     filename.empty() ? content : filename);
        });
  } else if (json) {
    waf_args::for_each_json_string(
        body, {s_.decoded.get(), s_.capacity}, [&](std::string_view s, bool key) {
          b.add(bit(key ? WafField::args_names : WafField::body_args), s);
        });
  }
}

void Inspector::finish_body() noexcept {
  st_.body_inspected = true;
  const std::string_view body(reinterpret_cast<const char*>(st_.body_buffer.data()),
                              st_.body_length);
  if (body.empty()) return;
  for (WafForm form : {kWafRaw, kWafNormalised}) {
    WafBatch b(e_, s_, st_, form);
    body_fields(b, body);
    b.flush();
  }
}

void Inspector::violations() noexcept {
  for (uint32_t rule : e_.violation_rules) {
    if (done()) return;
    const HttpViolation v = e_.rules[rule].violation;
    if (req_.has(v) && !waf_rule_seen(st_, rule))
      waf_record(e_, st_, rule, WafField::violation, http_violation_name(v));
  }
}

}  // namespace

WafDecision waf_inspect(const WafEngine& engine, WafScratch& scratch, WafRequestState& state,
                        const HttpRequest& request, const HttpEvent& event) noexcept {
  if (state.decision != WafDecision::undecided) return state.decision;
  Inspector in(engine, scratch, state, request);
  switch (event.kind) {
    case HttpEventKind::headers_complete:
      in.head();
      break;
    case HttpEventKind::trailer:
      in.trailer(event.field);
      break;
    case HttpEventKind::body:
      in.body(event.body);
      break;
    case HttpEventKind::request_complete:
      if (!state.body_inspected)
        in.finish_body();
      else if (state.stream_state_length != 0)
        in.finish_stream();
      in.violations();
      if (state.decision == WafDecision::undecided) state.decision = WafDecision::pass;
      break;
    case HttpEventKind::error:
      in.violations();
      break;
    case HttpEventKind::request_line:
    case HttpEventKind::header:
    case HttpEventKind::none:
      break;
  }
  return state.decision;
}

}  // namespace gauntlet
