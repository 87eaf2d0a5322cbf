// Maglev table builder (control core). See maglev_table.h for the contract; the fill below is
// the paper's listing 1 with Envoy's weighting, kept operation-for-operation identical to
// Envoy's OriginalMaglevTable so that the doubles compare the same way and tables match.
#include "dataplane/lb/maglev_table.h"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <numeric>
#include <xxhash.h>

namespace gauntlet {

namespace {

// One weighted backend while the table fills.
struct Candidate {
  uint64_t next_slot;  // (offset + j * skip) mod M for the next preference j, kept incrementally
  uint64_t skip;
  double weight;     // weight / sum(weights)
  double target;     // Envoy's target_weight_: starts at 0, grows by w_max per placed entry
  uint32_t backend;  // index into the caller's span
};

// Sorted indices of `backends` by key; fills `error` on an empty or duplicate key, since a
// duplicate would make the turn order (and so the table) depend on the caller's list order.
bool sort_by_key(std::span<const MaglevBackend> backends, std::vector<uint32_t>& order,
                 std::string& error) {
  order.resize(backends.size());
  std::iota(order.begin(), order.end(), 0u);
  for (uint32_t i : order) {
    if (backends[i].key.empty()) {
      error = "maglev: backend " + std::to_string(i) + " has an empty key";
      return false;
    }
  }
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return backends[a].key < backends[b].key; });
  for (size_t i = 1; i < order.size(); ++i) {
    if (backends[order[i - 1]].key == backends[order[i]].key) {
      error = "maglev: duplicate backend key '" + backends[order[i]].key + "'";
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<MaglevTable> MaglevTable::build(std::span<const MaglevBackend> backends,
                                              uint32_t table_size, std::string& error) {
  if (!is_prime(table_size)) {
    error = "maglev: table size " + std::to_string(table_size) + " is not prime";
    return std::nullopt;
  }
  if (table_size < backends.size()) {
    error = "maglev: table size " + std::to_string(table_size) + " is smaller than the " +
            std::to_string(backends.size()) + " backends";
    return std::nullopt;
  }
  std::vector<uint32_t> order;
  if (!sort_by_key(backends, order, error)) return std::nullopt;

  uint64_t weight_sum = 0;  // N <= M < 2^32 weights, each < 2^32: fits in 64 bits
  for (const MaglevBackend& b : backends) weight_sum += b.weight;
  if (weight_sum == 0) return MaglevTable({}, table_size);  // nothing to send traffic to

  const uint64_t m = table_size;
  std::vector<Candidate> candidates;
  candidates.reserve(order.size());
  double max_weight = 0;
  for (uint32_t i : order) {
    const MaglevBackend& b = backends[i];
    if (b.weight == 0) continue;  // drained
    const uint64_t offset = XXH64(b.key.data(), b.key.size(), 0) % m;
    const uint64_t skip = XXH64(b.key.data(), b.key.size(), 1) % (m - 1) + 1;
    // Bit for bit Envoy's weight * 1.0 / sum, so every comparison below rounds the same way.
    const double weight = static_cast<double>(b.weight) / static_cast<double>(weight_sum);
    max_weight = std::max(max_weight, weight);
    candidates.push_back({offset, skip, weight, 0.0, i});
  }

  std::vector<uint32_t> slots(m, kNoBackend);
  // Probing asks "is this slot taken?" about M ln M times at random places; a bitmap (80 KiB at
  // M = 655373) answers from L2 where the 2.5 MiB slot array would miss.
  std::vector<uint64_t> taken((m + 63) / 64, 0);
  const auto is_taken = [&](uint64_t s) { return (taken[s >> 6] >> (s & 63)) & 1; };
  uint64_t filled = 0;
  // Each round, a backend of weight w_max places one entry, so rounds <= M < 2^32.
  for (uint32_t round = 1; filled < m; ++round) {
    for (Candidate& c : candidates) {
      if (filled == m) break;
      if (round * c.weight < c.target) continue;  // not this backend's turn yet
      c.target += max_weight;
      // M is prime and 1 <= skip < M, so the preferences visit every slot: a free one exists.
      while (is_taken(c.next_slot)) {
        c.next_slot += c.skip;  // both < M, so one subtraction is the whole modulo
        if (c.next_slot >= m) c.next_slot -= m;
      }
      slots[c.next_slot] = c.backend;
      taken[c.next_slot >> 6] |= uint64_t{1} << (c.next_slot & 63);
      c.next_slot += c.skip;
      if (c.next_slot >= m) c.next_slot -= m;
      ++filled;
    }
  }
  return MaglevTable(std::move(slots), table_size);
}

namespace {

__extension__ using Uint128 = unsigned __int128;  // GCC/Clang builtin; silences -Wpedantic

uint64_t mul_mod(uint64_t a, uint64_t b, uint64_t n) noexcept {
  return static_cast<uint64_t>(static_cast<Uint128>(a) * b % n);
}

uint64_t pow_mod(uint64_t base, uint64_t exp, uint64_t n) noexcept {
  uint64_t result = 1;
  base %= n;
  for (; exp != 0; exp >>= 1) {
    if (exp & 1) result = mul_mod(result, base, n);
    base = mul_mod(base, base, n);
  }
  return result;
}

}  // namespace

bool is_prime(uint64_t n) noexcept {
  // The first 12 primes as witnesses decide every n < 3.18e23 > 2^64 (Sorenson & Webster 2015).
  static constexpr std::array<uint64_t, 12> kWitnesses{2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37};
  if (n < 2) return false;
  for (uint64_t p : kWitnesses) {
    if (n % p == 0) return n == p;
  }
  uint64_t d = n - 1;
  int twos = 0;
  for (; (d & 1) == 0; d >>= 1) ++twos;
  for (uint64_t a : kWitnesses) {
    uint64_t x = pow_mod(a, d, n);
    if (x == 1 || x == n - 1) continue;
    bool composite = true;
    for (int r = 1; r < twos && composite; ++r) {
      x = mul_mod(x, x, n);
      composite = x != n - 1;
    }
    if (composite) return false;
  }
  return true;
}

uint64_t maglev_table_hash(const MaglevTable& table, std::span<const MaglevBackend> backends) {
  std::vector<uint8_t> bytes;
  const auto put32 = [&bytes](uint32_t v) {
    for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<uint8_t>(v >> (8 * i)));
  };
  put32(table.table_size());
  put32(static_cast<uint32_t>(backends.size()));
  for (const MaglevBackend& b : backends) {
    put32(static_cast<uint32_t>(b.key.size()));
    bytes.insert(bytes.end(), b.key.begin(), b.key.end());
    put32(b.weight);
  }
  bytes.reserve(bytes.size() + 4 * table.slots().size());
  for (uint32_t owner : table.slots()) put32(owner);
  return XXH64(bytes.data(), bytes.size(), 0);
}

std::optional<std::string> maglev_backend_key(std::string_view address, uint16_t port) {
  const bool bracketed = address.size() >= 2 && address.front() == '[' && address.back() == ']';
  const std::string text(bracketed ? address.substr(1, address.size() - 2) : address);
  std::array<unsigned char, 16> bytes{};
  char canonical[INET6_ADDRSTRLEN] = {};
  if (!bracketed && inet_pton(AF_INET, text.c_str(), bytes.data()) == 1) {
    if (inet_ntop(AF_INET, bytes.data(), canonical, sizeof(canonical)) == nullptr) return {};
    return std::string(canonical) + ":" + std::to_string(port);
  }
  if (inet_pton(AF_INET6, text.c_str(), bytes.data()) == 1) {
    if (inet_ntop(AF_INET6, bytes.data(), canonical, sizeof(canonical)) == nullptr) return {};
    return "[" + std::string(canonical) + "]:" + std::to_string(port);
  }
  return std::nullopt;
}

}  // namespace gauntlet
