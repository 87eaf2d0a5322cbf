// Compiled Hyperscan databases cached on disk (see waf_db_cache.h).
#include "dataplane/waf/waf_db_cache.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>
#include <vector>
#include <xxhash.h>

namespace gauntlet {

namespace {

std::string cache_dir() {
  if (const char* d = std::getenv("GAUNTLET_WAF_CACHE")) return std::strcmp(d, "off") == 0 ? "" : d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/gauntlet";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/gauntlet";
  return "";
}

uint64_t key_of(const char* const* expressions, const unsigned* flags, const unsigned* ids,
                unsigned count, unsigned mode) {
  XXH64_state_t* s = XXH64_createState();
  XXH64_reset(s, 0);
  const char* version = hs_version();
  XXH64_update(s, version, std::strlen(version));
  hs_platform_info_t platform{};
  if (hs_populate_platform(&platform) == HS_SUCCESS) XXH64_update(s, &platform, sizeof(platform));
  XXH64_update(s, &mode, sizeof(mode));
  for (unsigned i = 0; i < count; ++i) {
    XXH64_update(s, expressions[i], std::strlen(expressions[i]) + 1);  // with its NUL
    XXH64_update(s, &flags[i], sizeof(flags[i]));
    XXH64_update(s, &ids[i], sizeof(ids[i]));
  }
  const uint64_t key = XXH64_digest(s);
  XXH64_freeState(s);
  return key;
}

hs_database_t* load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return nullptr;
  const std::vector<char> bytes{std::istreambuf_iterator<char>(in),
                                std::istreambuf_iterator<char>()};
  hs_database_t* db = nullptr;
  if (bytes.empty() || hs_deserialize_database(bytes.data(), bytes.size(), &db) != HS_SUCCESS)
    return nullptr;
  return db;
}

void store(const std::string& dir, const std::string& path, const hs_database_t* db) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  char* bytes = nullptr;
  size_t length = 0;
  if (ec || hs_serialize_database(db, &bytes, &length) != HS_SUCCESS) return;
  const std::string temporary = fmt::format("{}.{}.tmp", path, getpid());
  bool written = false;
  if (FILE* f = std::fopen(temporary.c_str(), "wb")) {
    written = std::fwrite(bytes, 1, length, f) == length;
    written = std::fclose(f) == 0 && written;
  }
  std::free(bytes);  // hs_serialize_database allocates with the misc allocator (malloc)
  if (!written || std::rename(temporary.c_str(), path.c_str()) != 0) std::remove(temporary.c_str());
}

}  // namespace

hs_error_t compile_multi_cached(const char* const* expressions, const unsigned* flags,
                                const unsigned* ids, unsigned count, unsigned mode,
                                hs_database_t** db, hs_compile_error_t** error) {
  const std::string dir = cache_dir();
  std::string path;
  if (!dir.empty()) {
    path = fmt::format("{}/waf-{:016x}.hsdb", dir, key_of(expressions, flags, ids, count, mode));
    if ((*db = load(path)) != nullptr) return HS_SUCCESS;
  }
  const hs_error_t rc = hs_compile_multi(expressions, flags, ids, count, mode, nullptr, db, error);
  if (rc == HS_SUCCESS && !path.empty()) store(dir, path, *db);
  return rc;
}

}  // namespace gauntlet
