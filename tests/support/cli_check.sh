# Shared by the CLI tests (tests/cli_*.sh) that source it; not a test itself:
# it lives in tests/support/, outside CMake's tests/cli_*.sh glob.
# Sets cogmap (the binary under test), tmp (a folder removed on exit), log
# (the last checked command's output) and fail (1 once a check failed), and
# defines check, expect_msg and finish.
cogmap=${COGMAP_BIN:?COGMAP_BIN is set by ctest}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
log=$tmp/log
check() { # description, expected exit code, command...
    local what=$1 want=$2; shift 2
    "$@" >"$log" 2>&1
    local got=$?
    if [ "$got" -ne "$want" ]; then
        echo "FAIL: $what: exit $got, expected $want"; cat "$log"; fail=1
    else
        echo "ok: $what"
    fi
}
expect_msg() { # description, pattern (in the last checked command's output)
    grep -q -- "$2" "$log" || { echo "FAIL: $1: no '$2' in:"; cat "$log"; fail=1; }
}
finish() { # test name: the summary line and the exit status
    if [ "$fail" -eq 0 ]; then echo "$1: all passed"; fi
    exit "$fail"
}
