#!/bin/bash
# Wall-clock, min of runs: ours (shape cache), ours without it (no_spec:
# the template path) and the simdjson peer, per bench case, plus digit-varying
# and slot-thrashing streams (decode_min.c). Needs `make release`.
# Usage: bench/callgrind/decode_min.sh [REPS=25] [ITER=20000]
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
B=$src/build/release
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gcc -O3 -march=x86-64-v3 -I"$src/include" -I"$src/bench" -I"$src/feed" "$src/bench/callgrind/decode_min.c" \
    -o "$tmp/decode_min" -Wl,--start-group "$B"/bench/librs_bench.a "$B"/tools/librs_tools.a "$B"/feed/librs_feed.a \
    "$B"/exec/librs_exec.a "$B"/core/librs_core.a "$B"/shm/librs_shm.a -Wl,--end-group -lsimdjson -lstdc++ \
    -ljansson -lssl -lcrypto -lm $(pkg-config --libs libcyaml yaml-0.1 hwloc liburing jemalloc 2>/dev/null) -lpthread
"$tmp/decode_min" "$@"
