#!/usr/bin/env bash
# Compiles the BPF sources next to this script into CO-RE objects in $1 (run by Maven); more
# arguments go to clang (bench/kernel-parts: -DBENCH_STOP_AFTER=N).
set -euo pipefail
src=$(cd "$(dirname "$0")" && pwd)
out=$1
shift
mkdir -p "$out"
case $(uname -m) in
  x86_64) arch=x86 ;;
  aarch64) arch=arm64 ;;
  *) arch=$(uname -m) ;;
esac
multiarch=$(gcc -print-multiarch 2>/dev/null || echo "$(uname -m)-linux-gnu")
for c in "$src"/*.bpf.c; do
  clang -g -O2 -Wall -Werror -target bpf -mcpu=v3 -D__TARGET_ARCH_$arch \
    -I/usr/include/"$multiarch" -I"$src" "$@" -c "$c" -o "$out/$(basename "${c%.c}").o"
done
