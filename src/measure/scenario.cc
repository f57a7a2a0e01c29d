#include "edgebench/measure/scenario.h"

#include <fmt/format.h>
#include <sys/prctl.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <thread>

#include "edgebench/measure/stats.h"

namespace edgebench::measure {

namespace {

using Clock = std::chrono::steady_clock;

// Sleeping overshoots by tens of microseconds; the last stretch before an arrival is spun.
constexpr auto kSpinWindow = std::chrono::microseconds(50);

constexpr std::size_t kMaxInitialLatencies = std::size_t{1} << 22;

// Slower arrival rates would put arrival times out of the clock's range.
constexpr double kMinTargetQps = 1e-3;

// Durations past this are treated as "no limit" (and keep time_point arithmetic in range).
constexpr double kMaxSeconds = 1e8;

Clock::duration seconds_to_duration(double seconds) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

double to_ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }
double to_s(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Per-query latencies as clock ticks, in a buffer sized before the measured phase. record()
// never allocates; the loop calls grow() between queries when the buffer is full. Beside each
// latency: the host time of the query's backend calls (equal to the latency except in the
// server scenario, where the latency includes queueing) and the target's own time for them
// (backends that report RunInfo::device_ms; remote targets).
class LatencyLog {
 public:
  explicit LatencyLog(std::size_t capacity)
      : ticks_(std::max<std::size_t>(capacity, 1)),
        call_ticks_(ticks_.size()),
        device_ms_(ticks_.size()) {}
  void record(Clock::duration d, Clock::duration call, double device_ms) {
    call_ticks_[count_] = call.count();
    device_ms_[count_] = device_ms;
    ticks_[count_++] = d.count();
  }
  void record(Clock::duration d, double device_ms) { record(d, d, device_ms); }
  bool full() const { return count_ == ticks_.size(); }
  void grow() {
    ticks_.resize(ticks_.size() * 2);
    call_ticks_.resize(ticks_.size());
    device_ms_.resize(ticks_.size());
  }
  std::size_t size() const { return count_; }
  // Host call times and target times, in record order (call before take_ms).
  std::vector<double> call_ms() const {
    std::vector<double> ms(count_);
    for (std::size_t i = 0; i < count_; ++i) ms[i] = to_ms(Clock::duration(call_ticks_[i]));
    return ms;
  }
  std::vector<double> device_ms() const {
    return {device_ms_.begin(), device_ms_.begin() + static_cast<std::ptrdiff_t>(count_)};
  }
  // Milliseconds in record order; frees the tick buffer (long runs hold millions of entries).
  std::vector<double> take_ms() {
    std::vector<double> ms(count_);
    for (std::size_t i = 0; i < count_; ++i) {
      ms[i] = std::chrono::duration<double, std::milli>(Clock::duration(ticks_[i])).count();
    }
    std::vector<Clock::rep>().swap(ticks_);
    std::vector<Clock::rep>().swap(call_ticks_);
    std::vector<double>().swap(device_ms_);
    count_ = 0;
    return ms;
  }

 private:
  std::vector<Clock::rep> ticks_;
  std::vector<Clock::rep> call_ticks_;
  std::vector<double> device_ms_;
  std::size_t count_ = 0;
};

// When the measured phase may stop: both minimums met, or a cap hit.
struct StopRule {
  std::uint64_t min_queries = 1;
  Clock::duration min_duration{};
  std::uint64_t max_queries = std::numeric_limits<std::uint64_t>::max();
  Clock::time_point max_deadline = Clock::time_point::max();

  StopRule(const ScenarioSettings& s, Clock::time_point begin) {
    min_queries = std::max<std::uint64_t>(s.min_queries, 1);
    min_duration = seconds_to_duration(std::min(s.min_duration_s, kMaxSeconds));
    if (s.max_queries > 0) max_queries = s.max_queries;
    if (s.max_duration_s > 0 && s.max_duration_s < kMaxSeconds) {
      max_deadline = begin + seconds_to_duration(s.max_duration_s);
    }
  }
  bool minimums_met(std::uint64_t queries, Clock::duration elapsed) const {
    return queries >= min_queries && elapsed >= min_duration;
  }
  bool cap_hit(std::uint64_t queries, Clock::time_point now) const {
    return queries >= max_queries || now >= max_deadline;
  }
};

// Calls the progress hook at most every kProgressInterval; one comparison per query otherwise.
class ProgressTicker {
 public:
  ProgressTicker(const ScenarioHooks& hooks, Clock::time_point begin)
      : hook_(hooks.progress),
        begin_(begin),
        next_(hooks.progress ? begin + kProgressInterval : Clock::time_point::max()) {}
  void maybe_report(std::uint64_t queries, Clock::time_point now) {
    if (now < next_) return;
    hook_(Progress{queries, to_s(now - begin_)});
    next_ = Clock::now() + kProgressInterval;
  }

 private:
  const std::function<void(const Progress&)>& hook_;
  Clock::time_point begin_;
  Clock::time_point next_;
};

// Sizes the latency buffer so that a run as long as the settings expect never grows it.
std::size_t initial_capacity(const ScenarioSettings& s) {
  double expected = static_cast<double>(std::max<std::uint64_t>(s.min_queries, 1));
  if (s.kind == ScenarioKind::kServer && s.target_qps) {
    expected = std::max(expected, *s.target_qps * std::min(s.min_duration_s, kMaxSeconds) * 1.25);
  }
  expected += 4096;
  if (s.max_queries > 0) {
    // Offline records one latency per sample; a cap on samples caps the buffer too.
    expected = std::min(expected, static_cast<double>(s.max_queries) + 1.0);
  }
  // Beyond a few million entries (32 MiB) the buffer grows between queries instead: absurd
  // minimums should not allocate gigabytes up front.
  return static_cast<std::size_t>(std::min(expected, static_cast<double>(kMaxInitialLatencies)));
}

class SampleCycle {
 public:
  explicit SampleCycle(std::span<const std::vector<Tensor>> samples) : samples_(samples) {}
  std::span<const Tensor> next() {
    const std::vector<Tensor>& sample = samples_[index_];
    if (++index_ == samples_.size()) index_ = 0;
    return sample;
  }
  void reset() { index_ = 0; }

 private:
  std::span<const std::vector<Tensor>> samples_;
  std::size_t index_ = 0;
};

// What a measured loop hands back to the common post-processing.
struct MeasuredPhase {
  std::uint64_t queries = 0;
  std::uint64_t samples = 0;
  Clock::duration duration{};
  bool stopped_by_cap = false;  // before the minimums were met
  std::string cap_reason;
};

std::string cap_message(const ScenarioSettings& s, const StopRule& rule, std::uint64_t queries,
                        Clock::duration elapsed) {
  const std::string what = queries >= rule.max_queries
                               ? fmt::format("max_queries ({})", s.max_queries)
                               : fmt::format("max_duration_s ({} s)", s.max_duration_s);
  std::vector<std::string> missing;
  if (queries < rule.min_queries) {
    missing.push_back(fmt::format("min_queries ({}; ran {})", rule.min_queries, queries));
  }
  if (elapsed < rule.min_duration) {
    missing.push_back(
        fmt::format("min_duration_s ({} s; ran {:.3f} s)", s.min_duration_s, to_s(elapsed)));
  }
  return fmt::format("stopped by {} before reaching {}", what, fmt::join(missing, " and "));
}

class Runner {
 public:
  Runner(const ScenarioSettings& settings, backends::Executable& executable,
         std::span<const std::vector<Tensor>> samples, const ScenarioHooks& hooks)
      : s_(settings),
        exe_(executable),
        samples_(samples),
        hooks_(hooks),
        outputs_(preallocate_outputs(executable)),
        log_(initial_capacity(settings)) {}

  Status warm_up() {
    const std::uint64_t runs_per_query =
        s_.kind == ScenarioKind::kMultiStream ? s_.samples_per_query : 1;
    for (std::uint64_t q = 0; q < s_.warmup_queries; ++q) {
      for (std::uint64_t r = 0; r < runs_per_query; ++r) {
        Status status = exe_.run(samples_.next(), outputs_);
        if (!status.is_ok()) return status.with_context(fmt::format("warm-up query {}", q));
      }
    }
    samples_.reset();
    return Status::ok();
  }

  Result<MeasuredPhase> measure() {
    switch (s_.kind) {
      case ScenarioKind::kSingleStream: return single_stream();
      case ScenarioKind::kMultiStream: return multi_stream();
      case ScenarioKind::kServer: return server();
      case ScenarioKind::kOffline: return offline();
    }
    return internal_error("unknown scenario kind");
  }

  LatencyLog& log() { return log_; }
  // Whether every measured run reported the target's own time.
  bool device_times_complete() const { return !device_missing_; }
  // "target" (measured there) or "model" (predicted by a modelled accelerator).
  const std::string& device_source() const { return device_source_; }

 private:
  // The target's time for the run just made (0, and remembered as missing, when the backend
  // does not report one).
  double device_ms() {
    const backends::RunInfo* info = exe_.last_run_info();
    if (info != nullptr && info->device_ms) {
      device_source_ = info->device_ms_source;
      return *info->device_ms;
    }
    device_missing_ = true;
    return 0;
  }

  Status query_error(const Status& status) const {
    return status.with_context(fmt::format("query {}", log_.size()));
  }

  // Closes the phase after the loop stopped (minimums met or a cap hit).
  MeasuredPhase finish(const StopRule& rule, std::uint64_t samples, Clock::duration duration,
                       Clock::duration elapsed_for_minimums) const {
    MeasuredPhase phase;
    phase.queries = log_.size();
    phase.samples = samples;
    phase.duration = duration;
    phase.stopped_by_cap = !rule.minimums_met(log_.size(), elapsed_for_minimums);
    if (phase.stopped_by_cap) {
      phase.cap_reason = cap_message(s_, rule, log_.size(), elapsed_for_minimums);
    }
    return phase;
  }

  Result<MeasuredPhase> single_stream() {
    const Clock::time_point begin = Clock::now();
    const StopRule rule(s_, begin);
    ProgressTicker ticker(hooks_, begin);
    Clock::time_point end = begin;
    for (;;) {
      const std::span<const Tensor> inputs = samples_.next();
      const Clock::time_point t0 = Clock::now();
      const Status status = exe_.run(inputs, outputs_);
      const Clock::time_point t1 = Clock::now();
      if (!status.is_ok()) return query_error(status);
      log_.record(t1 - t0, device_ms());
      end = t1;
      if (rule.minimums_met(log_.size(), t1 - begin) || rule.cap_hit(log_.size(), t1)) break;
      if (log_.full()) log_.grow();
      ticker.maybe_report(log_.size(), t1);
    }
    return finish(rule, log_.size(), end - begin, end - begin);
  }

  Result<MeasuredPhase> multi_stream() {
    const Clock::time_point begin = Clock::now();
    const StopRule rule(s_, begin);
    ProgressTicker ticker(hooks_, begin);
    Clock::time_point end = begin;
    const std::uint64_t per_query = s_.samples_per_query;
    for (;;) {
      const Clock::time_point t0 = Clock::now();
      double device = 0;
      for (std::uint64_t i = 0; i < per_query; ++i) {
        const Status status = exe_.run(samples_.next(), outputs_);
        if (!status.is_ok()) return query_error(status);
        device += device_ms();
      }
      const Clock::time_point t1 = Clock::now();
      log_.record(t1 - t0, device);
      end = t1;
      if (rule.minimums_met(log_.size(), t1 - begin) || rule.cap_hit(log_.size(), t1)) break;
      if (log_.full()) log_.grow();
      ticker.maybe_report(log_.size(), t1);
    }
    return finish(rule, log_.size() * per_query, end - begin, end - begin);
  }

  // Linux rounds sleeps up by the thread's timer slack (50 us by default), which would shift
  // every idle server query by that much; the slack is lowered for the server loop only.
  class TimerSlackGuard {
   public:
    TimerSlackGuard() : previous_(::prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0)) {
      if (previous_ > 0) ::prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    }
    ~TimerSlackGuard() {
      if (previous_ > 0) ::prctl(PR_SET_TIMERSLACK, static_cast<unsigned long>(previous_), 0, 0, 0);
    }
    TimerSlackGuard(const TimerSlackGuard&) = delete;
    TimerSlackGuard& operator=(const TimerSlackGuard&) = delete;

   private:
    int previous_;
  };

  Result<MeasuredPhase> server() {
    const TimerSlackGuard slack;
    // Arrival gaps: exponential with mean 1/qps, mapped from the raw 64-bit draw ourselves
    // (std::exponential_distribution's algorithm differs between standard libraries, and
    // the schedule must be the same for a seed everywhere).
    std::mt19937_64 rng(s_.seed);
    const double mean_gap_ns = 1e9 / *s_.target_qps;
    const auto next_gap_ns = [&rng, mean_gap_ns] {
      const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;  // [0, 1)
      return -std::log1p(-u) * mean_gap_ns;
    };
    const Clock::time_point origin = Clock::now();
    const StopRule rule(s_, origin);
    ProgressTicker ticker(hooks_, origin);
    double schedule_ns = next_gap_ns();
    const auto arrival_at = [origin](double ns) {
      return origin + std::chrono::duration_cast<Clock::duration>(
                          std::chrono::duration<double, std::nano>(ns));
    };
    const Clock::time_point first_arrival = arrival_at(schedule_ns);
    Clock::time_point last_arrival = first_arrival;
    Clock::time_point end = first_arrival;
    for (;;) {
      const Clock::time_point arrival = arrival_at(schedule_ns);
      if (arrival > rule.max_deadline) break;
      // Idle until the arrival: sleep, then spin the last kSpinWindow.
      for (Clock::time_point now = Clock::now(); now < arrival; now = Clock::now()) {
        if (arrival - now > kSpinWindow) std::this_thread::sleep_for(arrival - now - kSpinWindow);
      }
      const Clock::time_point t0 = Clock::now();
      const Status status = exe_.run(samples_.next(), outputs_);
      const Clock::time_point t1 = Clock::now();
      if (!status.is_ok()) return query_error(status);
      log_.record(t1 - arrival, t1 - t0, device_ms());
      end = t1;
      last_arrival = arrival;
      // LoadGen's server minimum duration counts the schedule (the last query's arrival).
      if (rule.minimums_met(log_.size(), arrival - origin) || rule.cap_hit(log_.size(), t1)) {
        break;
      }
      if (log_.full()) log_.grow();
      ticker.maybe_report(log_.size(), t1);
      schedule_ns += next_gap_ns();
    }
    if (log_.size() == 0) {
      MeasuredPhase phase;
      phase.stopped_by_cap = true;
      phase.cap_reason = fmt::format(
          "stopped by max_duration_s ({} s) before the first query arrived", s_.max_duration_s);
      return phase;
    }
    return finish(rule, log_.size(), end - first_arrival, last_arrival - origin);
  }

  Result<MeasuredPhase> offline() {
    const Clock::time_point begin = Clock::now();
    const StopRule rule(s_, begin);
    ProgressTicker ticker(hooks_, begin);
    Clock::time_point end = begin;
    for (;;) {
      for (std::uint64_t b = 0; b < s_.batch; ++b) {
        const std::span<const Tensor> inputs = samples_.next();
        const Clock::time_point t0 = Clock::now();
        const Status status = exe_.run(inputs, outputs_);
        const Clock::time_point t1 = Clock::now();
        if (!status.is_ok()) return query_error(status);
        log_.record(t1 - t0, device_ms());
        end = t1;
        if (log_.full()) log_.grow();  // mid-group only when the estimate was far off
      }
      if (rule.minimums_met(log_.size(), end - begin) || rule.cap_hit(log_.size(), end)) break;
      ticker.maybe_report(log_.size(), end);
    }
    return finish(rule, log_.size(), end - begin, end - begin);
  }

  const ScenarioSettings& s_;
  backends::Executable& exe_;
  SampleCycle samples_;
  const ScenarioHooks& hooks_;
  std::vector<Tensor> outputs_;
  LatencyLog log_;
  bool device_missing_ = false;
  std::string device_source_ = "target";
};

std::string format_ms(double ms) { return fmt::format("{:.4g} ms", ms); }

}  // namespace

