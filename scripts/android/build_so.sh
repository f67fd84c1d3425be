#!/usr/bin/env bash
# Links the Android shared libraries without the NDK and checks them: libinkjot.so (the C ABI)
# and the JNI bridge's libinkjot_jni.so (android-demo/bridge), for each Android triple given.
#
#   scripts/android/build_so.sh aarch64-linux-android x86_64-linux-android
#
# Needs: rustup targets for the triples, Debian's clang + lld + llvm (llvm-readelf, llvm-strip).
# How: a stub sysroot per triple in target/android-sysroot/<triple>/usr/lib with crtbegin_so.o
# (defines only __dso_handle, which the standard library's thread-local destructors pass to
# __cxa_thread_atexit_impl), libunwind.a (the `unwinding` crate, scripts/android/unwind), and
# libc/libm/libdl/liblog stubs that scripts/android/stub-clang.sh (rustc's linker here) makes from
# the undefined symbols of each link.
#
# Output: target/android/<abi>/libinkjot.so, libinkjot_jni.so (unstripped; the checks print the
# stripped sizes). Checks, failing the script: exported inkjot_* = the functions in
# include/inkjot.h; exported Java_inkjot_* = the `native` methods of android-demo/java; NEEDED
# only libc.so, libm.so, libdl.so, liblog.so; every LOAD segment aligned to 16 KB.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
API=21 # Rust's minimum Android API level

abi_of() {
  case $1 in
    aarch64-linux-android) echo arm64-v8a ;;
    armv7-linux-androideabi) echo armeabi-v7a ;;
    x86_64-linux-android) echo x86_64 ;;
    i686-linux-android) echo x86 ;;
    *) echo "unknown Android triple $1" >&2; exit 2 ;;
  esac
}

# What must be exported: the header's functions and the Java classes' native methods.
want_c=$(grep -oE '\binkjot_[a-z0-9_]+\(' include/inkjot.h | tr -d '(' | sort -u)
want_java=$(for f in android-demo/java/inkjot/*.java; do
  class=$(basename "$f" .java)
  grep -oE '\bnative\s+[A-Za-z0-9_<>.]+(\[\])*\s+[A-Za-z0-9_]+\(' "$f" | awk '{ print $3 }' | tr -d '(' |
    sed "s/^/Java_inkjot_${class}_/"
done | sort -u)

check() {
  local so=$1 prefix=$2 want=$3
  local exported needed aligned
  exported=$(llvm-readelf --dyn-syms -W "$so" | awk '$7 != "UND" && $5 == "GLOBAL" && $4 == "FUNC" { print $8 }' | sort -u)
  if ! diff <(grep "^$prefix" <<< "$exported") <(echo "$want") > /dev/null; then
    echo "FAIL $so: exported $prefix* differ from the expected list:" >&2
    diff <(grep "^$prefix" <<< "$exported") <(echo "$want") >&2 || true
    exit 1
  fi
  needed=$(llvm-readelf -d "$so" | awk '/NEEDED/ { gsub(/[\[\]]/, "", $NF); print $NF }' | sort | tr '\n' ' ')
  for n in $needed; do
    case $n in libc.so | libm.so | libdl.so | liblog.so) ;; *) echo "FAIL $so: NEEDED $n" >&2; exit 1 ;; esac
  done
  aligned=$(llvm-readelf -l -W "$so" | awk '$1 == "LOAD" { print $NF }' | sort -u | tr '\n' ' ')
  [ "$aligned" = "0x4000 " ] || { echo "FAIL $so: LOAD alignment $aligned (want 0x4000)" >&2; exit 1; }
  llvm-strip -o "$so.stripped" "$so"
  printf '%s: %d %s exported, other exported functions: %d, NEEDED %s, LOAD align 16 KB, stripped %d bytes\n' \
    "$so" "$(grep -c "^$prefix" <<< "$exported")" "$prefix*" \
    "$(grep -vc "^$prefix" <<< "$exported" || true)" "$needed" "$(stat -c %s "$so.stripped")"
  rm -f "$so.stripped"
}

for triple in "$@"; do
  abi=$(abi_of "$triple")
  sysroot=$CARGO_TARGET_DIR/android-sysroot/$triple
  lib=$sysroot/usr/lib
  rm -rf "$sysroot"
  mkdir -p "$lib" "$CARGO_TARGET_DIR/android/$abi"

  echo "== $triple: stub sysroot (crtbegin_so.o, libunwind.a)"
  printf 'void *__dso_handle __attribute__((visibility("hidden"))) = &__dso_handle;\n' > "$lib/crtbegin_so.c"
  clang --target="$triple$API" -fPIC -O2 -c "$lib/crtbegin_so.c" -o "$lib/crtbegin_so.o"
  cargo build --release --quiet --manifest-path scripts/android/unwind/Cargo.toml --target "$triple" \
    --target-dir "$CARGO_TARGET_DIR/android-unwind"
  cp "$CARGO_TARGET_DIR/android-unwind/$triple/release/libunwind.a" "$lib/"

  upper=$(echo "$triple" | tr 'a-z-' 'A-Z_')
  export "CARGO_TARGET_${upper}_LINKER=$ROOT/scripts/android/stub-clang.sh"
  export INKJOT_ANDROID_CLANG_TARGET=$triple$API INKJOT_ANDROID_SYSROOT=$sysroot

  echo "== $triple: libinkjot.so"
  cargo rustc --release --quiet --lib --no-default-features --target "$triple" --crate-type cdylib
  cp "$CARGO_TARGET_DIR/$triple/release/libinkjot.so" "$CARGO_TARGET_DIR/android/$abi/"

  echo "== $triple: libinkjot_jni.so"
  cargo rustc --release --quiet --lib --manifest-path android-demo/bridge/Cargo.toml --target "$triple" --crate-type cdylib
  cp "$CARGO_TARGET_DIR/$triple/release/libinkjot_jni.so" "$CARGO_TARGET_DIR/android/$abi/"

  echo "== $triple: checks"
  check "$CARGO_TARGET_DIR/android/$abi/libinkjot.so" inkjot_ "$want_c"
  check "$CARGO_TARGET_DIR/android/$abi/libinkjot_jni.so" Java_inkjot_ "$want_java"
  echo "imports from the stubs: $(cat "$lib"/lib{c,m,dl,log}.syms | wc -l) symbols ($lib/*.syms)"
done
