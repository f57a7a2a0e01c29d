#include "edgebench/core/status.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace edgebench {
namespace {

TEST(Status, DefaultIsOk) {
  const Status s;
  EXPECT_TRUE(s.is_ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s.to_string(), "ok");
  EXPECT_TRUE(Status::ok().is_ok());
}

TEST(Status, HelpersSetCodeAndMessage) {
  struct Case {
    Status status;
    StatusCode code;
    std::string_view name;
  };
  const Case cases[] = {
      {invalid_argument("m"), StatusCode::kInvalidArgument, "invalid argument"},
      {invalid_model("m"), StatusCode::kInvalidModel, "invalid model"},
      {not_found("m"), StatusCode::kNotFound, "not found"},
      {unsupported("m"), StatusCode::kUnsupported, "unsupported"},
      {out_of_range("m"), StatusCode::kOutOfRange, "out of range"},
      {data_loss("m"), StatusCode::kDataLoss, "data loss"},
      {io_error("m"), StatusCode::kIoError, "i/o error"},
      {internal_error("m"), StatusCode::kInternal, "internal error"},
  };
  for (const Case& c : cases) {
    EXPECT_FALSE(c.status.is_ok());
    EXPECT_EQ(c.status.code(), c.code);
    EXPECT_EQ(c.status.message(), "m");
    EXPECT_EQ(status_code_name(c.code), c.name);
    EXPECT_EQ(c.status.to_string(), std::string(c.name) + ": m");
  }
  EXPECT_EQ(status_code_name(StatusCode::kOk), "ok");
}

TEST(Status, WithContextPrefixesTheMessageAndKeepsTheCode) {
  const Status s =
      invalid_model("bad axis").with_context("node 'conv1'").with_context("model.onnx");
  EXPECT_EQ(s.code(), StatusCode::kInvalidModel);
  EXPECT_EQ(s.message(), "model.onnx: node 'conv1': bad axis");
  EXPECT_EQ(s.to_string(), "invalid model: model.onnx: node 'conv1': bad axis");
  EXPECT_TRUE(Status::ok().with_context("anything").is_ok());
  EXPECT_EQ(Status::ok().with_context("anything").message(), "");
}

TEST(Result, HoldsAValueOrAStatus) {
  Result<int> good = 42;
  ASSERT_TRUE(good.is_ok());
  EXPECT_TRUE(good.status().is_ok());
  EXPECT_EQ(*good, 42);
  EXPECT_EQ(good.value(), 42);

  Result<int> bad = not_found("no such file x.npy");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(bad.status().message(), "no such file x.npy");
}

TEST(Result, WorksWithMoveOnlyTypesAndArrow) {
  Result<std::unique_ptr<std::string>> r = std::make_unique<std::string>("abc");
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ((*r)->size(), 3u);
  std::unique_ptr<std::string> taken = std::move(r).value();
  EXPECT_EQ(*taken, "abc");

  Result<std::string> s = std::string("hello");
  EXPECT_EQ(s->size(), 5u);
}

Status fail_if(bool fail) { return fail ? data_loss("failed") : Status::ok(); }

Status run_steps(bool fail_first, int* steps) {
  EB_RETURN_IF_ERROR(fail_if(fail_first));
  ++*steps;
  EB_RETURN_IF_ERROR(fail_if(false));
  ++*steps;
  return Status::ok();
}

Result<int> half_of(int x) {
  if (x % 2 != 0) return invalid_argument("odd");
  return x / 2;
}

Result<int> quarter_of(int x) {
  EB_ASSIGN_OR_RETURN(int half, half_of(x));
  EB_ASSIGN_OR_RETURN(int quarter, half_of(half));  // two uses in one scope must compile
  return quarter;
}

TEST(StatusMacros, ReturnIfErrorStopsAtTheFirstFailure) {
  int steps = 0;
  EXPECT_TRUE(run_steps(false, &steps).is_ok());
  EXPECT_EQ(steps, 2);
  steps = 0;
  const Status s = run_steps(true, &steps);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_EQ(steps, 0);
}

TEST(StatusMacros, AssignOrReturnPropagatesErrors) {
  auto ok = quarter_of(12);
  ASSERT_TRUE(ok.is_ok());
  EXPECT_EQ(*ok, 3);
  auto bad = quarter_of(6);  // 6 / 2 = 3 is odd
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "odd");
}

}  // namespace
}  // namespace edgebench
