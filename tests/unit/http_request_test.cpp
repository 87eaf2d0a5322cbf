// Tests for the incremental HTTP/1.x request parser: every field of realistic requests,
// keep-alive and pipelining, the same events and body bytes for every split of the stream,
// each protocol violation from a minimal request, and the memory limits. No EAL.
#include "dataplane/waf/http_request.h"

#include <cstdint>
#include <gtest/gtest.h>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gauntlet {
namespace {

using namespace std::string_literals;
using V = HttpViolation;

// What a matcher would have seen of one request, copied out of the parser's views.
struct Seen {
  std::string method, target, path, query;
  int minor = -1;
  std::vector<std::pair<std::string, std::string>> headers, trailers;
  std::string body;
  HttpBodyFraming framing = HttpBodyFraming::none;
  uint64_t index = 0;
  uint32_t violations = 0;
  bool has(V v) const { return (violations & http_violation_bit(v)) != 0; }
};

std::string names_of(uint32_t violations) {
  std::string s;
  for (size_t v = 1; v < kHttpViolations; ++v)
    if (violations & http_violation_bit(static_cast<V>(v)))
      s += std::string(http_violation_name(static_cast<V>(v))) + " ";
  return s;
}

// The sink: a transcript of events (consecutive body fragments merged, since fragment
// boundaries follow the split and nothing else may) and the requests as completed.
struct Collector {
  std::vector<std::string> transcript;
  std::vector<Seen> requests;
  Seen current;
  V error = V::none;

  void operator()(const HttpRequest& r, const HttpEvent& e) {
    switch (e.kind) {
      case HttpEventKind::request_line:
        current = Seen{};
        current.method = r.method;
        current.target = r.target;
        current.path = r.path;
        current.query = r.query;
        current.minor = r.version_minor;
        current.index = r.index;
        transcript.push_back("line " + current.method + " " + current.target +
                             " path=" + current.path + " query=" + current.query);
        break;
      case HttpEventKind::header:
        current.headers.emplace_back(e.field.name, e.field.value);
        transcript.push_back("header " + std::string(e.field.name) + ": " +
                             std::string(e.field.value));
        break;
      case HttpEventKind::headers_complete:
        current.framing = r.framing;
        transcript.push_back("headers framing=" + std::to_string(static_cast<int>(r.framing)));
        break;
      case HttpEventKind::body:
        current.body.append(reinterpret_cast<const char*>(e.body.data()), e.body.size());
        if (transcript.empty() || transcript.back().rfind("body ", 0) != 0)
          transcript.push_back("body ");
        transcript.back().append(reinterpret_cast<const char*>(e.body.data()), e.body.size());
        break;
      case HttpEventKind::trailer:
        current.trailers.emplace_back(e.field.name, e.field.value);
        transcript.push_back("trailer " + std::string(e.field.name) + ": " +
                             std::string(e.field.value));
        break;
      case HttpEventKind::request_complete:
      case HttpEventKind::error:
        current.violations = r.violations;
        requests.push_back(current);
        if (e.kind == HttpEventKind::error) error = e.violation;
        transcript.push_back((e.kind == HttpEventKind::error ? "error " : "complete ") +
                             names_of(r.violations) + "body_bytes=" + std::to_string(r.body_bytes));
        break;
      case HttpEventKind::none:
        ADD_FAILURE() << "a none event was delivered";
        break;
    }
  }
};

struct TestParser {
  explicit TestParser(const HttpLimits& limits = {})
      : storage(limits), parser(limits, storage.head, storage.fields) {}
  bool feed(std::string_view bytes) {
    return parser.feed(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), sink);
  }
  HttpParserStorage storage;
  HttpRequestParser parser;
  Collector sink;
};

Collector parse_whole(std::string_view stream, const HttpLimits& limits = {}) {
  TestParser p(limits);
  p.feed(stream);
  return p.sink;
}

Collector parse_split(std::string_view stream, size_t cut, const HttpLimits& limits = {}) {
  TestParser p(limits);
  p.feed(stream.substr(0, cut));
  p.feed(stream.substr(cut));
  return p.sink;
}

