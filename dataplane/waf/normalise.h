// Normalisation of request fields before matching: undo the encodings an attacker uses to hide
// a payload from a literal pattern, once per field, so the WAF rules can stay literal.
//
// Contract shared by every function here:
// - The result is written into a caller-provided `out`; never more than out.size() bytes.
//   NormaliseResult::length is the number of bytes written.
// - Truncation is explicit: when the full result does not fit, kNormTruncated is set and
//   `out` holds a prefix of the full result, cut before the first unit that did not fit whole
//   (a unit: one byte, or a UTF-8 sequence / an entity's expansion, never split). A result
//   of exactly out.size() bytes is not truncated, even where the work passes through
//   something longer (double decoding, "..").
// - No transform ever makes its input longer, so `out` may be the input's own storage
//   (out.data() == in.data(), out.size() >= in.size()): every function reads each byte before
//   it writes at or before that position. Partially overlapping buffers are not allowed.
// - noexcept, no allocation, no state: callable from any core; hostile input is normal input.
// - Bytes are bytes: nothing assumes the input is valid UTF-8, and bytes >= 0x80 pass through.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace gauntlet {

// What a transform saw or did, for the matcher (evasion attempts are signals in themselves).
enum NormaliseFlags : uint16_t {
  kNormTruncated = 1u << 0,      // the result did not fit in `out`
  kNormNulSeen = 1u << 1,        // a NUL byte was in the input or produced by decoding
  kNormInvalidEscape = 1u << 2,  // a '%' not starting a valid escape (first decoding pass)
  kNormUnicodeEscape = 1u << 3,  // a %uXXXX escape was decoded
  kNormDoubleEncoded = 1u << 4,  // the second decoding pass (double_decode) decoded something
  kNormPathAboveRoot = 1u << 5,  // a ".." segment tried to climb above the root
  kNormHtmlEntity = 1u << 6,     // an HTML entity was decoded
  kNormSqlComment = 1u << 7,     // a /* */ comment was replaced
  kNormPathTraversal = 1u << 8,  // a "." or ".." segment was resolved
};

struct NormaliseResult {
  size_t length = 0;
  uint16_t flags = 0;  // NormaliseFlags
  constexpr bool truncated() const noexcept { return (flags & kNormTruncated) != 0; }
  constexpr bool has(NormaliseFlags f) const noexcept { return (flags & f) != 0; }
};

struct PercentDecodeOptions {
  bool plus_to_space = false;       // '+' -> ' ' (query strings, form bodies); "%2B" stays '+'
  bool iis_unicode = true;          // %uXXXX (IIS) -> the code point in UTF-8
  bool fullwidth_to_ascii = false;  // with iis_unicode: %uFF01..%uFF5E -> '!'..'~' (IIS
                                    // best-fit maps them so; "%uff0e%uff0e/" reaches as "../")
  bool double_decode = false;       // decode the result once more (in place); see percent_decode
};

// Percent-decoding (RFC 3986 §2.1, plus the IIS extension):
// - "%XX" with two hex digits (either case) -> that byte, NUL included (kNormNulSeen).
// - "%uXXXX" / "%UXXXX" with four hex digits, when iis_unicode -> the code point as 1-3 bytes
//   of UTF-8 (kNormUnicodeEscape). Surrogates D800-DFFF are encoded as their 3-byte form, not
//   rejected: what matters is that "%u" noise cannot hide the ASCII under it.
// - Anything else starting with '%' ("%" at the end, "%zz", "%4", "%u12", "%u12zz") is left
//   as it is, byte for byte (kNormInvalidEscape), and decoding resumes after the '%'.
// - '+' -> ' ' only with plus_to_space, and only in the first pass.
// - double_decode: after the first pass the output is decoded a second time in place, so
//   "%252e" -> "%2e" -> "."; kNormDoubleEncoded when that second pass decoded anything.
//   No third pass: a triple encoding stays visible (as "%2e") and is itself a signal.
NormaliseResult percent_decode(std::string_view in, std::span<char> out,
                               const PercentDecodeOptions& options = {}) noexcept;

// ASCII case folding: 'A'-'Z' -> 'a'-'z'; every other byte unchanged.
NormaliseResult to_lower_ascii(std::string_view in, std::span<char> out) noexcept;

// Removes every NUL byte (kNormNulSeen when there was one); other bytes unchanged.
NormaliseResult remove_nul(std::string_view in, std::span<char> out) noexcept;

// Path normalisation (RFC 3986 §5.2.4 remove_dot_segments, hardened):
// - '\' is a separator like '/' (IIS and Windows backends treat it so);
// - runs of separators collapse to one '/';
// - "." segments are dropped and ".." segments remove the segment before them
//   (kNormPathTraversal); a ".." with nothing left to remove is dropped (kNormPathAboveRoot),
//   so the result never climbs above its start: "/../../etc/passwd" -> "/etc/passwd",
//   "..\..\windows" -> "windows";
// - a leading separator is kept ("/" stays rooted, "a/b" stays relative); a trailing
//   separator is kept, and a path ending in "." or ".." ends in '/': "/a/b/.." -> "/a/".
// Percent-encoded dots and slashes are not separators here: decode first (normalise() does).
NormaliseResult normalise_path(std::string_view in, std::span<char> out) noexcept;

