// waf_pattern_may_match_within: a recursive-descent reading of Hyperscan's PCRE syntax that
// answers, per construct, "can this match some string over the alphabet". Without
// back-references or lookarounds that restrict what is matched, the language of a pattern
// restricted to an alphabet is empty exactly when an atom every match needs has no byte in
// it, so no automaton is built: a sequence needs all its atoms, an alternation one branch, a
// repeat with a minimum of 0 nothing. Assertions and lookarounds are taken as always true.
#include "dataplane/waf/waf_alphabet.h"

#include <algorithm>

#include <hs/hs.h>

namespace gauntlet {
namespace {

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_space(int b) noexcept { return b == ' ' || (b >= '\t' && b <= '\r'); }
constexpr bool is_word(int b) noexcept {
  return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '_';
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Reader {
 public:
  Reader(std::string_view e, unsigned flags, const WafByteSet& alphabet) noexcept
      : e_(e), caseless_((flags & HS_FLAG_CASELESS) != 0), dotall_((flags & HS_FLAG_DOTALL) != 0) {
    allowed_ = alphabet;
    allowed_[0] = true;  // the separator of joined values
  }

  // false only when the whole pattern was read and proven unable to match.
  bool may_match() noexcept {
    const bool viable = alternation();
    return viable || unknown_ || i_ != e_.size();
  }

 private:
  bool at_end() const noexcept { return i_ >= e_.size(); }
  char peek() const noexcept { return at_end() ? '\0' : e_[i_]; }

  bool alternation() noexcept {
    if (depth_ == kMaxNesting) return unknown_ = true;  // bounded recursion on any input
    ++depth_;
    const bool caseless = caseless_, dotall = dotall_;  // (?i) lasts to the group's end
    bool viable = sequence();
    while (!unknown_ && peek() == '|' && !at_end()) {
      ++i_;
      viable = sequence() || viable;
    }
    caseless_ = caseless, dotall_ = dotall;
    --depth_;
    return viable;
  }

  bool sequence() noexcept {
    bool viable = true;
    while (!unknown_ && !at_end() && peek() != '|' && peek() != ')') {
      bool atom_viable = atom();
      if (quantifier_allows_none()) atom_viable = true;
      viable = viable && atom_viable;
    }
    return viable;
  }

  // Reads a quantifier after an atom, if there is one; true when it allows zero repeats.
  bool quantifier_allows_none() noexcept {
    bool none = false;
    const char c = peek();
    if (at_end()) return false;
    if (c == '*' || c == '?') {
      none = true;
      ++i_;
    } else if (c == '+') {
      ++i_;
    } else if (c == '{') {
      size_t j = i_ + 1;
      unsigned min = 0;
      bool digits = false;
      while (j < e_.size() && is_digit(e_[j]))
        min = std::min(min * 10 + static_cast<unsigned>(e_[j++] - '0'), 1000u), digits = true;
      if (!digits) return false;  // a literal '{'
      if (j < e_.size() && e_[j] == ',') {
        ++j;
        while (j < e_.size() && is_digit(e_[j])) ++j;
      }
      if (j >= e_.size() || e_[j] != '}') return false;
      i_ = j + 1;
      none = min == 0;
    } else {
      return false;
    }
    if (peek() == '?' || peek() == '+') ++i_;  // lazy or possessive
    return none;
  }

  bool set_viable(const WafByteSet& set) const noexcept {
    for (int b = 0; b < 256; ++b) {
      if (!set[static_cast<size_t>(b)]) continue;
      if (allowed_[static_cast<size_t>(b)]) return true;
      if (caseless_ && b >= 'a' && b <= 'z' && allowed_[static_cast<size_t>(b - 32)]) return true;
      if (caseless_ && b >= 'A' && b <= 'Z' && allowed_[static_cast<size_t>(b + 32)]) return true;
    }
    return false;
  }
  bool byte_viable(int b) const noexcept {
    b &= 0xff;
    if (allowed_[static_cast<size_t>(b)]) return true;
    if (caseless_ && b >= 'a' && b <= 'z') return allowed_[static_cast<size_t>(b - 32)];
    if (caseless_ && b >= 'A' && b <= 'Z') return allowed_[static_cast<size_t>(b + 32)];
    return false;
  }

  bool atom() noexcept {
    const char c = e_[i_++];
    switch (c) {
      case '(':
        return group();
      case '[':
        return char_class();
      case '.': {
        WafByteSet s;
        s.fill(true);
        if (!dotall_) s['\n'] = false;
        return set_viable(s);
      }
      case '^':
      case '$':
        return true;
      case '\\':
        return escape();
      case '*':
      case '+':
      case '?':
        unknown_ = true;  // a quantifier with nothing to repeat: Hyperscan's error
        return true;
      default:
        return byte_viable(static_cast<unsigned char>(c));
    }
  }

  bool group() noexcept {
    bool lookaround = false;
    const bool caseless = caseless_, dotall = dotall_;  // a "(?i:" group's options end with it
    if (peek() == '?') {
      ++i_;
      const char k = peek();
      if (k == ':') {
        ++i_;
      } else if (k == '=' || k == '!') {
        ++i_, lookaround = true;
      } else if (k == '<' && i_ + 1 < e_.size() && (e_[i_ + 1] == '=' || e_[i_ + 1] == '!')) {
        i_ += 2, lookaround = true;
      } else if (k == '<' || k == 'P' || k == '\'') {  // a named group
        while (!at_end() && peek() != '>' && !(k == '\'' && peek() == '\'' && e_[i_ - 1] != '?'))
          ++i_;
        if (at_end()) return unknown_ = true;
        ++i_;
      } else if (k == '#') {
        while (!at_end() && peek() != ')') ++i_;
        if (at_end()) return unknown_ = true;
        ++i_;
        return true;
      } else if (!flags_then_maybe_group()) {
        return true;  // (?flags): applies to the rest of the enclosing group
      }
    }
    const bool viable = alternation();
    caseless_ = caseless, dotall_ = dotall;
    if (peek() != ')' || at_end()) return unknown_ = true;
    ++i_;
    return lookaround || viable;
  }

  // Inline options after "(?": "i-s)" changes the enclosing group's options and returns
  // false; "i:" opens a group with them and returns true (its ')' is read by group()).
  bool flags_then_maybe_group() noexcept {
    bool on = true;
    bool caseless = caseless_, dotall = dotall_;
    while (!at_end()) {
      const char f = e_[i_++];
      if (f == '-') {
        on = false;
      } else if (f == 'i') {
        caseless = on;
      } else if (f == 's') {
        dotall = on;
      } else if (f == 'm') {
      } else if (f == ')' || f == ':') {
        caseless_ = caseless, dotall_ = dotall;
        return f == ':';
      } else {
        unknown_ = true;  // 'x' (extended) and anything else: not modelled
        return false;
      }
    }
    unknown_ = true;
    return false;
  }

  // A class escape outside or inside brackets (\d \w \s ...) into `s`; false if `e` is not one.
  static bool class_escape(char e, WafByteSet& s) noexcept {
    bool negate = false;
    switch (e) {
      case 'D':
      case 'W':
      case 'S':
      case 'H':
      case 'V':
        negate = true;
        break;
      case 'd':
      case 'w':
      case 's':
      case 'h':
      case 'v':
        break;
      default:
        return false;
    }
    const char k = static_cast<char>(negate ? e + 32 : e);
    for (int b = 0; b < 256; ++b) {
      bool in = false;
      if (k == 'd') in = b >= '0' && b <= '9';
      if (k == 'w') in = is_word(b);
      if (k == 's') in = is_space(b);
      if (k == 'h') in = b == ' ' || b == '\t' || b >= 0x80;  // U+00A0 and others: all high bytes
      if (k == 'v') in = (b >= '\n' && b <= '\r') || b >= 0x80;
      if (negate) in = !in || (b >= 0x80 && (k == 'h' || k == 'v'));
      s[static_cast<size_t>(b)] = s[static_cast<size_t>(b)] || in;
    }
    return true;
  }

  // A single-byte escape after '\' (at i_, the letter already read as `e`): the byte, or -1 if
  // `e` does not name one byte (the caller decides what that means).
  int byte_escape(char e) noexcept {
    switch (e) {
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case 'f':
        return '\f';
      case 'e':
        return 0x1b;
      case 'a':
        return 0x07;
      case 'x': {
        int v = 0;
        if (peek() == '{') {
          ++i_;
          int digits = 0;
          // Saturated past 0xff: only "one byte or a high one" matters, on any number of digits.
          while (!at_end() && hex_value(peek()) >= 0)
            v = std::min(v * 16 + hex_value(e_[i_++]), 0x100), ++digits;
          if (peek() != '}' || digits == 0) return -1;
          ++i_;
          return v > 0xff ? 0x80 : v;  // a code point past 0xff: its UTF-8 bytes are high
        }
        for (int k = 0; k < 2 && !at_end() && hex_value(peek()) >= 0; ++k)
          v = v * 16 + hex_value(e_[i_++]);
        return v;
      }
      case '0': {
        int v = 0;
        for (int k = 0; k < 2 && !at_end() && peek() >= '0' && peek() <= '7'; ++k)
          v = v * 8 + (e_[i_++] - '0');
        return v;
      }
      case 'c':
        if (at_end()) return -1;
        return (static_cast<unsigned char>(e_[i_++]) ^ 0x40) & 0xff;
      default:
        break;
    }
    const auto u = static_cast<unsigned char>(e);
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '1' && u <= '9')) return -1;
    return u;  // an escaped punctuation mark or high byte stands for itself
  }

