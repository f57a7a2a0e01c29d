#!/usr/bin/env bash
# Regenerates the shared protocol test vectors in this folder with the C++ encoder.
#   bash tests/remote/vectors/make_vectors.sh [BUILD_DIR]     (default: build/release)
# Both tests/remote/protocol_vectors_test.cc and tests/python/test_protocol_vectors.py decode
# every vector and re-encode it byte for byte; commit the result with the change that made it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
build="${1:-$repo/build/release}"
ninja -C "$build" write_protocol_vectors
rm -f "$here"/*.bin "$here"/manifest.json
"$build/write_protocol_vectors" "$here"
echo "wrote $(ls "$here"/*.bin | wc -l) vectors and manifest.json to $here"
