#!/usr/bin/env bash
# Exit 0 if $CC (default clang-14, then clang) can link a libFuzzer harness
# with ASan, UBSan and OpenMP (clang, its runtime libclang-rt-14-dev and
# libomp-14-dev);
# prints the compiler found. Exit 1 otherwise.
set -u
for cc in ${CC_FUZZ:-clang-14 clang}; do
  command -v "$cc" >/dev/null 2>&1 || continue
  tmp=$(mktemp -d)
  printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' > "$tmp/h.c"
  if "$cc" -fopenmp -fsanitize=fuzzer,address,undefined "$tmp/h.c" -o "$tmp/h" >/dev/null 2>&1; then
    rm -rf "$tmp"
    echo "$cc"
    exit 0
  fi
  rm -rf "$tmp"
done
exit 1
