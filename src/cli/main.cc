#include <cstdio>
#include <exception>

#include "commands.h"
#include "edgebench/kernels/fast.h"

int main(int argc, char** argv) {
  edgebench::kernels::use_passive_openmp_waits(argv);
  // Exceptions are programming errors; they stop here with a message, never a core dump.
  try {
    return edgebench::cli::main_entry(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "edgebench: internal error: %s\n", e.what());
    return 1;
  }
}
