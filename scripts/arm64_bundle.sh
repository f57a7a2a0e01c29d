#!/usr/bin/env bash
# The bundle a user copies to an arm64 board: one tarball with edgebench-target and edgebench
# (cross-built, preset arm64), the shared libraries they need that a stock Debian 12 / Raspberry
# Pi OS (bookworm) arm64 system lacks, and a start script for each.
#   bash scripts/arm64_bundle.sh [OUT.tar.gz]   (default: build/arm64/edgebench-arm64.tar.gz)
# On the board:
#   tar xzf edgebench-arm64.tar.gz && edgebench-arm64/edgebench-target --listen 0.0.0.0:7878 \
#       --token-file token.txt
# Left out, because every such system has them: the C library, the C++ and GCC runtime and
# zlib. The binaries need glibc 2.36 and GCC 12's libstdc++ (Debian 12, Raspberry Pi OS
# bookworm, Ubuntu 23.04 or later); an older board needs a build on the board itself.
# Dynamic rather than static: Debian ships XNNPACK, pthreadpool and cpuinfo as shared
# libraries only.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-build/arm64/edgebench-arm64.tar.gz}"
sysroot=build/arm64-sysroot
for f in build/arm64/edgebench-target build/arm64/edgebench; do
  [ -x "$f" ] || { echo "arm64_bundle: $f missing (bash scripts/setup.sh arm64)" >&2; exit 2; }
done
readelf=aarch64-linux-gnu-readelf
command -v "$readelf" > /dev/null || readelf=readelf

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
root="$stage/edgebench-arm64"
mkdir -p "$root/bin" "$root/lib"
cp build/arm64/edgebench-target build/arm64/edgebench "$root/bin/"

# The libraries the system has (see above), by soname prefix.
provided() {
  case "$1" in
    ld-linux-*|libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*) return 0 ;;
    libstdc++.so.*|libgcc_s.so.*|libz.so.*) return 0 ;;
  esac
  return 1
}
needed() { "$readelf" -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
queue=("$root/bin/edgebench-target" "$root/bin/edgebench")
while ((${#queue[@]})); do
  file="${queue[0]}"
  queue=("${queue[@]:1}")
  for lib in $(needed "$file"); do
    provided "$lib" && continue
    [ -e "$root/lib/$lib" ] && continue
    found=""
    for dir in "$sysroot/usr/lib/aarch64-linux-gnu" "$sysroot/lib/aarch64-linux-gnu"; do
      [ -e "$dir/$lib" ] && found="$dir/$lib" && break
    done
    [ -n "$found" ] || { echo "arm64_bundle: $lib (needed by $(basename "$file")) not in $sysroot" >&2; exit 1; }
    cp -L "$found" "$root/lib/$lib"
    queue+=("$root/lib/$lib")
  done
done

for tool in edgebench-target edgebench; do
  cat > "$root/$tool" << EOF
#!/bin/sh
# Runs the bundled $tool with the bundled libraries.
here="\$(cd "\$(dirname "\$0")" && pwd)"
LD_LIBRARY_PATH="\$here/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" exec "\$here/bin/$tool" "\$@"
EOF
  chmod +x "$root/$tool"
done
mkdir -p "$(dirname "$out")"
tar -C "$stage" -czf "$out" edgebench-arm64
echo "arm64 bundle: $out ($(du -h "$out" | cut -f1); bin: edgebench-target, edgebench;" \
  "lib: $(ls "$root/lib" | tr '\n' ' '))"