std::string_view scenario_name(ScenarioKind kind) {
  switch (kind) {
    case ScenarioKind::kSingleStream: return "single-stream";
    case ScenarioKind::kMultiStream: return "multi-stream";
    case ScenarioKind::kServer: return "server";
    case ScenarioKind::kOffline: return "offline";
  }
  return "unknown";
}

Result<ScenarioKind> parse_scenario(std::string_view name) {
  for (ScenarioKind kind : {ScenarioKind::kSingleStream, ScenarioKind::kMultiStream,
                            ScenarioKind::kServer, ScenarioKind::kOffline}) {
    if (name == scenario_name(kind)) return kind;
  }
  return invalid_argument(fmt::format(
      "unknown scenario '{}' (expected single-stream, multi-stream, server or offline)", name));
}

ScenarioSettings default_settings(ScenarioKind kind) {
  ScenarioSettings s;
  s.kind = kind;
  if (kind == ScenarioKind::kMultiStream) s.min_queries = 662;
  return s;
}

Status validate(const ScenarioSettings& s) {
  const auto finite_non_negative = [](double x) { return std::isfinite(x) && x >= 0; };
  if (!finite_non_negative(s.min_duration_s)) {
    return invalid_argument(
        fmt::format("min_duration_s must be a finite number >= 0, got {}", s.min_duration_s));
  }
  if (!finite_non_negative(s.max_duration_s)) {
    return invalid_argument(
        fmt::format("max_duration_s must be a finite number >= 0, got {}", s.max_duration_s));
  }
  if (s.samples_per_query < 1) return invalid_argument("samples_per_query must be at least 1");
  if (s.batch < 1) return invalid_argument("batch must be at least 1");
  if (s.kind == ScenarioKind::kServer) {
    if (!s.target_qps) return invalid_argument("the server scenario needs target_qps");
    if (!std::isfinite(*s.target_qps) || *s.target_qps < kMinTargetQps) {
      return invalid_argument(fmt::format("target_qps must be a finite number >= {}, got {}",
                                          kMinTargetQps, *s.target_qps));
    }
  }
  if (s.latency_bound_ms && !(std::isfinite(*s.latency_bound_ms) && *s.latency_bound_ms > 0)) {
    return invalid_argument(
        fmt::format("latency_bound_ms must be a finite number > 0, got {}", *s.latency_bound_ms));
  }
  return Status::ok();
}

