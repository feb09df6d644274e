#!/usr/bin/env bash
# The option table every command reads (cli_parse, src/cli/cli_common.c):
# both spellings of a valued option, --help before anything else, a choice
# refused naming the allowed values, a repeatable option refused beyond its
# count, flags taking no value, one positional argument and not two, and an
# unknown option — each a usage error (exit 2) with the command named,
# nothing run. (Every number option's range: tests/cli_ranges.sh.)
set -u
. "$(dirname "${BASH_SOURCE[0]}")/support/cli_check.sh"

check "maze --size=9 --targets 3" 0 "$cogmap" maze --size=9 --targets 3
check "maze --size 9 --targets=3 (same maze)" 0 "$cogmap" maze --size 9 --targets=3
"$cogmap" maze --size=9 --targets=3 >"$tmp/a"; "$cogmap" maze --size 9 --targets 3 >"$tmp/b"
cmp -s "$tmp/a" "$tmp/b" && echo "ok: both spellings read alike" || { echo "FAIL: --size=9 and --size 9 differ"; fail=1; }
check "--help first" 0 "$cogmap" gridness --help --frob
expect_msg "--help prints the usage" "usage: cogmap gridness"
check "a choice outside its list" 2 "$cogmap" gridness "$tmp/none.npy" --masks hexagons
expect_msg "the choice names the allowed values" "expected deepmind or ssmpc, got 'hexagons'"
check "an empty file name" 2 "$cogmap" gridness "$tmp/none.npy" --figure=
expect_msg "the empty name is refused" "cogmap gridness: --figure: expected a file name"
sets=(); for k in $(seq 33); do sets+=(--set "batch=$k"); done
check "33 --set where 32 fit" 2 "$cogmap" bench dist "${sets[@]}"
expect_msg "the count is named" "--set: at most 32"
check "two positional arguments" 2 "$cogmap" analyze a.npz b.npz --out "$tmp/x"
expect_msg "both are named" "one activity file expected, got 'a.npz' and 'b.npz'"
check "a flag is not given a value" 2 "$cogmap" analyze a.npz --out "$tmp/x" --no-figures=1
expect_msg "the flag with a value is unknown" "unknown option '--no-figures=1'"
check "a missing value" 2 "$cogmap" simulate --out "$tmp/x" --steps
expect_msg "the option is named" "option --steps needs a value"
check "an option not of this command" 2 "$cogmap" bench render --batch 3
expect_msg "unknown, with the command" "cogmap bench render: unknown option '--batch'"
[ -e "$tmp/x" ] && { echo "FAIL: a refused command created its --out"; fail=1; }
finish cli_options
