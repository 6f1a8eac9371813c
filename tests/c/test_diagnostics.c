/* Convergence diagnostics through the C API: argument errors name the argument, and a few
 * properties that hold exactly (lag-0 autocorrelation 1, NaN R-hat for one chain, shifted
 * chains flagged). Agreement with ArviZ is checked by tests/python/diagnostics_arviz.py. */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

enum { T = 64, C = 3, D = 2 };

/* A deterministic, irregular trajectory [t][c][j]; chain c of coordinate 1 is shifted by
 * 10 c when `shifted`. */
static void fill(double *draws, int shifted) {
    uint64_t state = 12345;
    for (int i = 0; i < T * C * D; i++) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = (double)(state >> 11) / 9007199254740992.0;
        int c = (i / D) % C, j = i % D;
        draws[i] = u - 0.5 + (shifted && j == 1 ? 10.0 * c : 0.0);
    }
}

static void values(void) {
    double draws[T * C * D], rhat[D], ess[D], acf[5 * D];
    float draws32[T * C * D];
    fill(draws, 1);
    for (int i = 0; i < T * C * D; i++) draws32[i] = (float)draws[i];
    CHECK_OK(ebm_diagnostics_rhat_f64(draws, T, C, D, rhat));
    CHECK(rhat[0] > 0.9 && rhat[0] < 1.1);
    CHECK(rhat[1] > 2.0); /* separated chains; rank normalisation bounds R-hat (2.4 here) */
    CHECK_OK(ebm_diagnostics_ess_bulk_f64(draws, T, C, D, ess));
    CHECK(ess[0] > 0.0 && ess[0] <= 10.0 * T * C);
    CHECK_OK(ebm_diagnostics_ess_tail_f32(draws32, T, C, D, ess));
    CHECK(ess[0] > 0.0 && ess[0] <= 10.0 * T * C);
    CHECK_OK(ebm_diagnostics_autocorrelation_f64(draws, T, C, D, 4, acf));
    CHECK_NEAR(acf[0], 1.0, 1e-12);
    CHECK_NEAR(acf[1], 1.0, 1e-12);
    for (int i = 2; i < 5 * D; i++) CHECK(fabs(acf[i]) < 1.0);
    double one_chain[C * D];
    CHECK_OK(ebm_diagnostics_rhat_f64(draws, T, 1, C * D, one_chain));
    CHECK(isnan(one_chain[0]));
}

