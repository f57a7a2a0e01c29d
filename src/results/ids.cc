#include "edgebench/results/ids.h"

#include <fmt/format.h>
#include <sys/random.h>

#include <ctime>
#include <random>

namespace edgebench::results {
namespace {

struct UtcParts {
  std::tm tm{};
  int millis = 0;
};

UtcParts utc_parts(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  const auto since_epoch = duration_cast<milliseconds>(time.time_since_epoch());
  // Floor division so that times before 1970 still give a millisecond part in [0, 1000).
  auto seconds = since_epoch.count() / 1000;
  auto millis = since_epoch.count() % 1000;
  if (millis < 0) {
    millis += 1000;
    seconds -= 1;
  }
  UtcParts parts;
  const std::time_t t = static_cast<std::time_t>(seconds);
  gmtime_r(&t, &parts.tm);
  parts.millis = static_cast<int>(millis);
  return parts;
}

// 32 random bits from the kernel (getrandom). std::random_device is not enough: where
// libstdc++ picks the CPU's RDSEED, some processors (AMD Zen 5) return far too few distinct
// values, and ids made within one millisecond collided.
std::uint32_t random_suffix() {
  std::uint32_t value = 0;
  if (::getrandom(&value, sizeof value, 0) == static_cast<ssize_t>(sizeof value)) return value;
  std::random_device fallback("/dev/urandom");  // getrandom missing (kernels before 3.17)
  return fallback();
}

}  // namespace

std::string new_record_id(std::chrono::system_clock::time_point now) {
  const UtcParts p = utc_parts(now);
  const std::uint32_t suffix = random_suffix();
  return fmt::format("{:04d}{:02d}{:02d}-{:02d}{:02d}{:02d}.{:03d}-{:08x}", p.tm.tm_year + 1900,
                     p.tm.tm_mon + 1, p.tm.tm_mday, p.tm.tm_hour, p.tm.tm_min, p.tm.tm_sec,
                     p.millis, suffix);
}

std::string format_utc_iso8601(std::chrono::system_clock::time_point time) {
  const UtcParts p = utc_parts(time);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:03d}Z", p.tm.tm_year + 1900,
                     p.tm.tm_mon + 1, p.tm.tm_mday, p.tm.tm_hour, p.tm.tm_min, p.tm.tm_sec,
                     p.millis);
}

void stamp_new_record(Record& record) {
  const auto now = std::chrono::system_clock::now();
  record.id = new_record_id(now);
  record.created_at = format_utc_iso8601(now);
}

}  // namespace edgebench::results
