#!/usr/bin/env bash
# Cooperative search (docs/coop.md): the success-vs-bits table of the
# schemes cogmap can run, beside the paper's headline figures (ssm-pc.md
# §10.1; the paper's code is not released, so its numbers are the peer).
# Usage: bench/coop.sh [path/to/cogmap]   (EPISODES=N, default 500; THREADS, default 2)
set -euo pipefail
cogmap=${1:-build/cogmap}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$cogmap" bench coop --schemes broadcast,none,oracle --episodes "${EPISODES:-500}" \
    --threads "${THREADS:-2}" --quiet --no-gif --out "$out"
echo "paper (ssm-pc.md §10.1): learned 0.735 at 128 bits, 0.644 at 4; broadcast 0.676 at 128, 0.286 at 4"
awk -F, '$1 == "broadcast" && ($2 == 4 || $2 == 128) {
    p = $2 == 4 ? 0.286 : 0.676
    printf "coop: broadcast at %d bits: cogmap %.3f / paper %.3f = %.2fx\n", $2, $4, p, $4 / p }' "$out/table.csv"
