#!/usr/bin/env bash
# The shared library's ABI: it exports the public API (every CM_API
# declaration of include/cogmap/, all named cm_*) and nothing else: no
# engine internals, no helper of another name.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/support/cli_check.sh"
lib=$(dirname "$cogmap")/libcogmap.so
command -v nm >/dev/null || { echo "no nm: skipped"; exit 77; }
[ -f "$lib" ] || { echo "FAIL: no $lib"; exit 1; }
# (Under AddressSanitizer each exported variable also gets an __odr_asan.<name> indicator.)
nm -D --defined-only "$lib" | awk '{print $3}' | sed 's/^__odr_asan\.//' | sort -u > "$tmp/exported"
others=$(grep -v '^cm_' "$tmp/exported")
[ -z "$others" ] || { echo "FAIL: exported besides cm_*:"; echo "$others" | head; fail=1; }
# Internal functions stay inside (the engine's small GEMM, the run layer's helpers).
for sym in cm_small_gemm cm_colsum_add run_path_eval run_activity_positions smp_cell_backward; do
    ! grep -qx "$sym" "$tmp/exported" || { echo "FAIL: internal $sym exported"; fail=1; }
done
# Every public declaration is there.
src=${COGMAP_SOURCE_DIR:?}
grep -ho '^CM_API[^(]*\bcm_[A-Za-z0-9_]*\s*(' "$src"/include/cogmap/*.h |
    sed -E 's/.*\b(cm_[A-Za-z0-9_]*)\s*\($/\1/' | sort -u > "$tmp/declared"
missing=$(comm -23 "$tmp/declared" "$tmp/exported")
[ -z "$missing" ] || { echo "FAIL: declared but not exported:"; echo "$missing" | head; fail=1; }
[ "$(wc -l < "$tmp/declared")" -gt 400 ] || { echo "FAIL: too few public declarations found"; fail=1; }
echo "ok: $(wc -l < "$tmp/exported") symbols exported, all cm_*"
finish cli_abi