static void bad_arguments(void) {
    double draws[T * C * D], out[64];
    fill(draws, 0);
    CHECK_FAILS(ebm_diagnostics_rhat_f64(NULL, T, C, D, out), EBM_ERR_NULL_POINTER, "ebm_diagnostics_rhat_f64", "draws");
    CHECK_FAILS(ebm_diagnostics_rhat_f64(draws, T, C, D, NULL), EBM_ERR_NULL_POINTER, "ebm_diagnostics_rhat_f64", "rhat_out");
    CHECK_FAILS(ebm_diagnostics_rhat_f64(draws, 3, C, D, out), EBM_ERR_INVALID_ARGUMENT, "ebm_diagnostics_rhat_f64", "n_draws");
    CHECK_FAILS(ebm_diagnostics_rhat_f64(draws, -1, C, D, out), EBM_ERR_INVALID_ARGUMENT, "ebm_diagnostics_rhat_f64", "n_draws");
    CHECK_FAILS(ebm_diagnostics_rhat_f64(draws, T, 0, D, out), EBM_ERR_INVALID_ARGUMENT, "ebm_diagnostics_rhat_f64", "n_chains");
    CHECK_FAILS(ebm_diagnostics_rhat_f64(draws, T, C, 0, out), EBM_ERR_INVALID_ARGUMENT, "ebm_diagnostics_rhat_f64", "dim");
    CHECK_FAILS(ebm_diagnostics_rhat_f64(draws, INT64_MAX / 2, C, D, out), EBM_ERR_SIZE_OVERFLOW,
                "ebm_diagnostics_rhat_f64", "n_draws * n_chains * dim");
    CHECK_FAILS(ebm_diagnostics_rhat_f64(draws, T, C, D, draws + 1), EBM_ERR_INVALID_ARGUMENT,
                "ebm_diagnostics_rhat_f64", "rhat_out: overlaps draws");
    CHECK_FAILS(ebm_diagnostics_rhat_f64((const double *)((char *)draws + 1), T, C, D, out),
                EBM_ERR_INVALID_ARGUMENT, "ebm_diagnostics_rhat_f64", "draws: is not aligned");

    CHECK_FAILS(ebm_diagnostics_ess_bulk_f64(draws, T, C, D, NULL), EBM_ERR_NULL_POINTER, "ebm_diagnostics_ess_bulk_f64", "ess_out");
    CHECK_FAILS(ebm_diagnostics_ess_bulk_f32(NULL, T, C, D, out), EBM_ERR_NULL_POINTER, "ebm_diagnostics_ess_bulk_f32", "draws");
    CHECK_FAILS(ebm_diagnostics_ess_tail_f64(draws, 2, C, D, out), EBM_ERR_INVALID_ARGUMENT, "ebm_diagnostics_ess_tail_f64", "n_draws");
    CHECK_FAILS(ebm_diagnostics_ess_tail_f32(NULL, T, C, D, out), EBM_ERR_NULL_POINTER, "ebm_diagnostics_ess_tail_f32", "draws");
    CHECK_FAILS(ebm_diagnostics_rhat_f32(NULL, T, C, D, out), EBM_ERR_NULL_POINTER, "ebm_diagnostics_rhat_f32", "draws");

    CHECK_FAILS(ebm_diagnostics_autocorrelation_f64(draws, T, C, D, -1, out), EBM_ERR_INVALID_ARGUMENT,
                "ebm_diagnostics_autocorrelation_f64", "max_lag");
    CHECK_FAILS(ebm_diagnostics_autocorrelation_f64(draws, T, C, D, T, out), EBM_ERR_INVALID_ARGUMENT,
                "ebm_diagnostics_autocorrelation_f64", "max_lag");
    CHECK_FAILS(ebm_diagnostics_autocorrelation_f64(draws, T, C, D, 3, NULL), EBM_ERR_NULL_POINTER,
                "ebm_diagnostics_autocorrelation_f64", "autocorrelation_out");
    CHECK_FAILS(ebm_diagnostics_autocorrelation_f32(NULL, T, C, D, 3, out), EBM_ERR_NULL_POINTER,
                "ebm_diagnostics_autocorrelation_f32", "draws");
    CHECK_FAILS(ebm_diagnostics_autocorrelation_f64(draws, T, C, 0, 3, out), EBM_ERR_INVALID_ARGUMENT,
                "ebm_diagnostics_autocorrelation_f64", "dim");
}

static void non_finite_draws(void) {
    double draws[T * C * D], out[3 * D];
    float draws32[T * C * D];
    fill(draws, 0);
    for (int i = 0; i < T * C * D; i++) draws32[i] = (float)draws[i];
    draws[(5 * C + 1) * D + 1] = NAN;
    CHECK_FAILS(ebm_diagnostics_rhat_f64(draws, T, C, D, out), EBM_ERR_NON_FINITE, "ebm_diagnostics_rhat_f64", "draws: element [5][1][1]");
    CHECK_FAILS(ebm_diagnostics_ess_bulk_f64(draws, T, C, D, out), EBM_ERR_NON_FINITE, "ebm_diagnostics_ess_bulk_f64", "draws");
    draws32[0] = INFINITY;
    CHECK_FAILS(ebm_diagnostics_ess_tail_f32(draws32, T, C, D, out), EBM_ERR_NON_FINITE, "ebm_diagnostics_ess_tail_f32", "draws: element [0][0][0]");
    CHECK_FAILS(ebm_diagnostics_autocorrelation_f32(draws32, T, C, D, 2, out), EBM_ERR_NON_FINITE,
                "ebm_diagnostics_autocorrelation_f32", "draws");
}

int main(void) {
    RUN(values);
    RUN(bad_arguments);
    RUN(non_finite_draws);
    return CHECK_RESULT();
}
