#!/usr/bin/env bash
# The long fuzz campaign of docs/reliability.md: round after round, every
# target below GOAL executions in total runs for up to SLICE seconds (one at a
# time, niced: the machine may be shared), until every target reached GOAL.
#   nohup tests/fuzz/campaign.sh BUILD GOAL SLICE [TARGET...] > campaign.log 2>&1 &
# Uses and grows BUILD/fuzz-corpus/<target> (seeds: tests/fuzz/corpus); crashes
# go to BUILD/fuzz-artifacts/<target>/ and do not stop the other targets (a
# target that crashed is left out of later rounds until the sources' commit
# changes: fix it, commit, rebuild BUILD, rerun).
# Each run appends a line to BUILD/campaign/summary.txt: the commit of the
# sources, executions, wall and CPU seconds (user + system), executions per
# wall second,
# coverage (libFuzzer's cov: edges, ft: features), corpus, load, ok or the
# crash file. A target's total is the sum of its lines.
set -uo pipefail
build=${1:?usage: campaign.sh BUILD GOAL SLICE [TARGET...]}
goal=${2:?usage: campaign.sh BUILD GOAL SLICE [TARGET...]}
slice=${3:?usage: campaign.sh BUILD GOAL SLICE [TARGET...]}
shift 3
src=$(cd "$(dirname "$0")/../.." && pwd)
if [ $# -gt 0 ]; then targets=("$@"); else
  targets=(); for exe in "$build"/fuzz_*; do [ -x "$exe" ] && targets+=("${exe##*/fuzz_}"); done
fi
mkdir -p "$build/campaign"
summary=$build/campaign/summary.txt
touch "$summary"
total() { awk -v t="$1" '$2 == t { n += $4 } END { print n + 0 }' "$summary"; }
# 1 when the target's last run crashed on the sources of this commit (after a
# fix is committed the target runs again).
crashed() { awk -v t="$1" -v h="$2" '$2 == t { c = (/ crash: / && $3 == h) } END { print c + 0 }' "$summary"; }
while :; do
  ran=0
  for t in "${targets[@]}"; do
    done_so_far=$(total "$t")
    [ "$done_so_far" -ge "$goal" ] && continue
    commit=$(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown)
    [ "$(crashed "$t" "$commit")" -eq 1 ] && continue
    ran=1
    mkdir -p "$build/fuzz-corpus/$t" "$build/fuzz-artifacts/$t"
    log="$build/campaign/$t.log"
    start=$(date +%s)
    /usr/bin/time -o "$build/campaign/$t.cpu" -f '%U %S' nice -n 10 "$build/fuzz_$t" -runs=$((goal - done_so_far)) \
      -max_total_time="$slice" -timeout=60 -rss_limit_mb=2048 -malloc_limit_mb=256 -print_final_stats=1 \
      -artifact_prefix="$build/fuzz-artifacts/$t/" "$build/fuzz-corpus/$t" "$src/tests/fuzz/corpus/$t" > "$log" 2>&1
    rc=$?
    secs=$(( $(date +%s) - start ))
    cpu=$(awk '/^[0-9.]+ [0-9.]+$/ { printf "%d", $1 + $2 }' "$build/campaign/$t.cpu")
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    corp=$(grep -o 'corp: [0-9]*/[0-9a-zA-Z]*' "$log" | tail -1 | cut -d' ' -f2)
    status=ok
    [ $rc -eq 0 ] || status="crash: $(grep -o "Test unit written to .*" "$log" | tail -1 | sed 's/Test unit written to //') (exit $rc)"
    printf '%s %s %s %s secs %s cpu %s rate %s/s cov %s ft %s corpus %s load %s %s\n' "$(date -u +%FT%TZ)" "$t" \
      "$commit" "${execs:-0}" "$secs" "${cpu:-?}" "$(( ${execs:-0} / (secs > 0 ? secs : 1) ))" "${cov:-?}" \
      "${ft:-?}" "${corp:-?}" "$(cut -d' ' -f1 /proc/loadavg)" "$status" >> "$summary"
  done
  [ $ran -eq 1 ] || break
done
