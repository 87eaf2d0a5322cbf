// Tests for the WAF normalisation transforms: table-driven cases per transform (edge cases
// included), output capacity exactly hit and one short, in-place use, and the combined
// normalise() per field kind. No EAL.
#include "dataplane/waf/normalise.h"

#include <gtest/gtest.h>
#include <string>
#include <string_view>
#include <vector>

namespace gauntlet {
namespace {

using namespace std::string_literals;

struct Case {
  std::string in;
  std::string out;
  uint16_t flags = 0;  // the flags the result must have (others may be set too)
};

using Transform = NormaliseResult (*)(std::string_view, std::span<char>);

// Runs `t` with ample room, with exactly the room the result needs, and in place: all three
// must agree. One byte less than needed must truncate to a prefix.
void check_cases(const char* name, Transform t, const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(name) + " of \"" + c.in + "\"");
    std::string ample(c.in.size() + 16, '#');
    const NormaliseResult r = t(c.in, ample);
    EXPECT_EQ(std::string(ample.data(), r.length), c.out);
    EXPECT_EQ(r.flags & c.flags, c.flags) << "flags " << r.flags;
    EXPECT_FALSE(r.truncated());

    std::string exact(c.out.size(), '#');
    const NormaliseResult e = t(c.in, exact);
    EXPECT_EQ(std::string(exact.data(), e.length), c.out);
    EXPECT_FALSE(e.truncated()) << "capacity exactly hit is not truncation";

    std::string in_place = c.in;
    const NormaliseResult p = t(in_place, in_place);
    EXPECT_EQ(in_place.substr(0, p.length), c.out);

    if (!c.out.empty()) {
      std::string short_by_one(c.out.size() - 1, '#');
      const NormaliseResult s = t(c.in, short_by_one);
      EXPECT_TRUE(s.truncated());
      EXPECT_LE(s.length, short_by_one.size());
      EXPECT_EQ(c.out.substr(0, s.length), std::string(short_by_one.data(), s.length));
    }
  }
}

NormaliseResult decode_plain(std::string_view in, std::span<char> out) {
  return percent_decode(in, out);
}
NormaliseResult decode_query(std::string_view in, std::span<char> out) {
  PercentDecodeOptions o;
  o.plus_to_space = true;
  return percent_decode(in, out, o);
}
NormaliseResult decode_twice(std::string_view in, std::span<char> out) {
  PercentDecodeOptions o;
  o.double_decode = true;
  return percent_decode(in, out, o);
}
NormaliseResult decode_fullwidth(std::string_view in, std::span<char> out) {
  PercentDecodeOptions o;
  o.fullwidth_to_ascii = true;
  return percent_decode(in, out, o);
}

TEST(PercentDecode, DecodesEscapesAndLeavesInvalidOnesAsTheyAre) {
  check_cases("percent_decode", decode_plain,
              {
                  {"", ""},
                  {"plain", "plain"},
                  {"%41%62%2f", "Ab/"},
                  {"%2F%2f", "//"},
                  {"a+b", "a+b"},
                  {"%", "%", kNormInvalidEscape},
                  {"abc%", "abc%", kNormInvalidEscape},
                  {"%4", "%4", kNormInvalidEscape},
                  {"%zz", "%zz", kNormInvalidEscape},
                  {"%%41", "%A", kNormInvalidEscape},
                  {"%4g%41", "%4gA", kNormInvalidEscape},
                  {"a%00b", "a\0b"s, kNormNulSeen},
                  {"%u0041%u00e9", "A\xc3\xa9", kNormUnicodeEscape},
                  {"%U2215", "\xe2\x88\x95", kNormUnicodeEscape},
                  {"%uD800", "\xed\xa0\x80", kNormUnicodeEscape},
                  {"%u", "%u", kNormInvalidEscape},
                  {"%u12", "%u12", kNormInvalidEscape},
                  {"%u12zz", "%u12zz", kNormInvalidEscape},
                  {"%uff0e", "\xef\xbc\x8e", kNormUnicodeEscape},
              });
}

TEST(PercentDecode, PlusBecomesSpaceOnlyInQueryModeAndEncodedPlusStaysPlus) {
  check_cases(
      "query", decode_query,
      {{"a+b", "a b"}, {"a%2Bb", "a+b"}, {"++", "  "}, {"q=hello+world%21", "q=hello world!"}});
}