results::ScenarioSettings to_record_settings(const ScenarioSettings& s) {
  results::ScenarioSettings r;
  r.name = std::string(scenario_name(s.kind));
  r.warmup_queries = s.warmup_queries;
  r.min_queries = s.min_queries;
  r.min_duration_s = s.min_duration_s;
  r.target_qps = s.target_qps;
  r.latency_bound_ms = s.latency_bound_ms;
  r.samples_per_query = s.kind == ScenarioKind::kMultiStream ? s.samples_per_query : 1;
  r.batch = s.kind == ScenarioKind::kOffline ? s.batch : 1;
  r.seed = s.seed;
  return r;
}

std::vector<Tensor> preallocate_outputs(const backends::Executable& executable) {
  std::vector<Tensor> outputs(executable.outputs().size());
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const backends::TensorSpec& spec = executable.outputs()[i];
    if (spec.dtype == DType::kUndefined) continue;
    auto tensor = Tensor::allocate(spec.dtype, spec.shape);  // refuses symbolic (< 0) dims
    if (tensor.is_ok()) outputs[i] = std::move(tensor).value();
  }
  return outputs;
}

Result<double> time_first_inference(backends::Executable& executable,
                                    std::span<const Tensor> inputs, std::span<Tensor> outputs) {
  const Clock::time_point t0 = Clock::now();
  const Status status = executable.run(inputs, outputs);
  const Clock::time_point t1 = Clock::now();
  if (!status.is_ok()) return status.with_context("first inference");
  return to_ms(t1 - t0);
}

