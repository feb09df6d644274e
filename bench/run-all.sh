#!/usr/bin/env bash
# Runs every bench/<name>.sh (each compares cogmap with its Python peer in one
# run and prints the ratio). Usage: bench/run-all.sh [path/to/cogmap]
set -u
here=$(cd "$(dirname "$0")" && pwd)
status=0
for b in "$here"/*.sh; do
    case $(basename "$b") in run-all.sh|check-torch.sh) continue ;; esac
    echo "== $(basename "$b" .sh)"
    bash "$b" "${1:-build/cogmap}" || status=1
done
exit $status