Collector parse_bytewise(std::string_view stream, const HttpLimits& limits = {}) {
  TestParser p(limits);
  for (char c : stream) p.feed(std::string_view(&c, 1));
  return p.sink;
}

std::string post(std::string_view path, std::string_view type, std::string_view body) {
  return "POST " + std::string(path) +
         " HTTP/1.1\r\nHost: shop.example\r\nContent-Type: " + std::string(type) +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

const std::string kGetWithQuery =
    "GET /search?q=hello+world&lang=en HTTP/1.1\r\nHost: example.com\r\n"
    "User-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n";
const std::string kPostForm =
    post("/login", "application/x-www-form-urlencoded", "user=alice&password=s3cr3t%21");
const std::string kPostJson =
    post("/api/v1/items", "application/json", R"({"name":"widget","tags":["a","b"],"n":3})");
const std::string kChunkedUpload =
    "POST /upload HTTP/1.1\r\nHost: files.example\r\nTransfer-Encoding: chunked\r\n"
    "Trailer: X-Checksum\r\n\r\n"
    "5;name=\"first part\"\r\nhello\r\n6 ; last\r\n world\r\n0\r\nX-Checksum: abc123\r\n\r\n";
const std::string kKeepAlive3 = "GET /a HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n" +
                                post("/b", "text/plain", "body-of-b") +
                                "\r\nGET /c?x=1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
const std::string kFoldedAndBareLf =
    "GET / HTTP/1.1\nHost: h\nX-Long: first\r\n  second\r\n\tthird\r\n\n";
const std::string kErrorMidStream =
    "GET / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nBad Name: x\r\n\r\n";

TEST(HttpRequestParser, GetWithQueryHasEveryField) {
  const Collector c = parse_whole(kGetWithQuery);
  ASSERT_EQ(c.requests.size(), 1u);
  const Seen& r = c.requests[0];
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/search?q=hello+world&lang=en");
  EXPECT_EQ(r.path, "/search");
  EXPECT_EQ(r.query, "q=hello+world&lang=en");
  EXPECT_EQ(r.minor, 1);
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"Host", "example.com"}, {"User-Agent", "curl/8.5.0"}, {"Accept", "*/*"}};
  EXPECT_EQ(r.headers, headers);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(r.framing, HttpBodyFraming::none);
  EXPECT_EQ(r.violations, 0u) << names_of(r.violations);
}

TEST(HttpRequestParser, PostFormDeliversTheContentLengthBody) {
  const Collector c = parse_whole(kPostForm);
  ASSERT_EQ(c.requests.size(), 1u);
  EXPECT_EQ(c.requests[0].method, "POST");
  EXPECT_EQ(c.requests[0].path, "/login");
  EXPECT_EQ(c.requests[0].query, "");
  EXPECT_EQ(c.requests[0].framing, HttpBodyFraming::content_length);
  EXPECT_EQ(c.requests[0].body, "user=alice&password=s3cr3t%21");
  EXPECT_EQ(c.requests[0].headers.at(1),
            std::make_pair("Content-Type"s, "application/x-www-form-urlencoded"s));
  EXPECT_EQ(c.requests[0].violations, 0u);
}

TEST(HttpRequestParser, PostJsonDeliversTheBodyAndHeaderLookupIgnoresCase) {
  TestParser p;
  p.feed(kPostJson);
  ASSERT_EQ(p.sink.requests.size(), 1u);
  EXPECT_EQ(p.sink.requests[0].body, R"({"name":"widget","tags":["a","b"],"n":3})");
  // After request_complete the request stays readable until the next one starts.
  EXPECT_EQ(p.parser.request().header("content-TYPE"), "application/json");
  EXPECT_EQ(p.parser.request().header("x-missing"), "");
  EXPECT_EQ(p.parser.request().content_length, 40u);
  EXPECT_EQ(p.parser.request().body_bytes, 40u);
}

