#!/usr/bin/env bash
# Regenerate the TA-Lib golden files under tests/golden/ (not run by CI).
# Installs the npm package `talib` (which compiles TA-Lib's C library) in a
# scratch directory; needs node >= 20, npm, a C/C++ toolchain and python3.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
scratch="${TALIB_SCRATCH:-/tmp/ringside-talib}"
mkdir -p "$scratch"
if [ ! -f "$scratch/node_modules/talib/build/Release/talib.node" ]; then
  (cd "$scratch" && { [ -f package.json ] || npm init -y >/dev/null; } \
     && npm install --no-audit --no-fund --ignore-scripts talib@1.1.6 \
     && cd node_modules/talib && node ./src/lib/build.js \
     && npx --yes node-gyp configure && npx --yes node-gyp build)
fi
NODE_PATH="$scratch/node_modules" node "$here/gen_talib_goldens.js" "${1:-$here/../tests/golden}"
