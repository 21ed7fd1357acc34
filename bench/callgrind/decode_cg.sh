#!/bin/bash
# Instructions per message, ours vs the simdjson peer, for every
# `ringside bench decode` case, under callgrind. Needs `make release` and
# valgrind. Usage: bench/callgrind/decode_cg.sh [N=2000]
# (RS_DEC_NO_SPEC=1: our decoders with the shape cache off)
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
B=$src/build/release
N=${1:-2000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gcc -O3 -march=x86-64-v3 -g -I"$src/include" -I"$src/bench" -I"$src/feed" "$src/bench/callgrind/decode_cg.c" \
    -o "$tmp/decode_cg" -Wl,--start-group "$B"/bench/librs_bench.a "$B"/tools/librs_tools.a "$B"/feed/librs_feed.a \
    "$B"/exec/librs_exec.a "$B"/core/librs_core.a "$B"/shm/librs_shm.a -Wl,--end-group -lsimdjson -lstdc++ \
    -ljansson -lssl -lcrypto -lm $(pkg-config --libs libcyaml yaml-0.1 hwloc liburing jemalloc 2>/dev/null) -lpthread
printf '%-24s %8s %8s %7s\n' case ours simdjson ratio
for c in 0 1 2 3 4 5; do
    ir=()
    for p in 0 1; do
        f=$([ $p = 0 ] && echo run_ours || echo run_peer)
        valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$c.$p" --toggle-collect=$f "$tmp/decode_cg" $c $p "$N" \
            > "$tmp/name" 2>/dev/null
        tot=$(callgrind_annotate "$tmp/cg.$c.$p" 2>/dev/null | awk '/PROGRAM TOTALS/{gsub(",","",$1); print $1}')
        ir+=($((tot / N)))
    done
    printf '%-24s %8d %8d %6.2fx\n' "$(cut -d' ' -f1 "$tmp/name")" "${ir[0]}" "${ir[1]}" "$(echo "${ir[1]} / ${ir[0]}" | bc -l)"
done
