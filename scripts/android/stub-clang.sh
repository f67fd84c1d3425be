#!/usr/bin/env bash
# rustc's linker for Android shared libraries without the NDK (set by scripts/android/build_so.sh
# as CARGO_TARGET_<TRIPLE>_LINKER). Debian's clang + lld link against a stub sysroot that
# build_so.sh prepared ($INKJOT_ANDROID_SYSROOT/usr/lib: crtbegin_so.o, libunwind.a); the stub
# libc/libm/libdl/liblog are made here, from the link's own undefined symbols:
#
#   1. probe: link with undefined symbols allowed, read the undefined dynamic symbols;
#   2. stubs: one assembly stub per bionic library holding those symbols, with bionic's SONAMEs
#      (libc.so, libm.so, libdl.so, liblog.so), so NEEDED names what the device has;
#   3. link for real: every symbol must resolve (-z defs), 16 KB pages (Android 15).
#
# Environment: INKJOT_ANDROID_CLANG_TARGET (e.g. aarch64-linux-android21),
# INKJOT_ANDROID_SYSROOT (a directory this script may write stubs into). The name must end in
# -clang: rustc picks the argument style (cc, not ld) from the linker's file name.
set -euo pipefail
: "${INKJOT_ANDROID_CLANG_TARGET:?}" "${INKJOT_ANDROID_SYSROOT:?}"
lib=$INKJOT_ANDROID_SYSROOT/usr/lib
mkdir -p "$lib"

# rustc passes `-o OUT`; the probe writes elsewhere.
args=("$@")
out=
for ((i = 0; i < ${#args[@]}; i++)); do
  if [ "${args[i]}" = -o ]; then out=${args[i + 1]}; fi
done
[ -n "$out" ] || { echo "stub-clang.sh: no -o in the link line" >&2; exit 1; }

flags=(--target="$INKJOT_ANDROID_CLANG_TARGET" -fuse-ld=lld -nostdlib -L "$lib"
  "$lib/crtbegin_so.o"
  -Wl,-z,max-page-size=16384 -Wl,-z,relro -Wl,-z,now -Wl,-z,noexecstack
  -Wl,--hash-style=both -Wl,--build-id=sha1 -Wl,--eh-frame-hdr)

# The stub of library $1 (SONAME $1.so) defining the symbols listed in file $2.
make_stub() {
  local name=$1 list=$2 src=$lib/$1.stub.s
  {
    echo '.text'
    while read -r sym; do
      case $sym in
        # Data, not functions (bionic's stdio streams, environment, stack guard).
        environ | __environ | __sF | __stack_chk_guard | __progname | stdin | stdout | stderr)
          printf '.data\n.globl %s\n.type %s,%%object\n.size %s,16\n%s:\n.zero 16\n.text\n' \
            "$sym" "$sym" "$sym" "$sym" ;;
        *) printf '.globl %s\n.type %s,%%function\n%s:\n' "$sym" "$sym" "$sym" ;;
      esac
    done < "$list"
  } > "$src"
  clang --target="$INKJOT_ANDROID_CLANG_TARGET" -c "$src" -o "$lib/$name.stub.o"
  clang --target="$INKJOT_ANDROID_CLANG_TARGET" -fuse-ld=lld -nostdlib -shared \
    -Wl,-soname,"$name.so" "$lib/$name.stub.o" -o "$lib/$name.so"
}

# 1. Probe, against empty stubs (only needed so that -lc etc. resolve).
for l in libc libm libdl liblog; do
  [ -f "$lib/$l.so" ] || { : > "$lib/$l.syms"; make_stub "$l" "$lib/$l.syms"; }
done
probe=$out.probe
probe_args=("${args[@]}")
for ((i = 0; i < ${#probe_args[@]}; i++)); do
  if [ "${probe_args[i]}" = -o ]; then probe_args[i + 1]=$probe; fi
done
clang "${flags[@]}" "${probe_args[@]}" -Wl,--unresolved-symbols=ignore-all
undefined=$(llvm-readelf --dyn-syms -W "$probe" | awk '$7 == "UND" && $8 != "" { sub(/@.*/, "", $8); print $8 }' | sort -u)
rm -f "$probe"

# 2. Stubs: the union with what earlier links needed (libinkjot.so and libinkjot_jni.so share
# one sysroot). libm: the C math functions (names glibc's libm also exports); libdl: the dl*
# loader calls; liblog: Android's log; everything else: libc. A symbol in the "wrong" stub
# still loads on a device: Android's linker searches every NEEDED library.
host_libm=$(llvm-readelf --dyn-syms -W "$(gcc -print-file-name=libm.so.6)" |
  awk '$7 != "UND" && $4 == "FUNC" { sub(/@.*/, "", $8); print $8 }' | sort -u)
for l in libc libm libdl liblog; do touch "$lib/$l.syms"; done
{
  while read -r sym; do
    [ -n "$sym" ] || continue
    case $sym in
      __android_log_*) echo "liblog $sym" ;;
      dlopen | dlclose | dlsym | dlerror | dladdr | dlvsym | android_dlopen_ext) echo "libdl $sym" ;;
      *) if grep -qxF "$sym" <<< "$host_libm"; then echo "libm $sym"; else echo "libc $sym"; fi ;;
    esac
  done <<< "$undefined"
} > "$lib/new.syms"
for l in libc libm libdl liblog; do
  awk -v l="$l" '$1 == l { print $2 }' "$lib/new.syms" | cat - "$lib/$l.syms" | sort -u > "$lib/$l.syms.new"
  mv "$lib/$l.syms.new" "$lib/$l.syms"
  make_stub "$l" "$lib/$l.syms"
done
rm -f "$lib/new.syms"

# 3. The real link: nothing may stay undefined.
exec clang "${flags[@]}" "$@" -Wl,-z,defs
