#include "edgebench/core/thread_pool.h"

#include <fmt/format.h>
#include <pthreadpool.h>

namespace edgebench {

Result<std::shared_ptr<ThreadPool>> ThreadPool::create(int threads) {
  if (threads < 1) {
    return invalid_argument(fmt::format("threads must be at least 1, got {}", threads));
  }
  pthreadpool_t pool = nullptr;
  if (threads > 1) {
    pool = pthreadpool_create(static_cast<std::size_t>(threads));
    if (pool == nullptr) {
      return internal_error(fmt::format("cannot start a pool of {} threads", threads));
    }
  }
  return std::shared_ptr<ThreadPool>(new ThreadPool(threads, pool));
}

ThreadPool::~ThreadPool() {
  if (pool_ != nullptr) pthreadpool_destroy(pool_);
}

void ThreadPool::run_parallel(std::size_t n, void (*task)(void*, std::size_t), void* ctx) {
  pthreadpool_parallelize_1d(pool_, task, ctx, n, 0);
}

}  // namespace edgebench
