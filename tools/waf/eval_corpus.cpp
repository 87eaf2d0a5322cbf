// Reader for the JSON-lines corpus. The lines are flat objects whose values are strings,
// integers or booleans (make_corpus.py writes nothing else), so a small scanner suffices
// and the tools need no JSON library.
#include "tools/waf/eval_corpus.h"

#include <cstring>
#include <fstream>
#include <string_view>

namespace gauntlet::waf_eval {
namespace {

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

bool base64_decode(std::string_view in, std::string& out) {
  out.clear();
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    const int v = base64_value(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return true;
}

void skip_space(std::string_view s, size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) ++i;
}

// A JSON string starting at s[i] == '"'; \uXXXX above 0x7f is written as UTF-8.
bool parse_string(std::string_view s, size_t& i, std::string& out) {
  out.clear();
  if (i >= s.size() || s[i] != '"') return false;
  for (++i; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '"') {
      ++i;
      return true;
    }
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (++i >= s.size()) return false;
    switch (s[i]) {
      case 'n':
        out.push_back('\n');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'u': {
        if (i + 4 >= s.size()) return false;
        const uint32_t cp =
            static_cast<uint32_t>(std::stoul(std::string(s.substr(i + 1, 4)), nullptr, 16));
        i += 4;
        if (cp < 0x80) {
          out.push_back(static_cast<char>(cp));
        } else if (cp < 0x800) {
          out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
          out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
        } else {
          out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
          out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
          out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
        }
        break;
      }
      default:
        out.push_back(s[i]);
        break;  // \" \\ \/
    }
  }
  return false;
}

bool parse_line(std::string_view s, CorpusRequest& r, std::string& what) {
  size_t i = 0;
  skip_space(s, i);
  if (i >= s.size() || s[i++] != '{') return what = "not a JSON object", false;
  std::string key, text;
  bool have_request = false;
  while (true) {
    skip_space(s, i);
    if (i < s.size() && s[i] == '}') break;
    if (!parse_string(s, i, key)) return what = "bad key", false;
    skip_space(s, i);
    if (i >= s.size() || s[i++] != ':') return what = "missing ':' after " + key, false;
    skip_space(s, i);
    if (i < s.size() && s[i] == '"') {
      if (!parse_string(s, i, text)) return what = "bad string value of " + key, false;
      if (key == "id")
        r.id = text;
      else if (key == "set")
        r.set = text;
      else if (key == "kind")
        r.kind = text;
      else if (key == "request") {
        if (!base64_decode(text, r.bytes)) return what = "request is not base64", false;
        have_request = true;
      }
    } else {
      const size_t start = i;
      while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ' ') ++i;
      const std::string_view v = s.substr(start, i - start);
      if (key == "attack")
        r.attack = v == "true";
      else if (key == "family")
        r.family = static_cast<uint32_t>(std::stoul(std::string(v)));
    }
    skip_space(s, i);
    if (i < s.size() && s[i] == ',')
      ++i;
    else if (i >= s.size() || s[i] != '}')
      return what = "expected ',' or '}'", false;
  }
  if (r.id.empty() || r.set.empty() || !have_request) {
    return what = "needs id, set and request", false;
  }
  return true;
}

}  // namespace

bool read_corpus(const std::string& path, std::vector<CorpusRequest>& out, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": " + std::strerror(errno);
    return false;
  }
  std::string line, what;
  for (size_t number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    CorpusRequest r;
    bool ok = false;
    try {
      ok = parse_line(line, r, what);
    } catch (const std::exception&) {  // std::stoul on a malformed number
      what = "bad number";
    }
    if (!ok) {
      error = path + ":" + std::to_string(number) + ": " + what;
      return false;
    }
    out.push_back(std::move(r));
  }
  return true;
}

std::string family_group(uint32_t family) {
  switch (family) {
    case 930:
    case 931:
    case 932:
    case 933:
    case 934:
    case 941:
    case 942:
    case 944:
      return std::to_string(family);
    case 920:
    case 921:
      return "protocol";
    default:
      return "other";
  }
}

}  // namespace gauntlet::waf_eval
