#include "edgebench/results/io.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "results/results_test_util.h"

namespace edgebench::results {
namespace {

using testing::differing_fields;
using testing::full_record;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::minimal_record;
using testing::read_text;
using testing::TempDir;
using testing::write_text;

TEST(ResultsJsonFile, WriteThenReadIsExact) {
  TempDir dir;
  const auto path = dir.path() / "r.json";
  const Record r = full_record(3);
  ASSERT_TRUE(write_json_file(path, r).is_ok());
  Result<Record> back = read_json_file(path);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_THAT(differing_fields(r, *back), IsEmpty());
  // Pretty: one key per line, indented; no temporary file left behind.
  const std::string text = read_text(path);
  EXPECT_THAT(text, HasSubstr("\n  \"id\": \""));
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            1);
}

TEST(ResultsJsonFile, ReplacesAnExistingFile) {
  TempDir dir;
  const auto path = dir.path() / "r.json";
  write_text(path, std::string(100000, 'x'));
  ASSERT_TRUE(write_json_file(path, minimal_record()).is_ok());
  Result<Record> back = read_json_file(path);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(back->id, "min-1");
}

TEST(ResultsJsonFile, ErrorsNameTheFile) {
  TempDir dir;
  Result<Record> r = read_json_file(dir.path() / "missing.json");
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("missing.json' does not exist"));

  r = read_json_file(dir.path());
  ASSERT_FALSE(r.is_ok());
  EXPECT_THAT(r.status().message(), HasSubstr("is a folder"));

  write_text(dir.path() / "bad.json", "{\"schema\": \"edgebench.result/1\",");
  r = read_json_file(dir.path() / "bad.json");
  ASSERT_FALSE(r.is_ok());
  EXPECT_THAT(r.status().message(), HasSubstr("bad.json': not valid JSON"));

  // A number beyond double's range is JSON the parser refuses, not an uncaught exception.
  write_text(dir.path() / "huge.json", "{\"schema\": \"edgebench.result/1\", \"x\": 1e999}");
  r = read_json_file(dir.path() / "huge.json");
  ASSERT_FALSE(r.is_ok());
  EXPECT_THAT(r.status().message(), HasSubstr("huge.json': not valid JSON"));

  write_text(dir.path() / "other.json", "{\"schema\": \"something/1\"}");
  r = read_json_file(dir.path() / "other.json");
  ASSERT_FALSE(r.is_ok());
  EXPECT_THAT(r.status().message(), HasSubstr("other.json': result field 'schema'"));

  Status s = write_json_file(dir.path() / "no" / "such" / "folder.json", minimal_record());
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_THAT(s.message(), HasSubstr("folder.json"));
}

TEST(ResultsJsonl, AppendsOneLinePerRecord) {
  TempDir dir;
  const auto path = dir.path() / "results.jsonl";
  std::vector<Record> written;
  for (int n = 0; n < 5; ++n) {
    written.push_back(full_record(n, 10));
    ASSERT_TRUE(append_jsonl(path, written.back()).is_ok());
  }
  const std::string text = read_text(path);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 5);
  Result<std::vector<Record>> back = read_jsonl(path);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  ASSERT_EQ(back->size(), 5u);
  for (int n = 0; n < 5; ++n) {
    EXPECT_THAT(differing_fields(written[n], (*back)[n]), IsEmpty()) << "record " << n;
  }
  // read_result_file dispatches on the extension.
  Result<std::vector<Record>> all = read_result_file(path);
  ASSERT_TRUE(all.is_ok());
  EXPECT_EQ(all->size(), 5u);
}

TEST(ResultsJsonl, AppendKeepsExistingLinesAndSkipsBlankOnes) {
  TempDir dir;
  const auto path = dir.path() / "results.jsonl";
  write_text(path, to_json_text(minimal_record(), -1) + "\r\n\n   \n");
  Record second = minimal_record();
  second.id = "min-2";
  ASSERT_TRUE(append_jsonl(path, second).is_ok());
  Result<std::vector<Record>> back = read_jsonl(path);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[0].id, "min-1");
  EXPECT_EQ((*back)[1].id, "min-2");
}

TEST(ResultsJsonl, ErrorsNameTheLine) {
  TempDir dir;
  const auto path = dir.path() / "results.jsonl";
  const std::string good = to_json_text(minimal_record(), -1);
  // A truncated last line, as a crash in the middle of a write by another tool would leave.
  write_text(path, good + "\n\n" + good.substr(0, good.size() / 2));
  Result<std::vector<Record>> back = read_jsonl(path);
  ASSERT_FALSE(back.is_ok());
  EXPECT_THAT(back.status().message(), HasSubstr("results.jsonl' line 3: not valid JSON"));

  write_text(path, good + "\n{\"schema\": \"edgebench.result/1\"}\n");
  back = read_jsonl(path);
  ASSERT_FALSE(back.is_ok());
  EXPECT_THAT(back.status().message(),
              HasSubstr("results.jsonl' line 2: result field 'id' is missing"));
}