  bool escape() noexcept {
    if (at_end()) return unknown_ = true;
    const char e = e_[i_++];
    if (e == 'b' || e == 'B' || e == 'A' || e == 'z' || e == 'Z' || e == 'G' || e == 'K')
      return true;  // assertions: taken as always true
    WafByteSet s{};
    if (class_escape(e, s)) return set_viable(s);
    if (e == 'N') {
      s.fill(true);
      s['\n'] = false;
      return set_viable(s);
    }
    const int b = byte_escape(e);
    if (b < 0) return unknown_ = true;  // \p, \X, \R, back-references, \Q: not modelled
    return byte_viable(b);
  }

  bool char_class() noexcept {
    WafByteSet s{};
    bool exact = true;  // false once an item is over-approximated (then a negation is not)
    const bool negated = peek() == '^';
    if (negated) ++i_;
    bool first = true;
    int previous = -1;  // the last single byte added, for a range
    while (!at_end() && (peek() != ']' || first)) {
      first = false;
      int b = -1;
      if (peek() == '[' && i_ + 1 < e_.size() && e_[i_ + 1] == ':') {
        const size_t close = e_.find(":]", i_ + 2);
        if (close == std::string_view::npos) return unknown_ = true;
        i_ = close + 2;
        s.fill(true), exact = false;  // a POSIX class: not modelled
        previous = -1;
        continue;
      }
      if (peek() == '-' && previous >= 0 && i_ + 1 < e_.size() && e_[i_ + 1] != ']') {
        ++i_;
        int hi = -1;
        if (peek() == '\\') {
          ++i_;
          if (at_end()) return unknown_ = true;
          hi = byte_escape(e_[i_++]);
        } else {
          hi = static_cast<unsigned char>(e_[i_++]);
        }
        if (hi < 0) return unknown_ = true;
        for (int k = previous; k <= hi; ++k) s[static_cast<size_t>(k)] = true;
        previous = -1;
        continue;
      }
      if (peek() == '\\') {
        ++i_;
        if (at_end()) return unknown_ = true;
        const char e = e_[i_++];
        if (class_escape(e, s)) {
          previous = -1;
          continue;
        }
        b = e == 'b' ? 0x08 : byte_escape(e);
        if (b < 0) {
          s.fill(true), exact = false;  // \p and the like
          previous = -1;
          continue;
        }
      } else {
        b = static_cast<unsigned char>(e_[i_++]);
      }
      s[static_cast<size_t>(b)] = true;
      previous = b;
    }
    if (at_end()) return unknown_ = true;
    ++i_;  // ']'
    if (caseless_)
      for (int c = 'a'; c <= 'z'; ++c) {
        const bool either = s[static_cast<size_t>(c)] || s[static_cast<size_t>(c - 32)];
        s[static_cast<size_t>(c)] = s[static_cast<size_t>(c - 32)] = either;
      }
    if (negated) {
      if (!exact) return true;
      for (bool& in : s) in = !in;
    }
    return set_viable(s);
  }

  static constexpr int kMaxNesting = 200;  // groups deeper than this: "may match"

  std::string_view e_;
  size_t i_ = 0;
  int depth_ = 0;
  bool caseless_;
  bool dotall_;
  bool unknown_ = false;  // something not modelled: the answer is "may match"
  WafByteSet allowed_;
};

}  // namespace

bool waf_pattern_may_match_within(std::string_view expression, unsigned hs_flags,
                                  const WafByteSet& alphabet) noexcept {
  return Reader(expression, hs_flags, alphabet).may_match();
}

}  // namespace gauntlet
