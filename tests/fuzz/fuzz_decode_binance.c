/* libFuzzer: the binance decoder and the feed stage (decode_fuzz_body.h). */
#define FUZZ_VENUE RS_VENUE_BINANCE
#include "decode_fuzz_body.h"