Result<MeasuredRound> Scenario::run_round(backends::Executable& executable,
                                          std::span<const std::vector<Tensor>> samples,
                                          const ScenarioHooks& hooks) const {
  const ScenarioSettings& s = settings_;
  EB_RETURN_IF_ERROR(validate(s));
  if (samples.empty()) return invalid_argument("no samples to run: give at least one input set");
  const std::size_t inputs = executable.inputs().size();
  for (std::size_t i = 0; i < samples.size(); ++i) {
    if (samples[i].size() != inputs) {
      return invalid_argument(fmt::format("sample {} has {} input tensors; the model takes {}", i,
                                          samples[i].size(), inputs));
    }
  }

  Runner runner(s, executable, samples, hooks);
  EB_RETURN_IF_ERROR(runner.warm_up());
  ResourceMeter meter(hooks.powercap);
  meter.start();
  EB_ASSIGN_OR_RETURN(const MeasuredPhase phase, runner.measure());
  MeasuredRound round;
  round.resources = meter.stop();
  if (runner.device_times_complete() && runner.log().size() > 0) {
    round.call_ms = runner.log().call_ms();
    round.device_ms = runner.log().device_ms();
    round.device_source = runner.device_source();
  }
  round.host_ms = runner.log().take_ms();
  round.queries = phase.queries;
  round.samples = phase.samples;
  round.duration_s = to_s(phase.duration);
  round.stopped_by_cap = phase.stopped_by_cap;
  round.cap_reason = phase.cap_reason;
  return round;
}

