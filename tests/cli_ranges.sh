#!/usr/bin/env bash
# Every number option of every command is range-checked: a value outside its
# range, not a number, not finite, or overflowing its type exits 2 (usage)
# with a message naming the option, before any work or output; in-range
# values whose product would exceed memory are refused with the size.
# (The audit behind it: docs/reliability.md, "CLI numbers".)
set -u
. "$(dirname "${BASH_SOURCE[0]}")/support/cli_check.sh"

# bad <option> <value...> -- <command words...>: each value must be refused, naming the option.
bad() {
    local opt=$1; shift
    local values=()
    while [ "$1" != "--" ]; do values+=("$1"); shift; done
    shift
    for v in "${values[@]}"; do
        check "$* $opt $v" 2 "$cogmap" "$@" "$opt" "$v"
        expect_msg "$* $opt $v names the option" "${opt}"
    done
}
nan_inf=(nan -inf 1e999 1x)
int_junk=(1.5 "" 99999999999999999999999)
out=$tmp/never   # no command may create it

# common options, through a command of each kind of option loop
for cmd in "simulate --out $out" "maze --size 9" "gridness $tmp/none.npy" "train grid --preset ssmpc --out $out --steps 1"; do
    # shellcheck disable=SC2086
    bad --seed -1 9223372036854775808 "${int_junk[@]}" -- $cmd
    # shellcheck disable=SC2086
    bad --threads -1 1025 "${int_junk[@]}" -- $cmd
done

# the trainers' shared options
for model in "grid --preset ssmpc" "smp"; do
    # shellcheck disable=SC2086
    set -- train $model --out "$out"
    bad --steps 0 -5 4611686018427387904 "${int_junk[@]}" -- "$@"
    bad --minutes 0 -1 "${nan_inf[@]}" -- "$@" --steps 1
    bad --eval-every -1 "${int_junk[@]}" -- "$@" --steps 1
    bad --checkpoint-every -1 "${int_junk[@]}" -- "$@" --steps 1
    bad --keep 0 1000001 "${int_junk[@]}" -- "$@" --steps 1
done
# --set values are range-checked by the library (fuzzed: tests/fuzz, target cli)
check "train grid --set hidden=0" 2 "$cogmap" train grid --preset ssmpc --out "$out" --steps 1 --set hidden=0
expect_msg "--set hidden=0 names the key" "hidden"
check "train grid --set batch=1e9" 2 "$cogmap" train grid --preset ssmpc --out "$out" --steps 1 --set batch=1e9
check "train grid --set lr=nan" 2 "$cogmap" train grid --preset ssmpc --out "$out" --steps 1 --set lr=nan
check "train smp --set slots=1" 2 "$cogmap" train smp --out "$out" --steps 1 --set slots=1
expect_msg "--set slots=1 names the key" "slots"
check "train smp --set batch=-1" 2 "$cogmap" train smp --out "$out" --steps 1 --set batch=-1
check "train smp --set p_write=2" 2 "$cogmap" train smp --out "$out" --steps 1 --set p_write=2

# demo
bad --minutes 0 1441 "${nan_inf[@]}" -- demo --out "$out"

# simulate
bad --steps 0 2147483648 "${int_junk[@]}" -- simulate --out "$out"
bad --agents 0 1048577 "${int_junk[@]}" -- simulate --out "$out"
bad --batch 0 16777217 "${int_junk[@]}" -- simulate --out "$out"
bad --substeps 0 1048577 "${int_junk[@]}" -- simulate --out "$out"
bad --rays -1 4097 "${int_junk[@]}" -- simulate --out "$out"
bad --scale 0 -2 "${nan_inf[@]}" -- simulate --out "$out"
bad --dt 0 -0.1 "${nan_inf[@]}" -- simulate --out "$out"
check "simulate: steps x agents beyond memory" 2 "$cogmap" simulate --out "$out" --steps 2147483647 --agents 1048576
expect_msg "simulate names the size" "GiB"

# maze
bad --size 0 -9 "${int_junk[@]}" -- maze
bad --targets 0 "${int_junk[@]}" -- maze --size 9
bad --steps 0 1000000 "${int_junk[@]}" -- maze --size 9 --out "$out"
bad --agents 0 1000 "${int_junk[@]}" -- maze --size 9 --out "$out"
bad --fov 0 361 "${nan_inf[@]}" -- maze --size 9 --out "$out"
check "maze --size 10 (even)" 2 "$cogmap" maze --size 10
check "maze --size 65 (too large)" 2 "$cogmap" maze --size 65

# gridness, analyze, eval, figure: options are checked before their inputs are read
bad --top 0 513 "${int_junk[@]}" -- gridness "$tmp/none.npy"
set -- analyze "$tmp/none.npz" --out "$out"
bad --shuffles 0 1000001 "${int_junk[@]}" -- "$@"
bad --percentile -1 101 "${nan_inf[@]}" -- "$@"
bad --min-shift 0 "${int_junk[@]}" -- "$@"
bad --dt 0 -1 "${nan_inf[@]}" -- "$@"
bad --box 0 -1 "${nan_inf[@]}" -- "$@"
bad --ratemap-bin 0 "${nan_inf[@]}" -- "$@"
bad --distance-step 0 "${nan_inf[@]}" -- "$@"
bad --grid-threshold "${nan_inf[@]}" -- "$@"
bad --grid-bins -1 1 3 513 "${int_junk[@]}" -- "$@"
set -- eval "$tmp/none"
bad --samples 0 1099511627777 "${int_junk[@]}" -- "$@"
bad --stages 0 65 "${int_junk[@]}" -- "$@"
bad --trajectories 0 1000001 "${int_junk[@]}" -- "$@"
bad --steps 1 1000001 "${int_junk[@]}" -- "$@"
bad --correct-every -1 1000001 "${int_junk[@]}" -- "$@"
bad --shuffles -1 100001 "${int_junk[@]}" -- "$@" # 0: a grid run's eval without the shuffle test
bad --images 0 100001 "${int_junk[@]}" -- "$@"
bad --fig3-init 1 100001 "${int_junk[@]}" -- "$@"
set -- figure smp3 --data "$tmp/none"
bad --shuffles 0 100001 "${int_junk[@]}" -- "$@"
bad --fig3-init 1 100001 "${int_junk[@]}" -- "$@"
bad --max-attractor 0 100001 "${int_junk[@]}" -- "$@"
bad --images 0 100001 "${int_junk[@]}" -- "$@"

# bench
bad --batch 0 1048577 "${int_junk[@]}" -- bench motion
bad --steps 0 16777217 "${int_junk[@]}" -- bench motion
bad --repeat 0 1001 "${int_junk[@]}" -- bench motion
bad --count 0 65537 "${int_junk[@]}" -- bench targets
bad --rows 0 1048577 "${int_junk[@]}" -- bench targets
bad --sigma 0 -1 nan -- bench targets
bad --temperature -1 nan -- bench targets
bad --frames 0 "${int_junk[@]}" -- bench render
bad --size 7 1025 "${int_junk[@]}" -- bench render
bad --maze 4 64 "${int_junk[@]}" -- bench render
bad --steps 0 1000001 "${int_junk[@]}" -- bench train
bad --batch 0 100001 "${int_junk[@]}" -- bench train
bad --seq-len 0 100001 "${int_junk[@]}" -- bench train
bad --hidden 0 65537 "${int_junk[@]}" -- bench train

[ -e "$out" ] && { echo "FAIL: a refused command created $out"; fail=1; }
finish cli_ranges
