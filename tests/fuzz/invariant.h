// How a fuzz target reports a broken invariant: a message, then abort(), which libFuzzer records
// as a finding with the input that caused it.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace edgebench::fuzz {

[[noreturn]] inline void broken(const char* what) {
  std::fprintf(stderr, "invariant broken: %s\n", what);
  std::abort();
}

}  // namespace edgebench::fuzz