TEST(PercentDecode, DoubleDecodeDecodesOnceMoreAndStopsThere) {
  check_cases("double", decode_twice,
              {
                  {"%252e%252e%252f", "../", kNormDoubleEncoded},
                  {"%2541", "A", kNormDoubleEncoded},
                  {"%25252e", "%2e", kNormDoubleEncoded},  // triple stays visible
                  {"%2e%2e", ".."},
                  {"%25zz", "%zz"},
                  {"%252B", "+", kNormDoubleEncoded},
                  {"%25u0041", "A", kNormDoubleEncoded},
              });
  std::string out(8, '#');
  EXPECT_FALSE(decode_twice("%2e", out).has(kNormDoubleEncoded));
  EXPECT_FALSE(decode_twice("%25zz", out).has(kNormInvalidEscape));  // the input was valid
}

TEST(PercentDecode, FullwidthFormsMapToAsciiWhenAsked) {
  check_cases("fullwidth", decode_fullwidth,
              {{"%uff0e%uff0e%uff0f", "../", kNormUnicodeEscape}, {"%uFF21", "A"}});
}

TEST(PercentDecode, TruncationStopsAtAWholeUtf8Sequence) {
  std::string out(2, '#');
  const NormaliseResult r = percent_decode("a%u20ac", out);  // "a" + 3-byte euro sign
  EXPECT_TRUE(r.truncated());
  EXPECT_EQ(r.length, 1u);
  EXPECT_EQ(out[0], 'a');
}

TEST(NormalisePath, ResolvesDotSegmentsCollapsesSlashesAndNeverClimbsAboveRoot) {
  check_cases("normalise_path", normalise_path,
              {
                  {"", ""},
                  {"/", "/"},
                  {"//", "/"},
                  {"/a//b///c", "/a/b/c"},
                  {"/a/./b", "/a/b", kNormPathTraversal},
                  {"/a/b/../c", "/a/c", kNormPathTraversal},
                  {"/../../etc/passwd", "/etc/passwd", kNormPathAboveRoot},
                  {"/a/../../etc/passwd", "/etc/passwd", kNormPathAboveRoot},
                  {"..\\..\\windows", "windows", kNormPathAboveRoot},
                  {"\\..\\..\\windows\\win.ini", "/windows/win.ini", kNormPathAboveRoot},
                  {"/a/b/..", "/a/", kNormPathTraversal},
                  {"/a/b/.", "/a/b/", kNormPathTraversal},
                  {"/a/", "/a/"},
                  {"a/b", "a/b"},
                  {"./a", "a"},
                  {"/..", "/", kNormPathAboveRoot},
                  {"/...", "/..."},
                  {"/a..b/.c", "/a..b/.c"},
                  {"/a/b/c/../../d", "/a/d"},
              });
}

TEST(NormalisePath, NoFlagsWhenThereIsNothingToResolve) {
  std::string out(32, '#');
  EXPECT_EQ(normalise_path("/index.html", out).flags, 0);
}

TEST(RemoveNul, RemovesEveryNulAndSaysSo) {
  check_cases("remove_nul", remove_nul,
              {{"abc", "abc"}, {"a\0b\0"s, "ab", kNormNulSeen}, {"\0"s, "", kNormNulSeen}});
  std::string out(4, '#');
  EXPECT_FALSE(remove_nul("abc", out).has(kNormNulSeen));
}

TEST(ToLowerAscii, FoldsOnlyAsciiLetters) {
  check_cases("to_lower_ascii", to_lower_ascii,
              {{"SeLeCt * FROM T", "select * from t"}, {"\xc3\x89\x41", "\xc3\x89\x61"}});
}

TEST(DecodeHtmlEntities, DecodesNamedAndNumericWithOrWithoutSemicolon) {
  check_cases("decode_html_entities", decode_html_entities,
              {
                  {"&lt;script&gt;", "<script>", kNormHtmlEntity},
                  {"&ltscript&gt", "<script>", kNormHtmlEntity},
                  {"&amp;&quot;&apos;", "&\"'"},
                  {"&LT;&QUOT;", "<\""},
                  {"&#60;&#x3c;&#X3C;", "<<<"},
                  {"&#60&#x3c", "<<"},
                  {"&#0000060;", "<"},
                  {"javascript&colon;alert&lpar;1&rpar;", "javascript:alert(1)"},
                  {"java&Tab;script&NewLine;", "java\tscript\n"},
                  {"&#x20AC;", "\xe2\x82\xac"},
                  {"&#128512;", "\xf0\x9f\x98\x80"},
                  {"&#0;", "\xef\xbf\xbd"},
                  {"&#x110000;", "\xef\xbf\xbd"},
                  {"&#99999999999999999999;", "\xef\xbf\xbd"},
                  {"&#xD800;", "\xef\xbf\xbd"},
                  {"&nbsp;", "\xc2\xa0"},
                  {"&", "&"},
                  {"&;", "&;"},
                  {"&#;", "&#;"},
                  {"&#x;", "&#x;"},
                  {"&#xg", "&#xg"},
                  {"&unknown;", "&unknown;"},
                  {"&Lt;", "&Lt;"},  // names are case-sensitive
                  {"AT&T", "AT&T"},
              });
}