TEST(HttpRequestParser, ChunkedUploadIsDechunkedWithExtensionsSkippedAndTrailersDelivered) {
  const Collector c = parse_whole(kChunkedUpload);
  ASSERT_EQ(c.requests.size(), 1u);
  const Seen& r = c.requests[0];
  EXPECT_EQ(r.framing, HttpBodyFraming::chunked);
  EXPECT_EQ(r.body, "hello world");
  ASSERT_EQ(r.trailers.size(), 1u);
  EXPECT_EQ(r.trailers[0], std::make_pair("X-Checksum"s, "abc123"s));
  EXPECT_EQ(r.headers.size(), 3u);
  // The upload says no Content-Type: that is its only (non-terminal) violation.
  EXPECT_EQ(r.violations, http_violation_bit(V::body_without_content_type))
      << names_of(r.violations);
}

TEST(HttpRequestParser, KeepAliveParsesThreeRequestsInOrderSkippingCrlfBetweenThem) {
  const Collector c = parse_whole(kKeepAlive3);
  ASSERT_EQ(c.requests.size(), 3u);
  EXPECT_EQ(c.requests[0].path, "/a");
  EXPECT_EQ(c.requests[1].path, "/b");
  EXPECT_EQ(c.requests[1].body, "body-of-b");
  EXPECT_EQ(c.requests[2].path, "/c");
  EXPECT_EQ(c.requests[2].query, "x=1");
  EXPECT_EQ(c.requests[2].minor, 0);
  EXPECT_FALSE(c.requests[2].has(V::missing_host));  // HTTP/1.0 needs no Host
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(c.requests[i].index, i);
}

TEST(HttpRequestParser, PipelinedRequestsInOneSegmentAllComplete) {
  const std::string pipelined = kGetWithQuery + kPostForm + kChunkedUpload + kGetWithQuery;
  TestParser p;
  EXPECT_TRUE(p.feed(pipelined));
  ASSERT_EQ(p.sink.requests.size(), 4u);
  EXPECT_EQ(p.sink.requests[1].body, "user=alice&password=s3cr3t%21");
  EXPECT_EQ(p.sink.requests[2].body, "hello world");
  EXPECT_EQ(p.sink.requests[3].target, "/search?q=hello+world&lang=en");
  EXPECT_EQ(p.parser.request().index, 3u);
}

TEST(HttpRequestParser, AbsoluteAsteriskAndAuthorityFormsSplitPathAndQuery) {
  Collector c = parse_whole(
      "GET http://example.com:8080/p/q?x=y HTTP/1.1\r\nHost: e\r\n\r\n"
      "OPTIONS * HTTP/1.1\r\nHost: e\r\n\r\n"
      "CONNECT example.com:443 HTTP/1.1\r\nHost: e\r\n\r\n"
      "GET http://example.com HTTP/1.1\r\nHost: e\r\n\r\n");
  ASSERT_EQ(c.requests.size(), 4u);
  EXPECT_EQ(c.requests[0].path, "/p/q");
  EXPECT_EQ(c.requests[0].query, "x=y");
  EXPECT_EQ(c.requests[1].path, "*");
  EXPECT_EQ(c.requests[2].path, "");
  EXPECT_EQ(c.requests[2].target, "example.com:443");
  EXPECT_EQ(c.requests[3].path, "");
}

// THE split test: whole, every 2-way split, and one byte at a time give the same events.
TEST(HttpRequestParser, EverySplitOfTheStreamGivesTheSameFieldsAndBody) {
  const std::vector<std::string> streams = {
      kGetWithQuery,    kPostForm,      kPostJson,
      kChunkedUpload,   kKeepAlive3,    kGetWithQuery + kPostForm + kChunkedUpload,
      kFoldedAndBareLf, kErrorMidStream};
  for (const std::string& stream : streams) {
    const Collector whole = parse_whole(stream);
    ASSERT_FALSE(whole.transcript.empty());
    for (size_t cut = 0; cut <= stream.size(); ++cut)
      ASSERT_EQ(parse_split(stream, cut).transcript, whole.transcript)
          << "split at " << cut << " of:\n"
          << stream;
    EXPECT_EQ(parse_bytewise(stream).transcript, whole.transcript) << stream;
  }
}

