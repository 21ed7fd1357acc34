#!/usr/bin/env bash
# Install the Debian packages ringside needs, only those missing.
# Idempotent: a second run installs nothing and does not touch apt.
set -euo pipefail

PKGS=(
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
  liburing-dev libssl-dev openssl libjemalloc-dev libhwloc-dev libcyaml-dev libyaml-dev
  libjansson-dev libcmocka-dev libck-dev libsimdjson-dev libxgboost-dev
  python3 python3-xgboost python3-numpy python3-pandas python3-matplotlib
  python3-websockets valgrind
  chromium
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "install-deps: installing missing Debian packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
