#!/usr/bin/env bash
# `make check-torch`: every nn layer's forward outputs and gradients against
# PyTorch (Debian's python3-torch) on random inputs. See check_torch.py.
#   bench/check-torch.sh path/to/cogmap [LAYER...]
set -euo pipefail
cogmap=${1:?usage: bench/check-torch.sh path/to/cogmap [LAYER...]}
shift
exec /usr/bin/python3 "$(dirname "$0")/check_torch.py" "$cogmap" "$@"
