// One published generation of tables. The control core publishes a new one with a single
// atomic store; workers read it once per poll loop and then report quiescence, so the old
// generation is freed only when no worker can still hold it (rte_rcu_qsbr).
#pragma once

#include <atomic>
#include <memory>

#include "dataplane/control/tables.h"

struct rte_rcu_qsbr;

namespace gauntlet {

class Published {
 public:
  // `readers`: the number of worker threads that will register (ids 0..readers-1).
  explicit Published(unsigned readers);
  ~Published();
  Published(const Published&) = delete;
  Published& operator=(const Published&) = delete;

  // Control core: makes `next` current; returns once no worker can see the previous one,
  // which is then freed.
  void publish(std::unique_ptr<Tables> next);
  // Worker: the tables for this loop iteration.
  const Tables* current() const noexcept { return current_.load(std::memory_order_acquire); }
  // Worker: starts/ends this thread's participation; marks a quiescent point.
  void online(unsigned worker) noexcept;
  void offline(unsigned worker) noexcept;
  void quiescent(unsigned worker) noexcept;

 private:
  std::atomic<const Tables*> current_{nullptr};
  std::unique_ptr<Tables> owned_;
  rte_rcu_qsbr* qsbr_ = nullptr;
};

}  // namespace gauntlet
