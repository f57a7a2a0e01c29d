// A pool of worker threads for the engine's kernels, backed by pthreadpool (the pool XNNPACK
// parallelizes over). A pool of 1 thread has no workers: work runs on the calling thread, and
// handle() is null, which XNNPACK and pthreadpool both take as "run inline".
#pragma once

#include <cstddef>
#include <memory>
#include <type_traits>

#include "edgebench/core/status.h"

struct pthreadpool;

namespace edgebench {

class ThreadPool {
 public:
  // threads >= 1: the number of threads that work, the caller's included.
  static Result<std::shared_ptr<ThreadPool>> create(int threads);

  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;
  ~ThreadPool();

  int threads() const { return threads_; }
  // The pthreadpool, or null for a single thread.
  pthreadpool* handle() const { return pool_; }

  // Calls fn(i) for i in [0, n), spread over the pool's threads.
  template <typename F>
  void parallel_for(std::size_t n, F&& fn) {
    if (pool_ == nullptr || n < 2) {
      for (std::size_t i = 0; i < n; ++i) fn(i);
      return;
    }
    using Fn = std::remove_reference_t<F>;
    run_parallel(
        n, [](void* ctx, std::size_t i) { (*static_cast<Fn*>(ctx))(i); },
        const_cast<void*>(static_cast<const void*>(&fn)));
  }

 private:
  ThreadPool(int threads, pthreadpool* pool) : threads_(threads), pool_(pool) {}
  void run_parallel(std::size_t n, void (*task)(void*, std::size_t), void* ctx);

  int threads_;
  pthreadpool* pool_;
};

}  // namespace edgebench
