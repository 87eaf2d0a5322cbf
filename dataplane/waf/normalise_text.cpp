// Byte-level transforms (case, NUL, whitespace, SQL comments) and normalise(), which chains
// the transforms a field kind needs. Behaviour is specified in normalise.h.
#include "dataplane/waf/normalise.h"
#include "dataplane/waf/normalise_writer.h"

namespace gauntlet {
namespace {

using normalise_detail::ascii_lower;
using normalise_detail::BoundedWriter;
using normalise_detail::is_space;

bool comment_opens(std::string_view in, size_t i) noexcept {
  return i + 1 < in.size() && in[i] == '/' && in[i + 1] == '*';
}
bool comment_closes(std::string_view in, size_t i) noexcept {
  return i + 1 < in.size() && in[i] == '*' && in[i + 1] == '/';
}

}  // namespace

NormaliseResult to_lower_ascii(std::string_view in, std::span<char> out) noexcept {
  BoundedWriter w(out);
  for (size_t i = 0; i < in.size() && !w.full(); ++i) {
    const char c = in[i];
    w.put(ascii_lower(c));
  }
  return w.result(0);
}

NormaliseResult remove_nul(std::string_view in, std::span<char> out) noexcept {
  BoundedWriter w(out);
  uint16_t flags = 0;
  for (size_t i = 0; i < in.size() && !w.full(); ++i) {
    if (in[i] == '\0') {
      flags |= kNormNulSeen;
    } else {
      w.put(in[i]);
    }
  }
  return w.result(flags);
}

NormaliseResult compress_whitespace(std::string_view in, std::span<char> out) noexcept {
  BoundedWriter w(out);
  for (size_t i = 0; i < in.size() && !w.full();) {
    if (!is_space(in[i])) {
      w.put(in[i++]);
      continue;
    }
    while (i < in.size() && is_space(in[i])) ++i;
    w.put(' ');
  }
  return w.result(0);
}

NormaliseResult replace_sql_comments(std::string_view in, std::span<char> out) noexcept {
  BoundedWriter w(out);
  uint16_t flags = 0;
  bool in_executable = false;  // inside "/*! ... */": its content is code
  for (size_t i = 0; i < in.size() && !w.full();) {
    if (in_executable && comment_closes(in, i)) {
      in_executable = false;
      w.put(' ');
      i += 2;
      continue;
    }
    if (!comment_opens(in, i)) {
      w.put(in[i++]);
      continue;
    }
    flags |= kNormSqlComment;
    w.put(' ');
    if (i + 2 < in.size() && in[i + 2] == '!') {
      i += 3;
      // The version gate: 5 digits in MySQL, up to 6 in MariaDB.
      for (size_t digits = 0; digits < 6 && i < in.size() && in[i] >= '0' && in[i] <= '9'; ++digits)
        ++i;
      in_executable = true;
      continue;
    }
    // A plain comment: skip to just after its "*/", or to the end when it never closes.
    size_t j = i + 2;
    while (j < in.size() && !comment_closes(in, j)) ++j;
    i = j < in.size() ? j + 2 : in.size();
  }
  return w.result(flags);
}

NormaliseResult normalise(FieldKind kind, std::string_view in, std::span<char> out,
                          const NormaliseOptions& options) noexcept {
  NormaliseResult r;
  if (kind == FieldKind::text) {
    BoundedWriter w(out);
    for (size_t i = 0; i < in.size() && w.put(in[i]); ++i) {
    }
    r = w.result(0);
  } else {
    const PercentDecodeOptions decode{kind == FieldKind::query, options.iis_unicode,
                                      options.fullwidth_to_ascii, options.double_decode};
    r = percent_decode(in, out, decode);
  }
  // Every later step runs in place over what the previous one wrote.
  uint16_t flags = r.flags;
  auto step = [&](NormaliseResult (*transform)(std::string_view, std::span<char>) noexcept) {
    r = transform(std::string_view(out.data(), r.length), out);
    flags |= r.flags;
  };
  if (options.remove_nul) step(remove_nul);
  if (kind == FieldKind::path) step(normalise_path);
  if (options.html_entities) step(decode_html_entities);
  if (options.sql_comments) step(replace_sql_comments);
  if (options.compress_whitespace) step(compress_whitespace);
  if (options.lowercase) step(to_lower_ascii);
  return {r.length, flags};
}

}  // namespace gauntlet