// HTML character references (kNormHtmlEntity), as a browser would read them in text:
// - "&#" DIGITS and "&#x"/"&#X" HEXDIGITS, with or without the trailing ';', any number of
//   leading zeros -> the code point in UTF-8; 0, surrogates and values past U+10FFFF become
//   U+FFFD (as browsers do). "&#;" and "&#x;" (no digits) are left as they are.
// - Named: lt gt amp quot (also in upper case), apos nbsp, and the set used to smuggle
//   JavaScript past filters: Tab NewLine colon semi comma period excl quest num dollar
//   percnt plus equals commat lpar rpar lsqb rsqb lbrack rbrack lcub rcub lbrace rbrace sol
//   bsol grave Hat lowbar verbar vert ast midast. Case-sensitive; the ';' is optional and the
//   longest known name wins ("&ltscript" -> "<script"). Unknown names are left as they are.
// Numeric references 128-159 are not remapped through windows-1252 as browsers do.
NormaliseResult decode_html_entities(std::string_view in, std::span<char> out) noexcept;

// One reference of decode_html_entities() at in[at] == '&': returns the bytes it takes (0: none
// there, the '&' is text) and puts its UTF-8 in `text`. For single-pass folds of a value.
struct HtmlEntityText {
  char bytes[4];
  uint8_t size = 0;
};
size_t decode_html_entity(std::string_view in, size_t at, HtmlEntityText& text) noexcept;

// Every run of whitespace (SP, HTAB, LF, VT, FF, CR) becomes one SP, leading and trailing
// runs included (not trimmed: "a" and " a" stay different). Other bytes unchanged.
NormaliseResult compress_whitespace(std::string_view in, std::span<char> out) noexcept;

// SQL block comments (kNormSqlComment). "/* ... */" becomes one SP — not nothing, because the
// database reads a comment as a token separator: "UNION/**/SELECT" must match "union select".
// An unterminated "/*" runs to the end of the input. A MySQL executable comment
// "/*!NNNNN ... */" is code the database runs, so only its markers (and the optional 5-6 digit
// version) become SP and the content is kept: "/*!50000UNION*/" -> " UNION ". Comments do
// not nest. "--" and "#" line comments are not touched.
NormaliseResult replace_sql_comments(std::string_view in, std::span<char> out) noexcept;

// What fold_text() reads: a value as sent (then a '%' means it needs percent-decoding first,
// and in a form '+' is SP), or a value percent-decoded already.
enum class FoldInput : uint8_t { sent_plain, sent_form, decoded };

// The steps of normalise() for text after percent-decoding (NUL removed, HTML entities
// decoded, whitespace runs as one SP, lower case) fused into one pass, for the WAF's values.
// A value as sent with no '%' needs no decoding but '+' as SP (sent_form), so it is folded
// straight from the request. `out` needs in.size() bytes and may be in.data(): nothing is
// written past what was read. Returns false where the fold does not apply, and `out` is then
// garbage (so is `in` if it is `out`): a '%' in a value as sent, or a NUL after an '&' (NUL
// removal comes before entities, so that NUL may join a reference already passed over).
bool fold_text(std::string_view in, char* out, FoldInput kind, size_t& length) noexcept;

// Which field a value came from: it decides which decodings apply.
enum class FieldKind : uint8_t {
  path,   // URL path: percent-decoding (no '+'), then path normalisation
  query,  // query string or urlencoded form body: percent-decoding with '+' -> SP
  text,   // header values, cookies, other bodies: no percent-decoding
};

struct NormaliseOptions {
  bool double_decode = false;       // path, query: see PercentDecodeOptions
  bool iis_unicode = true;          // path, query
  bool fullwidth_to_ascii = false;  // path, query
  bool remove_nul = true;
  bool html_entities = false;
  bool sql_comments = false;
  bool compress_whitespace = false;
  bool lowercase = true;
};

// The field's decoding, then, in this order and each only when enabled: NUL removal, path
// normalisation (path only), HTML entities, SQL comments, whitespace, lower case. Decoding
// comes first so that every later step sees the decoded bytes ("%2e%2e/" is a ".." segment).
// The steps after the first run in place in `out`; flags of all steps are combined. When the
// decoding truncates, the later steps see only the prefix that fit (kNormTruncated stays set).
NormaliseResult normalise(FieldKind kind, std::string_view in, std::span<char> out,
                          const NormaliseOptions& options = {}) noexcept;

}  // namespace gauntlet
