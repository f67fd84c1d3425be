#!/usr/bin/env bash
# Builds the release library, then compiles the C example and the C tests against the committed
# header, linked once with libinkjot.so and once with libinkjot.a, and runs them under valgrind
# (memcheck: no errors, no leaks) with the tiny test model and, when it exists, the shipped model.
#
# Usage: ffi/run_tests.sh        (from anywhere; uses $CARGO_TARGET_DIR or ./target)
# Set INKJOT_NO_VALGRIND=1 to run the binaries directly (faster, no leak check).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
LIB_DIR=$TARGET_DIR/release
OUT=$TARGET_DIR/ffi-tests
mkdir -p "$OUT"

echo "== cargo build --release --lib"
cargo build --release --lib

if [ "${CI:-}" = true ]; then
  echo "== the committed header is the generated one (build.rs writes it to OUT_DIR)"
  cargo test --release --test header
fi

echo "== the header compiles as C99 and as C++"
gcc -std=c99 -Wall -Wextra -Werror -pedantic -fsyntax-only -x c include/inkjot.h
g++ -std=c++11 -Wall -Wextra -Werror -fsyntax-only -x c++ include/inkjot.h

CFLAGS=(-std=c11 -Wall -Wextra -Werror -pedantic -g -O1 -Iinclude)
SHARED=(-L"$LIB_DIR" -linkjot -Wl,-rpath,"$LIB_DIR" -lm -lpthread)
# The static library needs the system libraries Rust's std uses.
STATIC=("$LIB_DIR/libinkjot.a" -lpthread -ldl -lm -lrt -lgcc_s)

echo "== compile (shared and static)"
for name in examples/recognize tests/test_api tests/test_threads; do
  base=$(basename "$name")
  gcc "${CFLAGS[@]}" "ffi/$name.c" -o "$OUT/$base-shared" "${SHARED[@]}"
  gcc "${CFLAGS[@]}" "ffi/$name.c" -o "$OUT/$base-static" "${STATIC[@]}"
done
# The shared build really uses the .so, the static one does not. ldd's output is captured first:
# piped into `grep -q`, ldd can die of SIGPIPE once grep has its match, and pipefail fails the run.
shared_deps=$(ldd "$OUT/test_api-shared")
static_deps=$(ldd "$OUT/test_api-static")
if ! grep -q libinkjot.so <<<"$shared_deps"; then
  echo "test_api-shared does not load libinkjot.so:" >&2
  echo "$shared_deps" >&2
  exit 1
fi
if grep -q libinkjot.so <<<"$static_deps"; then
  echo "test_api-static loads libinkjot.so, it should be linked statically:" >&2
  echo "$static_deps" >&2
  exit 1
fi

if [ "${INKJOT_NO_VALGRIND:-}" = 1 ]; then
  RUN=()
else
  command -v valgrind >/dev/null || { echo "valgrind is missing (apt-get install valgrind)" >&2; exit 1; }
  RUN=(valgrind --quiet --error-exitcode=1 --leak-check=full
       --errors-for-leak-kinds=definite,indirect,possible
       --show-leak-kinds=definite,indirect,possible)
fi

INKS=ffi/testdata/unipen_sample.txt
MODELS=(tests/fixtures/tiny-model.safetensors)
if [ -f models/recognizer-int8.safetensors ]; then
  MODELS+=(models/recognizer-int8.safetensors)
else
  echo "(models/recognizer-int8.safetensors is missing: testing with the tiny model only)"
fi

# A model directory as apps lay it out: the model and the English language pack beside it.
TINY_DIR=$OUT/tiny-model-dir
rm -rf "$TINY_DIR"
mkdir -p "$TINY_DIR"
cp tests/fixtures/tiny-model.safetensors "$TINY_DIR/recognizer-int8.safetensors"
ln -s "$ROOT/models/en" "$TINY_DIR/en"

for model in "${MODELS[@]}"; do
  case $model in
    tests/fixtures/*) model_dir=$TINY_DIR ;;
    *) model_dir=$(dirname "$model") ;;
  esac
  for kind in shared static; do
    echo "== $model, $kind library"
    "${RUN[@]}" "$OUT/recognize-$kind" "$model" "$INKS" 3
    "${RUN[@]}" "$OUT/recognize-$kind" "$model_dir" "$INKS" 3 en
    INKJOT_STREAM=1 "${RUN[@]}" "$OUT/recognize-$kind" "$model" "$INKS" 1 >/dev/null
    "${RUN[@]}" "$OUT/test_api-$kind" "$model" "$INKS" "$model_dir"
    "${RUN[@]}" "$OUT/test_threads-$kind" "$model" "$INKS" 4 2
  done
done
# Without valgrind's serialization: more threads, more rounds.
"$OUT/test_threads-shared" "${MODELS[0]}" "$INKS" 16 20
echo "== C tests passed"
