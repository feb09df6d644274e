#!/usr/bin/env bash
# The long fuzz campaign of docs/reliability.md: every target in turn (one at
# a time, niced: the machine may be shared) for RUNS executions each.
#   nohup tests/fuzz/campaign.sh BUILD RUNS [TARGET...] > campaign.log 2>&1 &
# Uses and grows BUILD/fuzz-corpus/<target> (seeds: tests/fuzz/corpus); crashes
# go to BUILD/fuzz-artifacts/<target>/ and do not stop the other targets.
# One line per target is appended to BUILD/campaign/summary.txt: executions,
# wall seconds, executions per second, coverage (libFuzzer's cov: edges, ft:
# features), corpus size, and ok or the crash file.
set -uo pipefail
build=${1:?usage: campaign.sh BUILD RUNS [TARGET...]}
runs=${2:?usage: campaign.sh BUILD RUNS [TARGET...]}
shift 2
src=$(cd "$(dirname "$0")/../.." && pwd)
if [ $# -gt 0 ]; then targets=("$@"); else
  targets=(); for exe in "$build"/fuzz_*; do [ -x "$exe" ] && targets+=("${exe##*/fuzz_}"); done
fi
mkdir -p "$build/campaign"
for t in "${targets[@]}"; do
  mkdir -p "$build/fuzz-corpus/$t" "$build/fuzz-artifacts/$t"
  log="$build/campaign/$t.log"
  start=$(date +%s)
  nice -n 10 "$build/fuzz_$t" -runs="$runs" -timeout=60 -rss_limit_mb=2048 -malloc_limit_mb=256 \
    -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/$t/" \
    "$build/fuzz-corpus/$t" "$src/tests/fuzz/corpus/$t" > "$log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  corp=$(grep -o 'corp: [0-9]*/[0-9a-zA-Z]*' "$log" | tail -1 | cut -d' ' -f2)
  status=ok
  [ $rc -eq 0 ] || status="crash: $(grep -o "Test unit written to .*" "$log" | tail -1 | sed 's/Test unit written to //') (exit $rc)"
  printf '%s %-15s execs %s secs %s rate %s/s cov %s ft %s corpus %s load %s %s\n' "$(date -u +%FT%TZ)" "$t" \
    "${execs:-?}" "$secs" "$(( ${execs:-0} / (secs > 0 ? secs : 1) ))" "${cov:-?}" "${ft:-?}" "${corp:-?}" \
    "$(cut -d' ' -f1 /proc/loadavg)" "$status" >> "$build/campaign/summary.txt"
done
