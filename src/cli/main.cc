#include <cstdio>
#include <exception>

#include "commands.h"

int main(int argc, char** argv) {
  // Exceptions are programming errors; they stop here with a message, never a core dump.
  try {
    return edgebench::cli::main_entry(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "edgebench: internal error: %s\n", e.what());
    return 1;
  }
}
