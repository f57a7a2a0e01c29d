// edgebench analyze (placeholder until written below)
#include "common.h"
#include "optimize_commands.h"
namespace edgebench::cli {
int run_analyze(const AnalyzeOptions&) { return report_error(unsupported("analyze: not yet")); }
}  // namespace edgebench::cli
