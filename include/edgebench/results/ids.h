// Record ids and timestamps.
#pragma once

#include <chrono>
#include <string>

#include "edgebench/results/result.h"

namespace edgebench::results {

// A new, unique, time-ordered record id: "YYYYMMDD-HHMMSS.mmm-xxxxxxxx" (UTC, milliseconds,
// 32 random bits from std::random_device). Ids sort in creation order to the millisecond, and
// their leading characters make readable prefixes for `results show`. Thread-safe.
std::string new_record_id(
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// "2026-11-22T03:36:05.482Z" (ISO 8601, UTC, milliseconds): the `created_at` format, which sorts
// in time order as text.
std::string format_utc_iso8601(std::chrono::system_clock::time_point time);

// Gives the record a new id and sets created_at to now (both from one clock reading).
void stamp_new_record(Record& record);

}  // namespace edgebench::results
