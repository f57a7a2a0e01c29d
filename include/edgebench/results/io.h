// Result files: pretty JSON (one record), JSONL (one record per line, appended) and CSV
// (flat columns for spreadsheets). Every reader validates with from_json; every error names
// the file (and the line, for JSONL).
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "edgebench/core/status.h"
#include "edgebench/results/result.h"

namespace edgebench::results {

// Stated once in every record as "percentiles"; see result.h for the formula.
inline constexpr const char* kPercentileConvention = "nearest-rank on sorted latencies";

// The record as JSON text with `schema` first and the other keys in the struct's order.
// indent < 0: one line (the JSONL form); otherwise pretty-printed with that indent.
std::string to_json_text(const Record& record, int indent = 2);

// Parses JSON text into a record; `source` names where the text came from in messages.
Result<Record> parse_record(std::string_view text, std::string_view source);

// Writes the record as pretty JSON. The file is replaced atomically (written beside it, then
// renamed), so a crash leaves either the old file or the new one, never half a record.
Status write_json_file(const std::filesystem::path& path, const Record& record);
Result<Record> read_json_file(const std::filesystem::path& path);

// Appends the record as one line. The line goes to the file in a single write(2) on a file
// opened with O_APPEND, so concurrent appenders do not interleave within a line.
Status append_jsonl(const std::filesystem::path& path, const Record& record);
// Reads every record; empty lines are skipped; an error names the line.
Result<std::vector<Record>> read_jsonl(const std::filesystem::path& path);

// A `.jsonl` file gives all its records; any other file is read as one JSON record.
Result<std::vector<Record>> read_result_file(const std::filesystem::path& path);

// CSV per RFC 4180: a header row, then one row per record; CRLF line ends; a field is quoted
// when it holds a comma, a double quote, CR or LF, with quotes doubled. Numbers use the
// shortest text that reads back exactly; absent values (energy when not measured, NaN) are
// empty fields. Columns: see csv_columns().
std::string to_csv(std::span<const Record> records);
Status write_csv(const std::filesystem::path& path, std::span<const Record> records);
const std::vector<std::string>& csv_columns();
// One field, quoted when needed.
std::string csv_field(std::string_view text);

}  // namespace edgebench::results
