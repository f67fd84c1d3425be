#!/usr/bin/env bash
# CI step for ARM and the mobile targets (called by .ci/run; runs alone too:
# `time bash .ci/mobile.sh`). Installs what it needs (Debian packages, rustup targets).
#
# - aarch64-unknown-linux-gnu: clippy; the tests under qemu-user with `-cpu max` (NEON + sdot),
#   the kernel tests again with `-cpu cortex-a53` (NEON without dotprod); the int8 CLI output
#   byte-identical to x86-64's, with and without the LM, on both CPU models;
# - armv7-unknown-linux-gnueabihf: the same on the portable kernels;
# - the static library for aarch64-linux-android, armv7-linux-androideabi, x86_64-linux-android
#   and aarch64-apple-ios;
# - Android libinkjot.so and libinkjot_jni.so for aarch64 and x86_64, linked without the NDK
#   and checked (scripts/android/build_so.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
start=$(date +%s)
step() { echo; echo "== mobile: $* ($(($(date +%s) - start))s)"; }

need_apt=()
command -v aarch64-linux-gnu-gcc > /dev/null || need_apt+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
command -v arm-linux-gnueabihf-gcc > /dev/null || need_apt+=(gcc-arm-linux-gnueabihf libc6-dev-armhf-cross)
command -v qemu-aarch64 > /dev/null || need_apt+=(qemu-user)
command -v clang > /dev/null || need_apt+=(clang)
command -v ld.lld > /dev/null || need_apt+=(lld)
command -v llvm-readelf > /dev/null || need_apt+=(llvm)
if [ ${#need_apt[@]} -gt 0 ]; then
  step "apt-get install ${need_apt[*]}"
  apt-get update -qq && apt-get install -y -qq "${need_apt[@]}"
fi

LINUX_ARM=(aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf)
MOBILE=(aarch64-linux-android armv7-linux-androideabi x86_64-linux-android aarch64-apple-ios)
step "rustup targets"
rustup target add "${LINUX_ARM[@]}" "${MOBILE[@]}" > /dev/null

# rustc 1.95 overflowed its stack compiling ciborium (a criterion dependency) for aarch64.
export RUST_MIN_STACK=16777216
# tests/robustness.rs bounds the time per hostile ink for native runs; emulation is slower.
export INKJOT_TIME_BOUND_SCALE=20
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_ARMV7_UNKNOWN_LINUX_GNUEABIHF_LINKER=arm-linux-gnueabihf-gcc
export CARGO_TARGET_ARMV7_UNKNOWN_LINUX_GNUEABIHF_RUNNER="qemu-arm -L /usr/arm-linux-gnueabihf"
aarch64_cpu() {
  export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu -cpu $1"
}

# Test targets that make sense on ARM. Left to the x86-64 CI: tests that start other processes
# (tests/serve.rs and tests/install.rs run the CLI, one ffi test re-runs its own binary), which
# qemu-user cannot follow without binfmt_misc, and the C, JNI and browser tests.
# tests/robustness.rs (work bounds of the fitter, platform-independent) stays on x86-64: under
# qemu it took 130 s on aarch64 and 537 s on armv7, a third of the whole CI budget.
TESTS=(--lib --bins --test features --test ffi --test fuzz_regressions --test header
  --test ink_formats --test integrity --test model_parity --test session)
SKIP=(--skip ffi::tests::panic_messages_carry_no_backtrace)

FIXTURE=tests/fixtures/unipen_valid_sample.jsonl
out=target/mobile-ci
mkdir -p "$out"
step "x86-64 reference: int8 CLI output on the fixture"
cargo build --release --bin inkjot
target/release/inkjot recognize "$FIXTURE" > "$out/x86_64.lm.jsonl"
target/release/inkjot recognize --no-lm "$FIXTURE" > "$out/x86_64.nolm.jsonl"

# The int8 CLI output of $1 (a command prefix) must equal x86-64's byte for byte.
same_output() {
  local name=$1
  shift
  "$@" recognize "$FIXTURE" > "$out/$name.lm.jsonl"
  "$@" recognize --no-lm "$FIXTURE" > "$out/$name.nolm.jsonl"
  cmp "$out/x86_64.lm.jsonl" "$out/$name.lm.jsonl"
  cmp "$out/x86_64.nolm.jsonl" "$out/$name.nolm.jsonl"
  echo "$name: int8 CLI output identical to x86-64 ($(wc -l < "$out/$name.lm.jsonl") inks, with and without LM)"
}

t=aarch64-unknown-linux-gnu
step "$t: clippy"
cargo clippy --release --all-targets --target $t -- -D warnings
step "$t: tests under qemu -cpu max (NEON + sdot)"
aarch64_cpu max
INKJOT_EXPECT_KERNELS=neon+sdot cargo test --release --target $t "${TESTS[@]}" -- "${SKIP[@]}"
same_output aarch64-max qemu-aarch64 -L /usr/aarch64-linux-gnu -cpu max target/$t/release/inkjot
step "$t: kernel and model tests under qemu -cpu cortex-a53 (NEON, no dotprod)"
aarch64_cpu cortex-a53
INKJOT_EXPECT_KERNELS=neon cargo test --release --target $t --lib model::
same_output aarch64-a53 qemu-aarch64 -L /usr/aarch64-linux-gnu -cpu cortex-a53 target/$t/release/inkjot

t=armv7-unknown-linux-gnueabihf
step "$t: clippy"
cargo clippy --release --all-targets --target $t -- -D warnings
step "$t: tests under qemu (portable kernels)"
INKJOT_EXPECT_KERNELS=portable cargo test --release --target $t "${TESTS[@]}" -- "${SKIP[@]}"
same_output armv7 qemu-arm -L /usr/arm-linux-gnueabihf target/$t/release/inkjot

for t in "${MOBILE[@]}"; do
  step "$t: static library"
  cargo rustc --release --lib --no-default-features --target "$t" --crate-type staticlib
  ls -l "target/$t/release/libinkjot.a"
done

step "Android shared libraries without the NDK (aarch64, x86_64)"
bash scripts/android/build_so.sh aarch64-linux-android x86_64-linux-android

step "mobile targets passed"
