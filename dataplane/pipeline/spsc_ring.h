// Single-producer single-consumer ring of trivially copyable records: a worker produces,
// the control core consumes (or the other way round). Fixed capacity, no allocation after
// construction, never blocks: a full ring refuses and the producer counts the loss.
#pragma once

#include <atomic>
#include <bit>
#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>

namespace gauntlet {

template <typename T>
class SpscRing {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  explicit SpscRing(uint32_t capacity)
      : size_(std::bit_ceil(capacity)), mask_(size_ - 1), items_(new T[size_]) {}

  bool push(const T& item) noexcept {
    const uint32_t head = head_.load(std::memory_order_relaxed);
    if (head - tail_cache_ == size_) {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      if (head - tail_cache_ == size_) return false;
    }
    items_[head & mask_] = item;
    head_.store(head + 1, std::memory_order_release);
    return true;
  }

  // Producer: whether push would refuse now.
  bool full() noexcept {
    const uint32_t head = head_.load(std::memory_order_relaxed);
    if (head - tail_cache_ == size_) tail_cache_ = tail_.load(std::memory_order_acquire);
    return head - tail_cache_ == size_;
  }

  // Consumer: whether pop would find nothing now.
  bool empty() const noexcept {
    return tail_.load(std::memory_order_relaxed) == head_.load(std::memory_order_acquire);
  }

  bool pop(T& item) noexcept {
    const uint32_t tail = tail_.load(std::memory_order_relaxed);
    if (tail == head_.load(std::memory_order_acquire)) return false;
    item = items_[tail & mask_];
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }

 private:
  const uint32_t size_;
  const uint32_t mask_;
  std::unique_ptr<T[]> items_;
  alignas(64) std::atomic<uint32_t> head_{0};  // written by the producer
  uint32_t tail_cache_ = 0;                    // producer's view of tail_
  alignas(64) std::atomic<uint32_t> tail_{0};  // written by the consumer
};

}  // namespace gauntlet