const std::vector<double>& MeasuredRound::headline_latencies_ms(ScenarioKind kind) const {
  return !device_ms.empty() && kind != ScenarioKind::kServer ? device_ms : host_ms;
}

double MeasuredRound::p50_ms(ScenarioKind kind) const {
  std::vector<double> sorted = headline_latencies_ms(kind);
  if (sorted.empty()) return 0;
  std::sort(sorted.begin(), sorted.end());
  return summarize_sorted(sorted).p50;
}

Result<ScenarioResult> Scenario::run(backends::Executable& executable,
                                     std::span<const std::vector<Tensor>> samples,
                                     const ScenarioHooks& hooks) const {
  EB_ASSIGN_OR_RETURN(MeasuredRound round, run_round(executable, samples, hooks));
  return summarize(std::span<const MeasuredRound>(&round, 1));
}

ScenarioResult Scenario::summarize(std::span<const MeasuredRound> rounds) const {
  const ScenarioSettings& s = settings_;
  ScenarioResult result;
  result.kind = s.kind;
  // A self-timing target's figures are used only when every round has them.
  const bool target_timed =
      !rounds.empty() && std::all_of(rounds.begin(), rounds.end(),
                                     [](const MeasuredRound& r) { return !r.device_ms.empty(); });
  std::vector<double> call_ms, device_ms;
  for (const MeasuredRound& round : rounds) {
    result.resources =
        &round == rounds.data() ? round.resources : sum_usage(result.resources, round.resources);
    result.latencies_ms.insert(result.latencies_ms.end(), round.host_ms.begin(),
                               round.host_ms.end());
    if (target_timed) {
      call_ms.insert(call_ms.end(), round.call_ms.begin(), round.call_ms.end());
      device_ms.insert(device_ms.end(), round.device_ms.begin(), round.device_ms.end());
    }
    result.queries += round.queries;
    result.samples += round.samples;
    result.duration_s += round.duration_s;
    if (round.stopped_by_cap) {
      result.valid = false;
      result.invalid_reasons.push_back(round.cap_reason);
    }
  }
  if (target_timed) {
    const auto stats_of = [](std::vector<double> values) {
      std::sort(values.begin(), values.end());
      return summarize_sorted(values);
    };
    std::vector<double> overhead(call_ms.size());
    for (std::size_t i = 0; i < call_ms.size(); ++i) overhead[i] = call_ms[i] - device_ms[i];
    result.target_latency = stats_of(device_ms);
    result.round_trip = stats_of(call_ms);
    result.transport_overhead = stats_of(std::move(overhead));
    // The headline of a remote run is the target's own time (but the server scenario keeps
    // completion minus arrival: its point is queueing, which only the host sees).
    if (s.kind != ScenarioKind::kServer) {
      result.latency_source = rounds.front().device_source;
      result.latencies_ms = std::move(device_ms);
    }
  }
  std::vector<double> sorted = result.latencies_ms;
  std::sort(sorted.begin(), sorted.end());
  result.latency = summarize_sorted(sorted);

  const double per_s = result.duration_s > 0 ? 1.0 / result.duration_s : 0.0;
  result.throughput.queries_per_s = static_cast<double>(result.queries) * per_s;
  result.throughput.samples_per_s = static_cast<double>(result.samples) * per_s;
  result.throughput.target_qps = s.kind == ScenarioKind::kServer ? s.target_qps : std::nullopt;

  if (s.kind == ScenarioKind::kOffline) {
    result.headline_metric = "samples_per_s";
    result.headline_value = result.throughput.samples_per_s;
    result.throughput.queries_per_s = result.throughput.samples_per_s;  // one query per sample
    return result;
  }

  const bool p90 = s.kind == ScenarioKind::kSingleStream;
  const double quantile = p90 ? 0.90 : 0.99;
  result.headline_metric = p90 ? "p90_ms" : "p99_ms";
  result.headline_value = p90 ? result.latency.p90 : result.latency.p99;
  result.early_stopping_ms = early_stopping_estimate(sorted, quantile);
  // As in LoadGen, stream results need an estimate; the server is judged by its bound instead.
  if (!result.early_stopping_ms && s.kind != ScenarioKind::kServer) {
    result.valid = false;
    result.invalid_reasons.push_back(fmt::format(
        "{} queries are too few for an early-stopping estimate of p{} (at least {} needed)",
        result.queries, p90 ? 90 : 99, early_stopping_min_queries(quantile)));
  }

  if (s.kind == ScenarioKind::kServer && s.latency_bound_ms && result.queries > 0) {
    const double bound = *s.latency_bound_ms;
    result.met_latency_bound = result.latency.p99 <= bound;
    if (!*result.met_latency_bound) {
      result.valid = false;
      result.invalid_reasons.push_back(fmt::format("p99 latency {} exceeds the bound of {}",
                                                   format_ms(result.latency.p99),
                                                   format_ms(bound)));
    } else {
      const auto over = static_cast<std::uint64_t>(
          sorted.end() - std::upper_bound(sorted.begin(), sorted.end(), bound));
      if (!early_stopping_bound_met(result.queries, over, quantile)) {
        result.valid = false;
        result.invalid_reasons.push_back(fmt::format(
            "{} queries with {} over the {} bound do not show p99 within it at 99% confidence "
            "(early stopping); run more queries",
            result.queries, over, format_ms(bound)));
      }
    }
  }
  return result;
}

void fill_record(const ScenarioSettings& settings, const ScenarioResult& result,
                 results::Record& record) {
  std::string inputs = std::move(record.scenario.inputs);
  record.scenario = to_record_settings(settings);
  record.scenario.inputs = std::move(inputs);
  record.timings.latency = result.latency;
  record.timings.headline_metric = result.headline_metric;
  record.timings.headline_value = result.headline_value;
  record.timings.early_stopping_ms = result.early_stopping_ms;
  record.timings.duration_s = result.duration_s;
  record.timings.met_latency_bound = result.met_latency_bound;
  record.timings.latency_source = result.latency_source;
  record.timings.target_latency = result.target_latency;
  record.timings.round_trip = result.round_trip;
  record.timings.transport_overhead = result.transport_overhead;
  record.throughput = result.throughput;
  record.cpu = result.resources.cpu;
  record.energy = result.resources.energy;
  record.memory.peak_rss_bytes = result.resources.peak_rss_bytes;
  if (!result.valid) record.valid = false;
  record.invalid_reasons.insert(record.invalid_reasons.end(), result.invalid_reasons.begin(),
                                result.invalid_reasons.end());
  record.latencies_ms = result.latencies_ms;
}

}  // namespace edgebench::measure
