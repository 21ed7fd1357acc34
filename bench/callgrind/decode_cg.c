/* Instruction counts of the venue decoders vs the simdjson peer under
 * callgrind (repeatable on a shared machine, unlike wall-clock timing).
 * Not part of the CMake build: decode_cg.sh compiles it against the
 * release libraries. Usage: decode_cg CASE PEER N -- decodes bench case
 * CASE (index into bench_decode.c's cases[]) N times with ours (PEER=0,
 * function run_ours) or simdjson On-Demand (PEER=1, run_peer). With
 * RS_DEC_NO_SPEC=1 in the environment our decoders run with the shape
 * cache off (the template path). */
#include "../bench_decode.c"

__attribute__((noinline)) int run_ours(rs_decoder *d, const uint8_t *p, size_t n, rs_decoded *o)
{
    return rs_decode(d, p, n, o);
}

__attribute__((noinline)) int run_peer(rs_sj_ctx *sj, int c, int kind, rs_decoder *d, rs_decoded *o)
{
    return rs_sj_decode(sj, c, kind, d, o);
}

int main(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    int c = atoi(argv[1]), peer = atoi(argv[2]), n_iter = atoi(argv[3]);
    if (c < 0 || c >= (int)RS_ARRAY_LEN(cases))
        return 2;
    rs_universe *u = rs_mem_alloc(sizeof *u, 64, "cg universe");
    rs_decoder *dec = rs_mem_alloc(4 * sizeof *dec, 64, "cg decoders");
    rs_decoded *out = rs_mem_alloc(sizeof *out, 64, "cg out");
    const char *syms[] = {"BNBBTC", "BNBUSDT", "ETHUSDT", "BTCUSDT", "BTC-USDT"};
    bench_universe(u, syms, RS_ARRAY_LEN(syms));
    for (int v = RS_VENUE_BINANCE; v <= RS_VENUE_OKX; v++) {
        rs_decoder_init(&dec[v], u, (uint8_t)v);
        dec[v].no_spec = getenv("RS_DEC_NO_SPEC") && atoi(getenv("RS_DEC_NO_SPEC"));
    }
    rs_sj_ctx *sj = rs_sj_create();
    size_t n = strlen(cases[c].msg);
    rs_sj_set(sj, c, cases[c].msg, n);
    int bad = 0;
    for (int i = 0; i < n_iter; i++)
        bad |= peer ? run_peer(sj, c, cases[c].kind, &dec[cases[c].venue], out)
                    : run_ours(&dec[cases[c].venue], (const uint8_t *)cases[c].msg, n, out);
    printf("%s %s rc=%d\n", cases[c].name, peer ? "simdjson" : "ours", bad);
    return bad;
}
