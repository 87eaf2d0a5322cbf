// A fixed-size array for large per-worker tables, backed by transparent huge pages where the
// kernel offers them. A 1M-flow table spans 128 MB: with 4 KiB pages nearly every lookup
// also misses the TLB; with 2 MiB pages the page walk mostly stays cached.
// Allocated and zero-filled by the constructor (control core), so no page fault is left for
// the worker's hot path; never resized. Element types must be trivially destructible.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <sys/mman.h>
#include <type_traits>

namespace gauntlet {

template <class T>
class HugePageArray {
  static_assert(std::is_trivially_destructible_v<T>);

 public:
  static constexpr size_t kHugePage = size_t{2} << 20;

  // Value-initialises `count` elements. Throws std::bad_alloc.
  explicit HugePageArray(size_t count) : count_(count) {
    const size_t bytes = count * sizeof(T);
    // Only tables of at least one huge page are worth rounding up to one.
    const size_t align = bytes >= kHugePage ? kHugePage : std::max<size_t>(alignof(T), 64);
    bytes_ = (bytes + align - 1) / align * align;
    if (bytes_ == 0) bytes_ = align;
    void* p = std::aligned_alloc(align, bytes_);
    if (p == nullptr) throw std::bad_alloc();
    // Advice only: without THP (or with it off) the array simply uses small pages.
    if (align == kHugePage) madvise(p, bytes_, MADV_HUGEPAGE);
    data_.reset(static_cast<T*>(p));
    for (size_t i = 0; i < count; ++i) ::new (static_cast<void*>(data_.get() + i)) T{};
  }

  T* data() noexcept { return data_.get(); }
  const T* data() const noexcept { return data_.get(); }
  size_t size() const noexcept { return count_; }
  size_t allocated_bytes() const noexcept { return bytes_; }
  T& operator[](size_t i) noexcept { return data_[i]; }
  const T& operator[](size_t i) const noexcept { return data_[i]; }

 private:
  struct Free {
    void operator()(T* p) const noexcept { std::free(p); }
  };
  std::unique_ptr<T[], Free> data_;
  size_t count_;
  size_t bytes_ = 0;
};

}  // namespace gauntlet
