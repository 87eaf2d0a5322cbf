#include "dataplane/pipeline/generation.h"

#include <new>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

namespace gauntlet {

Published::Published(unsigned readers) {
  const size_t size = rte_rcu_qsbr_get_memsize(readers);
  qsbr_ = static_cast<rte_rcu_qsbr*>(rte_zmalloc("tables_qsbr", size, RTE_CACHE_LINE_SIZE));
  if (!qsbr_ || rte_rcu_qsbr_init(qsbr_, readers) != 0) throw std::bad_alloc();
  for (unsigned i = 0; i < readers; ++i) rte_rcu_qsbr_thread_register(qsbr_, i);
}

Published::~Published() { rte_free(qsbr_); }

void Published::publish(std::unique_ptr<Tables> next) {
  current_.store(next.get(), std::memory_order_release);
  // Every reader has passed a quiescent point after the store: none holds the old tables.
  rte_rcu_qsbr_synchronize(qsbr_, RTE_QSBR_THRID_INVALID);
  owned_ = std::move(next);
}

void Published::online(unsigned worker) noexcept { rte_rcu_qsbr_thread_online(qsbr_, worker); }
void Published::offline(unsigned worker) noexcept { rte_rcu_qsbr_thread_offline(qsbr_, worker); }
void Published::quiescent(unsigned worker) noexcept { rte_rcu_qsbr_quiescent(qsbr_, worker); }

}  // namespace gauntlet
