#!/usr/bin/env bash
# Builds the JNI bridge for the host, compiles the Java API and its tests with javac, and runs
# them on the host JVM against the real native library: the tiny test model always, the shipped
# model when it exists, each also with the English language pack (models/en). Needs cargo, a JDK
# (javac, java 17) and nothing from the network beyond crates.io.
#
# Usage: android-demo/run_host_tests.sh   (uses $CARGO_TARGET_DIR or <repo>/target, which it
# shares with the main crate so that dependencies are built once)
set -euo pipefail
cd "$(dirname "$0")"
DEMO=$PWD
ROOT=$(cd .. && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
LIB_DIR=$CARGO_TARGET_DIR/release
OUT=$CARGO_TARGET_DIR/jni-host-tests

echo "== cargo build --release (JNI bridge)"
cargo build --release --manifest-path "$DEMO/bridge/Cargo.toml"
test -f "$LIB_DIR/libinkjot_jni.so"

echo "== javac"
rm -rf "$OUT/classes"
mkdir -p "$OUT/classes"
javac -Xlint:all -Werror -d "$OUT/classes" "$DEMO"/java/inkjot/*.java "$DEMO"/java-test/inkjot/*.java

MODELS=("$ROOT/tests/fixtures/tiny-model.safetensors")
if [ -f "$ROOT/models/recognizer-int8.safetensors" ]; then
  MODELS+=("$ROOT/models/recognizer-int8.safetensors")
else
  echo "(models/recognizer-int8.safetensors is missing: testing with the tiny model only)"
fi

echo "== java (host JVM, -Xcheck:jni)"
LOG=$OUT/java.log
java -Xcheck:jni -Djava.library.path="$LIB_DIR" -Dinkjot.pack="$ROOT/models/en" \
  -cp "$OUT/classes" inkjot.RecognizerTest \
  "$ROOT/ffi/testdata/unipen_sample.txt" "${MODELS[@]}" 2>&1 | tee "$LOG"
# -Xcheck:jni only warns; treat its warnings as failures.
if grep -q "^WARNING in native method" "$LOG"; then
  echo "JNI check warnings (see above)" >&2
  exit 1
fi
echo "== JNI host tests passed"
