// Spreading a reference kernel's independent pieces of work over the plan's thread pool.
//
// Work is cut into contiguous ranges of items (elements, rows, planes, output positions); one
// task computes one range with the same code a single thread would run, and no accumulation is
// ever split between tasks, so the results are bit-identical at any thread count. Small work
// runs inline on the calling thread: handing out a task costs about a microsecond.
// Internal to the engine.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>

#include "edgebench/core/thread_pool.h"

namespace edgebench::engine::ops {

// The least work (in elements touched) worth a task of its own.
inline constexpr std::int64_t kMinParallelWork = 16 * 1024;
// Tasks per thread: a few more than one, so that a thread that starts late (or shares its core)
// does not hold up the others.
inline constexpr std::int64_t kTasksPerThread = 4;

// Calls fn(begin, end) on contiguous ranges that cover [0, count) once, where each item costs
// about `work_per_item` elements of work; in parallel on `pool` (null: one thread) when the
// total is worth splitting, otherwise once, inline, with (0, count). fn must only write what
// its items own.
template <typename F>
void parallel_outer(ThreadPool* pool, std::int64_t count, std::int64_t work_per_item, F&& fn) {
  if (count <= 0) return;
  const std::int64_t threads = pool != nullptr ? pool->threads() : 1;
  const std::int64_t per_item = std::max<std::int64_t>(work_per_item, 1);
  // count * per_item may overflow only for absurd sizes; saturate instead.
  const std::int64_t work = per_item > std::numeric_limits<std::int64_t>::max() / count
                                ? std::numeric_limits<std::int64_t>::max()
                                : count * per_item;
  const std::int64_t tasks =
      threads < 2 ? 1 : std::min({count, work / kMinParallelWork, threads * kTasksPerThread});
  if (tasks < 2) {
    fn(std::int64_t{0}, count);
    return;
  }
  const std::int64_t base = count / tasks;
  const std::int64_t extra = count % tasks;  // the first `extra` ranges take one more item
  pool->parallel_for(static_cast<std::size_t>(tasks), [&](std::size_t task) {
    const auto t = static_cast<std::int64_t>(task);
    const std::int64_t begin = t * base + std::min(t, extra);
    const std::int64_t end = begin + base + (t < extra ? 1 : 0);
    fn(begin, end);
  });
}

// Calls fn(begin, end) on contiguous ranges of [0, count) elements, each costing one element.
template <typename F>
void parallel_elements(ThreadPool* pool, std::int64_t count, F&& fn) {
  parallel_outer(pool, count, 1, std::forward<F>(fn));
}

}  // namespace edgebench::engine::ops