// Terminal violations, each from a minimal request: an error event naming it, then nothing.
struct TerminalCase {
  const char* behaviour;
  std::string stream;
  V expected;
};

TEST(HttpRequestParser, EachTerminalViolationStopsParsingWithItsName) {
  const std::string cl_te = "POST / HTTP/1.1\r\nHost: h\r\n";
  const std::vector<TerminalCase> cases = {
      {"method with a non-token byte", "G(T / HTTP/1.1\r\n", V::invalid_method},
      {"empty method", " / HTTP/1.1\r\n", V::invalid_method},
      {"no space at all", "GET\r\n", V::invalid_request_line},
      {"two spaces inside", "GET  HTTP/1.1\r\n", V::invalid_request_line},
      {"space in the target (garbage where the version goes)", "GET /a b HTTP/1.1\r\n",
       V::invalid_version},
      {"control byte in the target", "GET /a\x01 HTTP/1.1\r\n", V::invalid_request_line},
      {"garbage after the version", "GET / HTTP/1.1 extra\r\n", V::invalid_version},
      {"HTTP/0.9 form", "GET /\r\n", V::invalid_version},
      {"HTTP/2.0", "GET / HTTP/2.0\r\n", V::invalid_version},
      {"lower-case version", "GET / http/1.1\r\n", V::invalid_version},
      {"space before the colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n", V::invalid_header_name},
      {"space in a name", "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", V::invalid_header_name},
      {"no colon", "GET / HTTP/1.1\r\nHost\r\n\r\n", V::invalid_header_name},
      {"empty name", "GET / HTTP/1.1\r\n: x\r\n\r\n", V::invalid_header_name},
      {"fold with nothing to continue", "GET / HTTP/1.1\r\n x: y\r\n\r\n", V::invalid_header_name},
      {"bare CR in a value", "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", V::bare_cr},
      {"CR without LF at the end of headers", "GET / HTTP/1.1\r\nHost: h\r\n\rX", V::bare_cr},
      {"Content-Length and Transfer-Encoding",
       cl_te + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
       V::content_length_with_transfer_encoding},
      {"non-numeric Content-Length", cl_te + "Content-Length: abc\r\n\r\n",
       V::invalid_content_length},
      {"signed Content-Length", cl_te + "Content-Length: +5\r\n\r\n", V::invalid_content_length},
      {"empty Content-Length", cl_te + "Content-Length:\r\n\r\n", V::invalid_content_length},
      {"space inside Content-Length", cl_te + "Content-Length: 5 5\r\n\r\n",
       V::invalid_content_length},
      {"Content-Length past 2^64", cl_te + "Content-Length: 18446744073709551616\r\n\r\n",
       V::invalid_content_length},
      {"two different Content-Length fields",
       cl_te + "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", V::conflicting_content_length},
      {"a list of different Content-Lengths", cl_te + "Content-Length: 5, 6\r\n\r\n",
       V::conflicting_content_length},
      {"gzip transfer coding", cl_te + "Transfer-Encoding: gzip, chunked\r\n\r\n",
       V::unsupported_transfer_encoding},
      {"chunked not last", cl_te + "Transfer-Encoding: chunked, gzip\r\n\r\n",
       V::unsupported_transfer_encoding},
      {"chunked twice", cl_te + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
       V::unsupported_transfer_encoding},
      {"17 hex digits", cl_te + "Transfer-Encoding: chunked\r\n\r\n00000000000000001\r\n",
       V::chunk_size_overflow},
      {"chunk past max_chunk_size", cl_te + "Transfer-Encoding: chunked\r\n\r\n40000001\r\n",
       V::chunk_size_overflow},
      {"chunk size not hex", cl_te + "Transfer-Encoding: chunked\r\n\r\nzz\r\n", V::invalid_chunk},
      {"whitespace without extension", cl_te + "Transfer-Encoding: chunked\r\n\r\n5 \r\n",
       V::invalid_chunk},
      {"junk after the size", cl_te + "Transfer-Encoding: chunked\r\n\r\n5x\r\n", V::invalid_chunk},
      {"data longer than its size",
       cl_te + "Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX\r\n0\r\n\r\n", V::invalid_chunk},
      {"CR without LF after the size", cl_te + "Transfer-Encoding: chunked\r\n\r\n5\rhello",
       V::invalid_chunk},
  };
  for (const TerminalCase& t : cases) {
    TestParser p;
    EXPECT_FALSE(p.feed(t.stream)) << t.behaviour;
    EXPECT_EQ(p.sink.error, t.expected)
        << t.behaviour << ": got " << http_violation_name(p.sink.error);
    EXPECT_TRUE(http_violation_is_terminal(t.expected)) << t.behaviour;
    EXPECT_TRUE(p.parser.request().has(t.expected)) << t.behaviour;
    EXPECT_TRUE(p.parser.failed()) << t.behaviour;
  }
}