TEST(ResultsCsv, FieldQuotingPerRfc4180) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field(""), "");
  EXPECT_EQ(csv_field("  spaces kept  "), "  spaces kept  ");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("\""), "\"\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_field("cr\rhere"), "\"cr\rhere\"");
}

// A small RFC 4180 reader for the test: fields and records, quotes undone.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(std::move(field));
      field.clear();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      rows.back().push_back(std::move(field));
      field.clear();
      rows.emplace_back();
      ++i;
    } else {
      field += c;
    }
  }
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

TEST(ResultsCsv, HeaderAndRows) {
  Record a = full_record(0);
  a.label = "comma, \"quote\"\nnewline";
  Record b = minimal_record();
  b.timings.latency.p50 = std::numeric_limits<double>::quiet_NaN();
  const std::vector<Record> records = {a, b};
  const std::string csv = to_csv(records);
  EXPECT_EQ(csv.rfind("id,created_at,label,model,backend,threads,scenario,headline_metric,"
                      "headline_value,latency_p50_ms,",
                      0),
            0u);
  const auto rows = parse_csv(csv);
  ASSERT_EQ(rows.size(), 3u);
  const std::vector<std::string>& header = rows[0];
  EXPECT_EQ(header, csv_columns());
  for (const auto& row : rows) EXPECT_EQ(row.size(), header.size());
  auto cell = [&](std::size_t row, std::string_view column) {
    const auto it = std::find(header.begin(), header.end(), column);
    EXPECT_NE(it, header.end()) << column;
    return rows[row][static_cast<std::size_t>(it - header.begin())];
  };
  EXPECT_EQ(cell(1, "label"), a.label);
  EXPECT_EQ(cell(1, "model"), "mobilenet v2");
  EXPECT_EQ(cell(1, "threads"), "4");
  EXPECT_EQ(cell(1, "headline_metric"), "p99_ms");
  EXPECT_EQ(cell(1, "latency_p999_ms"), "9.5");
  EXPECT_EQ(cell(1, "latency_mean_ms"), "2.3333333333333335");  // reads back exactly
  EXPECT_EQ(cell(1, "latency_count"), "1024");
  EXPECT_EQ(cell(1, "queries_per_s"), "438.1");
  EXPECT_EQ(cell(1, "peak_rss_bytes"), "123456789");
  EXPECT_EQ(cell(1, "cpu_system_s"), "0.25");
  EXPECT_EQ(cell(1, "energy_j"), "42.5");
  EXPECT_EQ(cell(1, "valid"), "true");
  EXPECT_EQ(cell(2, "energy_j"), "");  // not measured: empty, never 0
  EXPECT_EQ(cell(2, "latency_p50_ms"), "");
  EXPECT_EQ(cell(2, "label"), "");
  for (const char* column : {"id",
                             "created_at",
                             "label",
                             "model",
                             "backend",
                             "threads",
                             "scenario",
                             "headline_metric",
                             "headline_value",
                             "latency_p50_ms",
                             "latency_p90_ms",
                             "latency_p95_ms",
                             "latency_p99_ms",
                             "latency_p999_ms",
                             "latency_mean_ms",
                             "latency_std_ms",
                             "latency_min_ms",
                             "latency_max_ms",
                             "latency_count",
                             "queries_per_s",
                             "samples_per_s",
                             "init_ms",
                             "first_inference_ms",
                             "peak_rss_bytes",
                             "arena_bytes",
                             "cpu_user_s",
                             "cpu_system_s",
                             "energy_j",
                             "valid"}) {
    EXPECT_NE(std::find(header.begin(), header.end(), column), header.end()) << column;
  }
  // Every record line ends with CRLF, and bare LF only occurs inside the quoted label.
  EXPECT_EQ(csv.substr(csv.size() - 2), "\r\n");
}

TEST(ResultsCsv, WriteCsvFile) {
  TempDir dir;
  const std::vector<Record> records = {minimal_record()};
  ASSERT_TRUE(write_csv(dir.path() / "out.csv", records).is_ok());
  EXPECT_EQ(read_text(dir.path() / "out.csv"), to_csv(records));
  const Status s = write_csv(dir.path() / "missing" / "out.csv", records);
  ASSERT_FALSE(s.is_ok());
  EXPECT_THAT(s.message(), HasSubstr("out.csv"));
}

}  // namespace
}  // namespace edgebench::results
