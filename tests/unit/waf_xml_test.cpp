// Tests for the XML argument splitter (dataplane/waf/waf_xml.h): which texts become argument
// values and names, reference decoding without entity expansion, what is skipped (comments,
// processing instructions, declarations), the outcome of truncated, malformed and hostile
// documents, the argument limit, and which bodies are read as XML.
#include "dataplane/waf/waf_xml.h"

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace gauntlet::waf_args {
namespace {

struct Split {
  XmlOutcome outcome = XmlOutcome::complete;
  std::vector<std::string> values;
  std::vector<std::string> names;
  std::vector<std::string> all;  // in document order, names as "<name>"
};

Split split(std::string_view xml, size_t max_arguments = kXmlMaxArguments, size_t buffer = 4096) {
  std::vector<char> buf(buffer);
  Split s;
  s.outcome = for_each_xml_argument(xml, buf, max_arguments, [&](std::string_view t, bool name) {
    (name ? s.names : s.values).emplace_back(t);
    s.all.push_back(name ? "<" + std::string(t) + ">" : std::string(t));
  });
  return s;
}

using V = std::vector<std::string>;

TEST(WafXmlTest, AttributeValuesAndTextAreValuesElementAndAttributeNamesAreNames) {
  const Split s = split(
      "<?xml version=\"1.0\"?>\n<order id=\"7\" note='it is \"fine\"'>\n"
      "  <item sku=\"A-1\">Men's shoes</item>\n  <empty/>\n</order>\n");
  EXPECT_EQ(s.outcome, XmlOutcome::complete);
  EXPECT_EQ(s.values, (V{"7", "it is \"fine\"", "A-1", "Men's shoes"}));
  EXPECT_EQ(s.names, (V{"order", "id", "note", "item", "sku", "empty"}));
  EXPECT_EQ(s.all, (V{"<order>", "<id>", "7", "<note>", "it is \"fine\"", "<item>", "<sku>", "A-1",
                      "Men's shoes", "<empty>"}));
}

TEST(WafXmlTest, NestedTextNodesAreSeparateValuesTrimmedWhitespaceOnlyOnesSkipped) {
  const Split s = split("<a>\n  one <b>two</b>  three\n\t<c> </c><d>\r\n</d></a>");
  EXPECT_EQ(s.outcome, XmlOutcome::complete);
  EXPECT_EQ(s.values, (V{"one", "two", "three"}));
  EXPECT_EQ(s.names, (V{"a", "b", "c", "d"}));
}

TEST(WafXmlTest, PredefinedAndCharacterReferencesAreDecoded) {
  const Split s = split(
      "<a p=\"&apos; or &#x31;=&#49;&quot;\">&lt;script&gt; &amp;amp; &#233;&#x20AC;&#x1F600;</a>");
  EXPECT_EQ(s.values, (V{"' or 1=1\"", "<script> &amp; \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"}));
}

TEST(WafXmlTest, OtherReferencesAreNeverExpanded) {
  // A declared entity stays a reference; so do invalid character references and a bare '&'.
  // The declaration's quoted strings (an entity's system identifier or value) are values.
  const Split s = split(
      "<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\"> <!ENTITY y \"a>b]\">]>"
      "<r v=\"&x;\">&y; &#0; &#xD800; &#x110000; &#12345678901; & &#x41</r>");
  EXPECT_EQ(s.outcome, XmlOutcome::complete);
  EXPECT_EQ(s.values, (V{"file:///etc/passwd", "a>b]", "&x;",
                         "&y; &#0; &#xD800; &#x110000; &#12345678901; & &#x41"}));
  EXPECT_EQ(s.names, (V{"r", "v"}));
}

TEST(WafXmlTest, CdataIsAValueAsWrittenCommentsAndInstructionsAreSkipped) {
  const Split s = split(
      "<?xml version=\"1.0\"?><!-- a <b>comment</b> --><?pi x=\"1\"?>"
      "<a><![CDATA[ 1' or '1'='1 &lt; ]]><!--x--></a>");
  EXPECT_EQ(s.outcome, XmlOutcome::complete);
  EXPECT_EQ(s.values, (V{"1' or '1'='1 &lt;"}));
  EXPECT_EQ(s.names, (V{"a"}));
}

TEST(WafXmlTest, InputEndingInsideMarkupIsTruncatedWithThePartialValueVisited) {
  // A body cut by the inspection buffer: what was read, and the value being read, count.
  Split s = split("<a><b p=\"1' or sle");
  EXPECT_EQ(s.outcome, XmlOutcome::truncated);
  EXPECT_EQ(s.values, (V{"1' or sle"}));
  s = split("<a>text<![CDATA[par");
  EXPECT_EQ(s.outcome, XmlOutcome::truncated);
  EXPECT_EQ(s.values, (V{"text", "par"}));
  for (const char* cut : {"<a><!-- never closed", "<a><?pi", "<!DOCTYPE a [", "<a", "<a b",
                          "<a></a", "<", "<!", "<![CD"}) {
    s = split(cut);
    EXPECT_EQ(s.outcome, XmlOutcome::truncated) << cut;
  }
  EXPECT_EQ(split("<a>unclosed element").outcome, XmlOutcome::complete);  // nesting unchecked
}

TEST(WafXmlTest, EverySplitPointGivesAPrefixOfTheWholeDocumentsArguments) {
  const std::string doc =
      "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"urn:x\"><s:Body><q id='1'>a &amp; b</q>"
      "<![CDATA[c]]><!-- d --></s:Body></s:Envelope>";
  const Split whole = split(doc);
  ASSERT_EQ(whole.outcome, XmlOutcome::complete);
  for (size_t cut = 0; cut <= doc.size(); ++cut) {
    const Split part = split(std::string_view(doc).substr(0, cut));
    // Every argument but the last is one of the whole document's, in order; the last may be
    // cut short (a name or value cut by the buffer limit; a cut reference is not decoded, and
    // a CDATA section cut inside its "]]>" keeps the "]" read so far).
    ASSERT_LE(part.all.size(), whole.all.size()) << cut;
    for (size_t k = 0; k < part.all.size(); ++k) {
      const std::string& got = part.all[k];
      const std::string& want = whole.all[k];
      if (k + 1 < part.all.size() || got == want) {
        EXPECT_EQ(got, want) << cut;
      } else if (got.starts_with("<")) {
        EXPECT_TRUE(want.starts_with(got.substr(0, got.size() - 1))) << cut << ": " << got;
      } else {
        const std::string before_close = got.substr(0, got.find_last_not_of(']') + 1);
        EXPECT_TRUE(want.starts_with(before_close) || got.starts_with("a &a"))
            << cut << ": " << got;
      }
    }
  }
}

TEST(WafXmlTest, FaultsAreReadThroughAndReported) {
  Split s = split("<a>1 < 2 and x<>y</a>");
  EXPECT_EQ(s.outcome, XmlOutcome::malformed);
  EXPECT_EQ(s.values, (V{"1 < 2 and x<>y"}));
  s = split("<input checked value=unquoted disabled x=\"1\" \"stray\" ~ y='2'>");
  EXPECT_EQ(s.outcome, XmlOutcome::malformed);
  EXPECT_EQ(s.names, (V{"input", "checked", "value", "disabled", "x", "y"}));
  EXPECT_EQ(s.values, (V{"unquoted", "1", "stray", "2"}));
  s = split("<a x=\"1\"<b>text</b>");  // a '<' inside a tag ends it
  EXPECT_EQ(s.outcome, XmlOutcome::malformed);
  EXPECT_EQ(s.names, (V{"a", "x", "b"}));
  EXPECT_EQ(s.values, (V{"1", "text"}));
}

TEST(WafXmlTest, ArgumentsPastTheLimitAreNotVisited) {
  std::string doc = "<r>";
  for (int i = 0; i < 50; ++i) doc += "<v n=\"" + std::to_string(i) + "\">t</v>";
  doc += "</r>";
  const Split s = split(doc, 10);
  EXPECT_EQ(s.outcome, XmlOutcome::limited);
  EXPECT_EQ(s.all.size(), 10u);
  EXPECT_EQ(split(doc, 1 + 50 * 4).outcome, XmlOutcome::complete);
  EXPECT_EQ(split(doc, 50 * 4).outcome, XmlOutcome::limited);
}

TEST(WafXmlTest, DecodedValuesAreCutToTheBuffer) {
  const Split s = split("<a>&lt;&lt;&lt;&lt;&lt;&lt;</a>", kXmlMaxArguments, 4);
  EXPECT_EQ(s.values, (V{"<<<<"}));
}

TEST(WafXmlTest, HostileInputEndsWithAnOutcomeAndNoMoreVisitsThanTheLimit) {
  // Deep nesting, a huge run of one construct, unclosed quotes and brackets: each finishes
  // with an outcome (ASan runs of this suite check that nothing reads out of bounds).
  std::string deep;
  for (int i = 0; i < 20000; ++i) deep += "<a>";
  EXPECT_EQ(split(deep).outcome, XmlOutcome::limited);
  EXPECT_EQ(split(deep, 1u << 20).outcome, XmlOutcome::complete);
  EXPECT_EQ(split(std::string(100000, '<')).outcome, XmlOutcome::truncated);
  EXPECT_EQ(split("<!DOCTYPE [[[[[[\"]]]]>").outcome, XmlOutcome::truncated);
  EXPECT_EQ(split("<a b='" + std::string(100000, '&') + "'>").values.size(), 1u);
  uint32_t seed = 7;
  auto next = [&seed]() { return seed = seed * 1103515245u + 12345u; };
  const char* pieces[] = {"<",  ">", "/",  "?",    "!",    "--",        "[CDATA[",
                          "]]", "=", "\"", "'",    "&",    ";",         "#x",
                          "lt", "a", " ",  "\x00", "\xff", "<!DOCTYPE", "]"};
  for (int i = 0; i < 2000; ++i) {
    std::string doc;
    for (uint32_t n = next() % 60; n > 0; --n) doc += pieces[next() % std::size(pieces)];
    size_t total = 0;
    std::vector<char> buf(64);
    for_each_xml_argument(doc, buf, 100, [&](std::string_view t, bool) {
      EXPECT_LE(t.size(), doc.size());
      ++total;
    });
    EXPECT_LE(total, 100u);
  }
}

TEST(WafXmlTest, XmlBodiesAreKnownByMediaTypeOrByTheirFirstByteWithoutOne) {
  for (const char* type : {"application/xml", "text/xml; charset=utf-8", "application/soap+xml",
                           "application/atom+xml", "image/svg+xml", "TEXT/XML"})
    EXPECT_TRUE(is_xml_body(type, "x")) << type;
  for (const char* type :
       {"application/json", "text/plain", "application/x-www-form-urlencoded",
        "multipart/related; type=\"application/xop+xml\"", "application/xml-dtd", "xml"})
    EXPECT_FALSE(is_xml_body(type, "<a/>")) << type;
  EXPECT_TRUE(is_xml_body("", " \r\n<a>1</a>"));
  EXPECT_FALSE(is_xml_body("", "a=1&b=<c>"));
  EXPECT_FALSE(is_xml_body("", ""));
}

}  // namespace
}  // namespace gauntlet::waf_args
