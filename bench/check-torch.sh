#!/usr/bin/env bash
# `make check-torch`: every nn layer's forward outputs and gradients against
# PyTorch (Debian's python3-torch) on random inputs (check_torch.py), then,
# when present, the whole path-integration networks (check_pathint_torch.py,
# which needs the build folder's pathint_check).
#   bench/check-torch.sh path/to/cogmap [LAYER...]   (LAYERs: only those layers)
set -uo pipefail
cogmap=${1:?usage: bench/check-torch.sh path/to/cogmap [LAYER...]}
shift
here=$(dirname "$0")
status=0
/usr/bin/python3 "$here/check_torch.py" "$cogmap" "$@" || status=1
if [ $# -eq 0 ] && [ -f "$here/check_pathint_torch.py" ]; then
    echo
    /usr/bin/python3 "$here/check_pathint_torch.py" "$(dirname "$cogmap")" || status=1
fi
exit $status
