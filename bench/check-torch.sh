#!/usr/bin/env bash
# `make check-torch`: every nn layer's (and model's) forward outputs and
# gradients against PyTorch (Debian's python3-torch) on random inputs
# (check_torch.py and its check_torch_<model>.py case files, through the build
# folder's cogmap-nn-check), then, when present, the whole path-integration
# networks (check_pathint_torch.py, which builds the folder's pathint_check).
#   bench/check-torch.sh BUILD [LAYER...]   (LAYERs: only those layers)
set -uo pipefail
build=${1:?usage: bench/check-torch.sh BUILD [LAYER...]}
shift
here=$(dirname "$0")
status=0
/usr/bin/python3 "$here/check_torch.py" "$build/cogmap-nn-check" "$@" || status=1
if [ $# -eq 0 ] && [ -f "$here/check_pathint_torch.py" ]; then
    echo
    /usr/bin/python3 "$here/check_pathint_torch.py" "$build" || status=1
fi
exit $status
