#!/usr/bin/env bash
# Lays out what a keyboard team drops into its apps, ready to zip (target/mobile-package/):
#
#   android/jniLibs/<abi>/libinkjot_jni.so   stripped, one per Android ABI built
#   android/libs/inkjot.jar                  the Java API (android-demo/java, Java 8 bytecode)
#   android/assets/recognizer-int8.safetensors, android/assets/<lang>/{lm.fst,decoder.json}
#   ios/lib/libinkjot.a                      aarch64-apple-ios (device) static library
#   ios/include/inkjot.h, ios/include/module.modulemap
#
# The libraries come from earlier builds: scripts/android/build_so.sh <triples> (jniLibs) and
# `cargo rustc --release --lib --no-default-features --target aarch64-apple-ios
# --crate-type staticlib` (as .ci/mobile.sh does); with --build this script runs both first.
# LANGS (default "en") picks the language packs copied as assets.
#
#   scripts/package_mobile.sh [--build]
#   (cd target/mobile-package && zip -r ../inkjot-mobile.zip .)
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=${CARGO_TARGET_DIR:-$PWD/target}
OUT=$TARGET/mobile-package
LANGS=${LANGS:-en}
ANDROID=(aarch64-linux-android x86_64-linux-android)

if [ "${1:-}" = --build ]; then
  bash scripts/android/build_so.sh "${ANDROID[@]}"
  cargo rustc --release --lib --no-default-features --target aarch64-apple-ios --crate-type staticlib
fi

rm -rf "$OUT"
mkdir -p "$OUT/android/libs" "$OUT/android/assets" "$OUT/ios/lib" "$OUT/ios/include"

found=0
for abi_dir in "$TARGET"/android/*/; do
  [ -f "$abi_dir/libinkjot_jni.so" ] || continue
  abi=$(basename "$abi_dir")
  mkdir -p "$OUT/android/jniLibs/$abi"
  llvm-strip -o "$OUT/android/jniLibs/$abi/libinkjot_jni.so" "$abi_dir/libinkjot_jni.so"
  found=$((found + 1))
done
[ "$found" -gt 0 ] || { echo "no $TARGET/android/<abi>/libinkjot_jni.so: run scripts/android/build_so.sh first (or --build)" >&2; exit 1; }

classes=$(mktemp -d)
trap 'rm -rf "$classes"' EXIT
javac --release 8 -Xlint:all,-options -Werror -d "$classes" android-demo/java/inkjot/*.java
jar --create --file "$OUT/android/libs/inkjot.jar" -C "$classes" .

cp models/recognizer-int8.safetensors "$OUT/android/assets/"
for lang in $LANGS; do
  mkdir -p "$OUT/android/assets/$lang"
  cp "models/$lang/lm.fst" "models/$lang/decoder.json" "$OUT/android/assets/$lang/"
  if [ -f "models/$lang/LICENSE" ]; then cp "models/$lang/LICENSE" "$OUT/android/assets/$lang/"; fi
done

ios=$TARGET/aarch64-apple-ios/release/libinkjot.a
[ -f "$ios" ] || { echo "no $ios: build it first (or --build)" >&2; exit 1; }
cp "$ios" "$OUT/ios/lib/"
cp include/inkjot.h include/module.modulemap "$OUT/ios/include/"

(cd "$OUT" && find . -type f -printf '%8s  %p\n' | sort -k2)
