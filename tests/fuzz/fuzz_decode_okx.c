/* libFuzzer: the okx decoder and the feed stage (decode_fuzz_body.h). */
#define FUZZ_VENUE RS_VENUE_OKX
#include "decode_fuzz_body.h"
