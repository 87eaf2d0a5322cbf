// WAF rules as the rule files state them (rules/waf/*.yaml), before compilation: the fields a
// rule looks at, its patterns or the protocol violation it stands for, and what a match does.
// Control core only.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/waf/http_violation.h"

namespace gauntlet {

// Where a rule looks. X(id, name in rule files and events)
#define GAUNTLET_WAF_FIELDS(X)                                                          \
  X(request_line, "request_line") /* method SP target */                                \
  X(method, "method")                                                                   \
  X(path, "path")                                                                       \
  X(query, "query")           /* the whole query string */                              \
  X(args, "args")             /* query argument names and values, one by one */         \
  X(args_names, "args_names") /* query and body argument names */                       \
  X(body_args, "body_args")   /* urlencoded / JSON / multipart values and file names */ \
  X(body, "body")             /* the buffered body prefix as sent (de-chunked) */       \
  X(headers, "headers")       /* every header and trailer value */                      \
  X(header_names, "header_names")                                                       \
  X(user_agent, "user_agent")                                                           \
  X(cookies, "cookies") /* Cookie header values, each cookie's name and value */        \
  X(referer, "referer")                                                                 \
  X(host, "host")                                                                       \
  X(content_type, "content_type")                                                       \
  X(violation, "violation") /* a protocol violation rule matched (no text) */

enum class WafField : uint8_t {
#define GAUNTLET_WAF_FIELD_ENUM(id, name) id,
  GAUNTLET_WAF_FIELDS(GAUNTLET_WAF_FIELD_ENUM)
#undef GAUNTLET_WAF_FIELD_ENUM
      count
};
inline constexpr size_t kWafFields = static_cast<size_t>(WafField::count);

inline constexpr std::array<std::string_view, kWafFields> kWafFieldNames = {
#define GAUNTLET_WAF_FIELD_NAME(id, name) name,
    GAUNTLET_WAF_FIELDS(GAUNTLET_WAF_FIELD_NAME)
#undef GAUNTLET_WAF_FIELD_NAME
};

inline constexpr size_t kWafMaxRulesLoaded = 1024;  // = kWafMaxRules of waf_engine.h

constexpr uint32_t waf_field_bit(WafField f) noexcept { return 1u << static_cast<unsigned>(f); }

// Which form of a field's text a rule is matched against.
enum class WafTransform : uint8_t {
  normalised,  // decoded (percent incl. double and %u, '+' in query/form), NUL removed, HTML
               // entities decoded, SQL comments as SP, whitespace runs as one SP, lower case
  raw,         // as sent
  both,
};

struct WafPattern {
  std::string expression;
  int line = 0, column = 0;  // in the rule file
};

struct WafRule {
  std::string id;
  std::string message;
  std::string family = "other";
  uint32_t fields = 0;  // waf_field_bit() of every field named
  std::vector<WafPattern> patterns;
  unsigned hs_flags = 0;  // HS_FLAG_* from `flags`
  WafTransform transform = WafTransform::normalised;
  bool block = true;  // action: block (counts toward the threshold) or log
  uint32_t score = 5;
  HttpViolation violation = HttpViolation::none;  // a violation rule instead of patterns
  std::string file;
  int line = 0, column = 0;
};

// Reads `files` in order and appends their rules. Every problem is reported, not only the
// first: each as "file:line:col: error: message" in `errors`. Duplicate ids across files
// are errors. Returns true when there was none.
bool load_waf_rules(const std::vector<std::string>& files, std::vector<WafRule>& rules,
                    std::vector<std::string>& errors);

}  // namespace gauntlet
