// Status and Result<T>: the error currency at every trust boundary (files, network, flags).
//
// A Status is either OK or carries a code and a message that names the file, node or field
// and what was expected. Result<T> holds a T or a non-OK Status. Neither throws.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace edgebench {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // bad user input: flags, shapes, attribute values
  kInvalidModel,     // a model file that is malformed or inconsistent
  kNotFound,         // a file, tensor or name that does not exist
  kUnsupported,      // valid input that this build cannot handle (op, dtype, attribute)
  kOutOfRange,       // sizes that overflow or exceed a configured limit
  kDataLoss,         // truncated or corrupt data
  kIoError,          // the operating system refused a read or write
  kInternal,         // a bug in edgebench
};

std::string_view status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return {}; }

  bool is_ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Prefixes the message with where the error happened: "node 'conv1': <message>".
  Status with_context(std::string_view context) const;
  std::string to_string() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status invalid_argument(std::string msg) {
  return {StatusCode::kInvalidArgument, std::move(msg)};
}
inline Status invalid_model(std::string msg) { return {StatusCode::kInvalidModel, std::move(msg)}; }
inline Status not_found(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
inline Status unsupported(std::string msg) { return {StatusCode::kUnsupported, std::move(msg)}; }
inline Status out_of_range(std::string msg) { return {StatusCode::kOutOfRange, std::move(msg)}; }
inline Status data_loss(std::string msg) { return {StatusCode::kDataLoss, std::move(msg)}; }
inline Status io_error(std::string msg) { return {StatusCode::kIoError, std::move(msg)}; }
inline Status internal_error(std::string msg) { return {StatusCode::kInternal, std::move(msg)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : storage_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : storage_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(storage_).is_ok() && "Result built from an OK status");
  }

  bool is_ok() const { return std::holds_alternative<T>(storage_); }
  const Status& status() const {
    static const Status kOkStatus;
    return is_ok() ? kOkStatus : std::get<Status>(storage_);
  }

  T& value() & { return std::get<T>(storage_); }
  const T& value() const& { return std::get<T>(storage_); }
  T&& value() && { return std::get<T>(std::move(storage_)); }

  // The value, or `fallback` when this holds an error.
  T value_or(T fallback) const& { return is_ok() ? std::get<T>(storage_) : std::move(fallback); }

  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> storage_;
};

}  // namespace edgebench

#define EB_CONCAT_INNER_(a, b) a##b
#define EB_CONCAT_(a, b) EB_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function if it is not OK.
#define EB_RETURN_IF_ERROR(expr)                \
  do {                                          \
    ::edgebench::Status eb_status_ = (expr);    \
    if (!eb_status_.is_ok()) return eb_status_; \
  } while (false)

// Evaluates a Result<T>; on error returns its status, else moves the value into `lhs`.
#define EB_ASSIGN_OR_RETURN(lhs, expr) \
  EB_ASSIGN_OR_RETURN_IMPL_(EB_CONCAT_(eb_result_, __LINE__), lhs, expr)
#define EB_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.is_ok()) return tmp.status();          \
  lhs = std::move(tmp).value()
