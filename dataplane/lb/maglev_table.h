// Maglev consistent hashing (Eisenbud et al., NSDI 2016, section 3.4, pseudocode listing 1),
// with Envoy's permutation, key order and weighting so that tables match Envoy's bit for bit.
//
// Contract
// - Who calls: the control core calls MaglevTable::build() (it allocates and may take
//   milliseconds); workers only call lookup()/slots() on a finished table, published to them
//   through the generation pointer (RCU). A built table is immutable, so any number of
//   threads may read it concurrently; build() itself touches no shared state.
// - Keys: each backend is identified by a string key. For gauntlet's own backends the key is
//   "address:port", IPv6 as "[address]:port", address in inet_ntop's canonical text form:
//   make it with maglev_backend_key(). Only the key and the weight decide where a backend lands,
//   never its position in the caller's list.
// - Permutation: offset = XXH64(key, seed 0) mod M, skip = XXH64(key, seed 1) mod (M-1) + 1;
//   backend i's j-th preference is (offset + j*skip) mod M. Backends take turns in ascending
//   key order (std::string comparison).
// - Weights (Envoy's rule): w_i = weight_i / sum(weights) as double, w_max = max w_i, and a
//   per-backend target that starts at 0. In round it = 1, 2, ... a backend takes its turn
//   unless it * w_i < target_i; taking a turn adds w_max to target_i and claims the backend's
//   next free preferred slot. A backend of weight w_max therefore places one entry every round,
//   one of half that weight every other round. Weight 0 means drained: no slots at all.
// - Output: slots()[s] is the index of the backend in the caller's `backends` span (not the
//   sorted order) that owns slot s; lookup(hash) = slots()[hash % M].
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gauntlet {

// Returned by lookup() when the table has no backend (empty list, or every weight 0).
inline constexpr uint32_t kNoBackend = std::numeric_limits<uint32_t>::max();

// The paper's recommended size (section 5.3), also Envoy's default.
inline constexpr uint32_t kDefaultMaglevTableSize = 65537;

struct MaglevBackend {
  std::string key;      // unique, non-empty; see maglev_backend_key()
  uint32_t weight = 1;  // 0: drained, gets no slot
};

class MaglevTable {
 public:
  // Control core. Errors (filled into `error`, nullopt returned):
  //   table_size not prime; table_size < backends.size() (every listed backend, weighted or
  //   not, must be able to own a slot); an empty key; two backends with the same key.
  // An empty list, or one whose weights are all 0, is not an error: the table is empty and
  // lookup() returns kNoBackend.
  // Cost: about M ln M slot probes, plus one weight check per weighted backend per round, where
  // rounds is about M * w_max (M/N for equal weights; skewed weights cost more rounds).
  static std::optional<MaglevTable> build(std::span<const MaglevBackend> backends,
                                          uint32_t table_size, std::string& error);

  // Hot path (any worker): the backend index owning hash's slot, or kNoBackend.
  uint32_t lookup(uint64_t hash) const noexcept {
    if (slots_.empty()) [[unlikely]]
      return kNoBackend;
    return slots_[hash % modulus_];
  }

  // Slot -> backend index; empty when the table has no backend.
  std::span<const uint32_t> slots() const noexcept { return slots_; }
  // M, as requested at build (also for an empty table).
  uint32_t table_size() const noexcept { return table_size_; }
  bool empty() const noexcept { return slots_.empty(); }

 private:
  MaglevTable(std::vector<uint32_t> slots, uint32_t table_size) noexcept
      : slots_(std::move(slots)), modulus_(table_size), table_size_(table_size) {}

  std::vector<uint32_t> slots_;
  uint64_t modulus_;  // table_size_ widened once, so lookup() divides 64 by 64 bits directly
  uint32_t table_size_;
};

// The table's identity (control core): XXH64 over M, the backends' keys and weights in the
// caller's order and every slot's owner, each number little-endian, so that it is the same
// on every machine. Two gauntlets with the same backends, weights and health state compute
// the same value; compare it to tell whether instances would pick the same backends.
uint64_t maglev_table_hash(const MaglevTable& table, std::span<const MaglevBackend> backends);

// Deterministic for every 64-bit n (Miller-Rabin with a base set proven for n < 2^64).
bool is_prime(uint64_t n) noexcept;

// "a.b.c.d:port" or "[v6]:port" with the address canonicalised (inet_pton then inet_ntop), so
// "2001:DB8:0::1" and "2001:db8::1" give the same key. Accepts a bracketed IPv6 address too.
// nullopt when `address` is not an IPv4 or IPv6 literal. Control core (allocates).
std::optional<std::string> maglev_backend_key(std::string_view address, uint16_t port);

}  // namespace gauntlet
