/* libFuzzer: the XGBoost JSON loader and the calibration parser never crash
 * or leak on arbitrary bytes; a model that loads predicts the same on every
 * ISA path. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ringside/model.h"
#include "ringside/model_stage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rs_model *m = NULL;
    if (rs_model_load_mem(&m, data, size, "fuzz.json") == 0) {
        rs_model_info in;
        rs_model_get_info(m, &in);
        float *row = calloc(in.n_features, sizeof(float));
        float out[2];
        for (uint32_t j = 0; j < in.n_features; j++)
            row[j] = (j % 3 == 0) ? NAN : (float)j * 0.25f - 1.0f;
        float ref = 0;
        for (int isa = RS_ISA_SCALAR; isa <= RS_ISA_AVX512; isa++) {
            if (rs_model_set_isa(m, isa) != 0)
                continue;
            float v = rs_model_predict_margin(m, row);
            rs_model_predict_margin_batch(m, row, 1, in.n_features, out);
            if (isa == RS_ISA_SCALAR)
                ref = v;
            else if (memcmp(&v, &ref, 4) || memcmp(&out[0], &ref, 4))
                abort();
            (void)rs_model_transform(m, v);
        }
        /* every AVX-512 block kernel variant: the same bits */
        if (rs_model_set_isa(m, RS_ISA_AVX512) == 0 && rs_model_has_blk(m))
            for (int k = RS_KERNEL_STORE; k <= RS_KERNEL_GATHER; k++) {
                if (rs_model_set_kernel(m, k) != 0)
                    break;
                float v = rs_model_predict_margin(m, row);
                if (memcmp(&v, &ref, 4))
                    abort();
            }
        free(row);
        rs_model_destroy(m);
    }
    rs_calib *c = NULL;
    if (rs_calib_load_mem(&c, (const char *)data, size, "fuzz-cal.json", NULL) == 0) {
        (void)rs_calib_apply(c, 0.5);
        (void)rs_calib_apply(c, -1e9);
        rs_calib_destroy(c);
    }
    return 0;
}
