# Cross-compiling for AArch64 Linux (arm64 boards) with Debian's crossbuild-essential-arm64,
# against the arm64 libraries that scripts/arm64_sysroot.sh unpacks into EDGEBENCH_ARM64_SYSROOT
# (default: build/arm64-sysroot). Host programs (protoc) come from the build machine.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

if(NOT EDGEBENCH_ARM64_SYSROOT)
  get_filename_component(EDGEBENCH_ARM64_SYSROOT "${CMAKE_CURRENT_LIST_DIR}/../../build/arm64-sysroot"
                         ABSOLUTE)
endif()
set(EDGEBENCH_ARM64_SYSROOT "${EDGEBENCH_ARM64_SYSROOT}" CACHE PATH "arm64 libraries (scripts/arm64_sysroot.sh)")
if(NOT EXISTS "${EDGEBENCH_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu")
  message(FATAL_ERROR "no arm64 sysroot at ${EDGEBENCH_ARM64_SYSROOT}: run bash scripts/setup.sh arm64")
endif()

# Libraries, headers and CMake packages from the sysroot (then the cross compiler's own);
# programs from the host.
set(CMAKE_FIND_ROOT_PATH "${EDGEBENCH_ARM64_SYSROOT}" /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# Debian's multiarch headers (openssl/opensslconf.h, ...) sit in an architecture folder.
set(CMAKE_C_FLAGS_INIT "-isystem ${EDGEBENCH_ARM64_SYSROOT}/usr/include/aarch64-linux-gnu")
set(CMAKE_CXX_FLAGS_INIT "-isystem ${EDGEBENCH_ARM64_SYSROOT}/usr/include/aarch64-linux-gnu")
# The sysroot's libraries need each other (libprotobuf needs libz, ...) at link time.
# (Debian 12 still puts some, zlib among them, under /lib.)
set(_eb_libdir "${EDGEBENCH_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu")
set(_eb_rootlibdir "${EDGEBENCH_ARM64_SYSROOT}/lib/aarch64-linux-gnu")
set(_eb_link "-Wl,-rpath-link,${_eb_libdir}:${_eb_rootlibdir} -L${_eb_libdir}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${_eb_link}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "${_eb_link}")
set(Protobuf_PROTOC_EXECUTABLE /usr/bin/protoc CACHE FILEPATH "the host's protoc")
# How the tests run the arm64 binaries on an x86 host.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64-static -L "${EDGEBENCH_ARM64_SYSROOT}")
