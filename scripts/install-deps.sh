#!/usr/bin/env bash
# Installs the Debian 12 packages cogmap needs, and nothing when they are all present.
#   scripts/install-deps.sh            build + test dependencies (make test, make demo)
#   scripts/install-deps.sh --torch    also python3-torch (make check-torch, bench/)
# Runs apt-get update once, then apt-get install, as root. Not root and something missing:
# prints what to install and exits 1.
set -euo pipefail

packages=(
  build-essential cmake pkg-config        # toolchain (gcc brings OpenMP's libgomp)
  libopenblas-dev                         # sgemm and friends
  zlib1g-dev libpng-dev libcairo2-dev     # npz, PNG, figures
  libcjson-dev                            # JSON configs, safetensors headers
  libgif-dev                              # animated GIFs (grid-cell emergence)
  libcmocka-dev                           # unit tests
  libopenmpi-dev openmpi-bin              # MPI: data-parallel training, distributed evaluation
  python3 python3-numpy python3-scipy     # interop tests and reference values
  python3-pytest                          # the Python package's tests (python/)
)
if [ "${1:-}" = "--torch" ]; then
  packages+=(python3-torch)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing Debian packages: ${missing[*]}" >&2
  echo "install-deps: run as root, or: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