TEST(CompressWhitespace, RunsOfAnyWhitespaceBecomeOneSpace) {
  check_cases("compress_whitespace", compress_whitespace,
              {
                  {"a  b", "a b"},
                  {"a\t\r\n\v\fb", "a b"},
                  {"  lead and trail  ", " lead and trail "},
                  {"union\tselect", "union select"},
                  {"none", "none"},
                  {"", ""},
              });
}

TEST(ReplaceSqlComments, CommentsBecomeOneSpaceAndExecutableCommentsKeepTheirCode) {
  check_cases("replace_sql_comments", replace_sql_comments,
              {
                  {"UNION/**/SELECT", "UNION SELECT", kNormSqlComment},
                  {"UNION/* any text */SELECT", "UNION SELECT", kNormSqlComment},
                  {"a/* unterminated", "a ", kNormSqlComment},
                  {"a/*/b", "a ", kNormSqlComment},
                  {"/*!50000UNION*/ SELECT", " UNION  SELECT", kNormSqlComment},
                  {"/*!UNION*/", " UNION ", kNormSqlComment},
                  {"/*!123456SELECT*/", " SELECT ", kNormSqlComment},
                  {"a*/b", "a*/b"},
                  {"1 / 2 * 3", "1 / 2 * 3"},
                  {"/", "/"},
              });
}

// Every string over a small alphabet, up to `max_len` bytes: all the ways the tricky bytes
// can meet, which hand-picked cases miss.
std::vector<std::string> all_strings(std::string_view alphabet, size_t max_len) {
  std::vector<std::string> all = {""};
  for (size_t begin = 0, len = 1; len <= max_len; ++len) {
    const size_t end = all.size();
    for (size_t k = begin; k < end; ++k)
      for (char c : alphabet) all.push_back(all[k] + c);
    begin = end;
  }
  return all;
}

TEST(NormalisePath, EveryCapacityGivesAPrefixOfTheFullResultOnAllShortPaths) {
  for (const std::string& in : all_strings("a./\\", 7)) {
    std::string full(in.size(), '#');
    const NormaliseResult f = normalise_path(in, full);
    ASSERT_FALSE(f.truncated());
    full.resize(f.length);
    for (size_t cap = 0; cap < in.size(); ++cap) {
      std::string out(cap, '#');
      const NormaliseResult r = normalise_path(in, out);
      ASSERT_EQ(r.truncated(), full.size() > cap) << in << " cap " << cap;
      ASSERT_EQ(out.substr(0, r.length), full.substr(0, r.length)) << in << " cap " << cap;
      ASSERT_EQ(r.flags & ~kNormTruncated, f.flags) << in << " cap " << cap;
    }
  }
}

TEST(PercentDecode, DoubleDecodeEqualsTwoSinglePassesAtEveryCapacity) {
  PercentDecodeOptions twice;
  twice.double_decode = true;
  for (const std::string& in : all_strings("%25eu0+", 6)) {
    std::string once(in.size(), '#');
    once.resize(percent_decode(in, once).length);
    std::string reference(once.size(), '#');
    reference.resize(percent_decode(once, reference).length);
    for (size_t cap = 0; cap <= in.size(); ++cap) {
      std::string out(cap, '#');
      const NormaliseResult r = percent_decode(in, out, twice);
      ASSERT_EQ(r.truncated(), reference.size() > cap) << in << " cap " << cap;
      ASSERT_EQ(out.substr(0, r.length), reference.substr(0, r.length)) << in << " cap " << cap;
      if (!r.truncated()) {
        ASSERT_EQ(r.length, reference.size()) << in;
      }
    }
  }
}

TEST(Normalise, PathKindDecodesThenResolvesTraversal) {
  std::string out(64, '#');
  NormaliseResult r = normalise(FieldKind::path, "/static/%2e%2e/%2E%2E/etc/PASSWD%00.png", out);
  EXPECT_EQ(std::string(out.data(), r.length), "/etc/passwd.png");
  EXPECT_TRUE(r.has(kNormPathAboveRoot));
  EXPECT_TRUE(r.has(kNormNulSeen));

  NormaliseOptions twice;
  twice.double_decode = true;
  r = normalise(FieldKind::path, "/a/%252e%252e%252f%252e%252e%252fetc/passwd", out, twice);
  EXPECT_EQ(std::string(out.data(), r.length), "/etc/passwd");
  EXPECT_TRUE(r.has(kNormDoubleEncoded));
  EXPECT_TRUE(r.has(kNormPathAboveRoot));
}

