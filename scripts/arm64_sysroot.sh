#!/usr/bin/env bash
# Assembles the AArch64 (arm64) libraries edgebench links against into a sysroot folder, from
# Debian's arm64 packages, without installing them: Debian's libxnnpack-dev and
# libpthreadpool-dev cannot be installed for two architectures at once (they are not
# Multi-Arch: same), so the arm64 ones are downloaded and unpacked instead. The cross compiler
# (crossbuild-essential-arm64) brings its own C library for linking; the sysroot also holds the
# arm64 C and C++ runtime, so that qemu-aarch64-static -L SYSROOT runs the binaries.
#   bash scripts/arm64_sysroot.sh [SYSROOT]     (default: build/arm64-sysroot)
# Needs `dpkg --add-architecture arm64` and an apt-get update (scripts/setup.sh arm64 does both).
set -euo pipefail
cd "$(dirname "$0")/.."
sysroot="${1:-build/arm64-sysroot}"
packages=(
  libc6 libstdc++6 libgcc-s1
  libprotobuf-dev libprotobuf32 libprotobuf-lite32
  libonnx-dev libonnx1 libonnxifi
  libfmt-dev libfmt9
  zlib1g-dev zlib1g
  libpng-dev libpng16-16
  libjpeg62-turbo-dev libjpeg62-turbo
  libssl-dev libssl3
  libxnnpack-dev libxnnpack0 libpthreadpool-dev libpthreadpool0 libcpuinfo0
  libsqlite3-dev libsqlite3-0
)
# Header-only packages (architecture "all") that the host may lack in the sysroot's view.
headers=(nlohmann-json3-dev libcli11-dev)
debs="$sysroot.debs"
mkdir -p "$debs"
stamp="$sysroot/.packages"
want="${packages[*]} ${headers[*]}"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "arm64 sysroot: $sysroot is up to date"
  exit 0
fi
rm -rf "$sysroot"
mkdir -p "$sysroot"
(cd "$debs" && apt-get download -qq $(printf '%s:arm64 ' "${packages[@]}") "${headers[@]}")
for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$sysroot"; done
# Absolute symbolic links inside the packages (lib*.so -> /usr/lib/...) must point inside.
find "$sysroot" -type l -lname '/*' | while read -r link; do
  ln -sfn "$sysroot$(readlink "$link")" "$link"
done
echo "$want" > "$stamp"
echo "arm64 sysroot: ${#packages[@]} packages and ${#headers[@]} header packages in $sysroot"