TEST(HttpRequestParser, ErrorStateIsTerminalAndIgnoresEverythingAfter) {
  TestParser p;
  EXPECT_FALSE(p.feed("BAD\x7f / HTTP/1.1\r\n"));
  const size_t events = p.sink.transcript.size();
  EXPECT_FALSE(p.feed(kGetWithQuery));
  EXPECT_FALSE(p.feed(""));
  EXPECT_EQ(p.sink.transcript.size(), events);
  HttpEvent e;
  EXPECT_EQ(p.parser.next(reinterpret_cast<const uint8_t*>("abc"), 3, e), 3u);
  EXPECT_EQ(e.kind, HttpEventKind::none);
}

TEST(HttpRequestParser, MissingHostIsFlaggedOnHttp11Only) {
  Collector c = parse_whole("GET / HTTP/1.1\r\n\r\nGET / HTTP/1.0\r\n\r\n");
  ASSERT_EQ(c.requests.size(), 2u);
  EXPECT_TRUE(c.requests[0].has(V::missing_host));
  EXPECT_FALSE(c.requests[1].has(V::missing_host));
}

TEST(HttpRequestParser, BodyWithoutTypeAndBodyOnGetAreFlagged) {
  Collector c = parse_whole(
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nab"
      "GET / HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nab"
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nab"
      "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(c.requests.size(), 4u);
  EXPECT_TRUE(c.requests[0].has(V::body_without_content_type));
  EXPECT_FALSE(c.requests[0].has(V::body_on_get_or_head));
  EXPECT_FALSE(c.requests[1].has(V::body_without_content_type));
  EXPECT_TRUE(c.requests[1].has(V::body_on_get_or_head));
  EXPECT_FALSE(c.requests[2].has(V::body_without_content_type));
  EXPECT_FALSE(c.requests[2].has(V::body_on_get_or_head));
  EXPECT_FALSE(c.requests[3].has(V::body_without_content_type));  // an empty body is no body
  EXPECT_FALSE(c.requests[3].has(V::body_on_get_or_head));
}

TEST(HttpRequestParser, UnknownMethodIsFlaggedAndParsed) {
  Collector c = parse_whole("FOO / HTTP/1.1\r\nHost: h\r\n\r\nget / HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(c.requests.size(), 2u);
  EXPECT_TRUE(c.requests[0].has(V::unknown_method));
  EXPECT_TRUE(c.requests[1].has(V::unknown_method));  // methods are case-sensitive
  EXPECT_EQ(c.error, V::none);
}

TEST(HttpRequestParser, ObsoleteFoldingIsUnfoldedToSpacesAndFlagged) {
  Collector c = parse_whole(kFoldedAndBareLf);
  ASSERT_EQ(c.requests.size(), 1u);
  EXPECT_TRUE(c.requests[0].has(V::obsolete_line_folding));
  EXPECT_EQ(c.requests[0].headers.at(1), std::make_pair("X-Long"s, "first  second third"s));
}

TEST(HttpRequestParser, BareLfIsAcceptedEverywhereAndFlagged) {
  Collector c =
      parse_whole("POST / HTTP/1.1\nHost: h\nTransfer-Encoding: chunked\n\n3\nabc\n0\nT: v\n\n");
  ASSERT_EQ(c.requests.size(), 1u);
  EXPECT_EQ(c.requests[0].body, "abc");
  EXPECT_TRUE(c.requests[0].has(V::bare_lf));
  EXPECT_EQ(c.requests[0].trailers.size(), 1u);
}

TEST(HttpRequestParser, DuplicateHostAndControlBytesInValuesAreFlaggedNotFatal) {
  Collector c = parse_whole("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\nX: a\0b\r\n\r\n"s);
  ASSERT_EQ(c.requests.size(), 1u);
  EXPECT_TRUE(c.requests[0].has(V::duplicate_host));
  EXPECT_TRUE(c.requests[0].has(V::invalid_header_value));
  EXPECT_EQ(c.requests[0].headers.at(2).second, "a\0b"s);
}

TEST(HttpRequestParser, IdenticalRepeatedContentLengthIsAccepted) {
  Collector c = parse_whole(
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\n"
      "Content-Length: 3\r\n\r\nabc");
  ASSERT_EQ(c.requests.size(), 1u);
  EXPECT_EQ(c.requests[0].body, "abc");
}

TEST(HttpRequestParser, TooManyHeadersAtTheLimitPlusOne) {
  HttpLimits limits;
  limits.max_headers = 3;
  EXPECT_EQ(parse_whole("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits).error, V::none);
  EXPECT_EQ(parse_whole("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", limits).error,
            V::too_many_headers);
}

TEST(HttpRequestParser, TrailersCountAgainstTheHeaderLimits) {
  HttpLimits limits;
  limits.max_headers = 2;
  EXPECT_EQ(parse_whole("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: 1\r\n"
                        "B: 2\r\n\r\n",
                        limits)
                .error,
            V::too_many_headers);
}

TEST(HttpRequestParser, RequestLineExactlyAtTheLimitPassesAndOneMoreFails) {
  HttpLimits limits;
  limits.max_request_line = 32;
  const std::string at_limit = "GET /" + std::string(17, 'a') + " HTTP/1.1\r";  // 32 with CR
  ASSERT_EQ(at_limit.size(), 32u);
  EXPECT_EQ(parse_whole(at_limit + "\nHost: h\r\n\r\n", limits).error, V::none);
  const std::string over = "GET /" + std::string(18, 'a') + " HTTP/1.1\r\n";
  EXPECT_EQ(parse_whole(over, limits).error, V::request_line_too_long);
}

TEST(HttpRequestParser, OverLongRequestLineFailsBeforeItsEndArrives) {
  HttpLimits limits;
  limits.max_request_line = 64;
  TestParser p(limits);
  EXPECT_FALSE(p.feed("GET /" + std::string(100, 'a')));  // no LF yet
  EXPECT_EQ(p.sink.error, V::request_line_too_long);
  EXPECT_LE(p.parser.buffered_bytes(), 64u);
}

TEST(HttpRequestParser, HundredKilobyteHeaderLineFailsAndMemoryStaysBounded) {
  TestParser p;
  EXPECT_TRUE(p.feed("GET / HTTP/1.1\r\nHost: h\r\nX-Big: "));
  const std::string chunk(1000, 'x');
  bool ok = true;
  for (int i = 0; i < 100 && ok; ++i) {
    ok = p.feed(chunk);
    EXPECT_LE(p.parser.buffered_bytes(), size_t{8192} + 32768);
  }
  EXPECT_FALSE(ok);
  EXPECT_EQ(p.sink.error, V::header_line_too_long);
  EXPECT_EQ(p.storage.head.size(), size_t{8192} + 32768);  // storage never grew
  EXPECT_FALSE(p.feed(chunk + "\r\n\r\n"));
}

TEST(HttpRequestParser, ManyShortHeadersPastTheTotalBudgetFail) {
  HttpLimits limits;
  limits.max_header_bytes = 100;
  std::string stream = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 20; ++i) stream += "X-" + std::to_string(i) + ": 0123456789\r\n";
  EXPECT_EQ(parse_whole(stream + "\r\n", limits).error, V::headers_too_large);
}

// Found by fuzzing: a line that crosses the total budget before its own limit must report
// the total budget however the bytes are split (a big segment used to see the line first).
TEST(HttpRequestParser, TheLimitCrossedFirstIsReportedForEverySplit) {
  HttpLimits limits;
  limits.max_header_line = 64;
  limits.max_header_bytes = 100;
  const std::string stream = "GET / HTTP/1.1\r\nA: " + std::string(50, 'x') +
                             "\r\nB: " + std::string(70, 'y') + "\r\n\r\n";
  const Collector whole = parse_whole(stream, limits);
  EXPECT_EQ(whole.error, V::headers_too_large);
  for (size_t cut = 0; cut <= stream.size(); ++cut)
    ASSERT_EQ(parse_split(stream, cut, limits).transcript, whole.transcript) << "cut " << cut;
  EXPECT_EQ(parse_bytewise(stream, limits).transcript, whole.transcript);
}

TEST(HttpRequestParser, LongChunkExtensionFails) {
  HttpLimits limits;
  limits.max_chunk_extension = 16;
  const std::string head = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  EXPECT_EQ(parse_whole(head + "1;" + std::string(15, 'a') + "\r\nx\r\n0\r\n\r\n", limits).error,
            V::none);
  EXPECT_EQ(parse_whole(head + "1;" + std::string(16, 'a') + "\r\n", limits).error,
            V::chunk_extension_too_long);
}

TEST(HttpRequestParser, LargestSixteenDigitChunkSizeIsAcceptedWhenTheLimitAllows) {
  HttpLimits limits;
  limits.max_chunk_size = UINT64_MAX;
  TestParser p(limits);
  EXPECT_TRUE(
      p.feed("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
             "ffffffffffffffff\r\nabc"));
  EXPECT_EQ(p.sink.current.body, "abc");
}

TEST(HttpRequestParser, MillionOneByteFeedsOfALongBodyStreamEveryByte) {
  constexpr size_t kBody = 1000000;
  TestParser p;
  ASSERT_TRUE(p.feed("POST /big HTTP/1.1\r\nHost: h\r\nContent-Length: " + std::to_string(kBody) +
                     "\r\n\r\n"));
  size_t delivered = 0;
  bool in_order = true;
  auto count = [&](const HttpRequest&, const HttpEvent& e) {
    if (e.kind != HttpEventKind::body) return;
    for (uint8_t b : e.body) in_order &= b == static_cast<uint8_t>('a' + delivered++ % 26);
  };
  for (size_t i = 0; i < kBody; ++i) {
    const uint8_t b = static_cast<uint8_t>('a' + i % 26);
    ASSERT_TRUE(p.parser.feed(&b, 1, count));
  }
  EXPECT_EQ(delivered, kBody);
  EXPECT_TRUE(in_order);
  EXPECT_EQ(p.parser.request().body_bytes, kBody);
  EXPECT_LT(p.parser.buffered_bytes(), 100u);  // the body is never buffered
  // The request completed with its last byte; the next request parses normally.
  ASSERT_TRUE(p.feed(kGetWithQuery));
  EXPECT_EQ(p.parser.request().index, 1u);
}

TEST(HttpRequestParser, NamesOfViolationsAreNamespaced) {
  for (size_t v = 1; v < kHttpViolations; ++v)
    EXPECT_EQ(http_violation_name(static_cast<V>(v)).substr(0, 5), "http:");
  EXPECT_EQ(http_violation_name(V::missing_host), "http:missing-host");
}
}  // namespace
}  // namespace gauntlet