TEST(Normalise, QueryKindDecodesPlusAndAppliesTheTextOptions) {
  NormaliseOptions all;
  all.html_entities = all.sql_comments = all.compress_whitespace = true;
  std::string out(64, '#');
  const NormaliseResult r =
      normalise(FieldKind::query, "id=1+UNION/**/%53ELECT++%26lt;b%26gt;", out, all);
  EXPECT_EQ(std::string(out.data(), r.length), "id=1 union select <b>");
  EXPECT_TRUE(r.has(kNormSqlComment));
  EXPECT_TRUE(r.has(kNormHtmlEntity));
}

TEST(Normalise, TextKindDoesNotPercentDecode) {
  std::string out(32, '#');
  const NormaliseResult r = normalise(FieldKind::text, "Mozilla%2F5.0 A+B", out);
  EXPECT_EQ(std::string(out.data(), r.length), "mozilla%2f5.0 a+b");
}

TEST(Normalise, TruncationIsReportedAndNothingIsWrittenPastCapacity) {
  std::string buffer(16, '#');
  const std::span<char> out(buffer.data(), 8);
  const NormaliseResult r = normalise(FieldKind::query, "abcdefghijklmnop", out);
  EXPECT_TRUE(r.truncated());
  EXPECT_EQ(r.length, 8u);
  EXPECT_EQ(buffer, "abcdefgh########");
  EXPECT_FALSE(normalise(FieldKind::query, "abcdefgh", out).truncated());
}

TEST(Normalise, ZeroCapacityTruncatesAnyNonEmptyInput) {
  const std::span<char> none;
  EXPECT_TRUE(normalise(FieldKind::path, "/", none).truncated());
  EXPECT_FALSE(normalise(FieldKind::path, "", none).truncated());
}

// fold_text() must give what normalise() gives for text (no percent-decoding), as sent
// ('+' as SP in a form) or decoded, wherever it applies; in place too. Values made of words,
// whitespace runs, references, NUL, '+' and '%' in random order.
TEST(FoldText, IsNormaliseOfTextInOnePass) {
  const std::string pieces[] = {"Hello",
                                "WORLD",
                                "a",
                                " ",
                                "\t\r\n",
                                "  ",
                                "+",
                                "&lt;",
                                "&LT",
                                "&amp;",
                                "&",
                                "&#65;",
                                "&#x3C",
                                "&nbsp;",
                                "&lbrack",
                                "\0"s,
                                "%",
                                "\xc3\xa9",
                                "Select",
                                "0123456789",
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                                "abcdefghijklmnopqrstuvwxyz0123456789"};
  uint32_t seed = 12345;
  const auto next = [&seed] { return seed = seed * 1103515245u + 12345u, seed >> 8; };
  NormaliseOptions text;
  text.html_entities = true;
  text.compress_whitespace = true;
  int folded = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string in;
    for (uint32_t k = next() % 12; k > 0; --k) in += pieces[next() % std::size(pieces)];
    for (const FoldInput kind : {FoldInput::sent_plain, FoldInput::sent_form, FoldInput::decoded}) {
      SCOPED_TRACE("\"" + in + "\" as " + std::to_string(static_cast<int>(kind)));
      std::string expected_in = in;
      if (kind == FoldInput::sent_form)
        for (char& c : expected_in)
          if (c == '+') c = ' ';
      std::string expected(in.size() + 16, '#');
      expected.resize(normalise(FieldKind::text, expected_in, expected, text).length);
      std::string out(in.size(), '#');
      size_t n = 0;
      const bool applies = fold_text(in, out.data(), kind, n);
      const bool has_percent = in.find('%') != std::string::npos;
      const size_t amp = in.find('&');
      const bool nul_after_amp =
          amp != std::string::npos && in.find('\0', amp) != std::string::npos;
      EXPECT_EQ(applies, !(has_percent && kind != FoldInput::decoded) && !nul_after_amp);
      if (!applies) continue;
      ++folded;
      EXPECT_EQ(out.substr(0, n), expected);
      std::string in_place = in;
      ASSERT_TRUE(fold_text(in_place, in_place.data(), kind, n));
      EXPECT_EQ(in_place.substr(0, n), expected);
    }
  }
  EXPECT_GT(folded, 20000);
}

}  // namespace
}  // namespace gauntlet
