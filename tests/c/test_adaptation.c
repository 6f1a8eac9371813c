/* Stan-style windowed adaptation of HMC's step size and mass through the C API: the adapted
 * inverse mass against the target's covariance, its getter, reusing it, and every error. */
#include <stdlib.h>

#include "check.h"

static ebm_energy *gaussian(const double *cov, int64_t dim) {
    double mean[8] = {0};
    ebm_energy *e = NULL;
    CHECK_OK(ebm_energy_gaussian_new(mean, cov, dim, &e));
    return e;
}

static ebm_hmc_params adapting(int32_t kind, int64_t steps) {
    ebm_hmc_params p = ebm_hmc_default_params();
    p.step_size = 0.1;
    p.adapt_steps = steps;
    p.adapt_mass = kind;
    p.seed = 7;
    return p;
}

/* Variances 0.01, 1, 100: the adapted diagonal within 20%, then reused as a fixed mass. */
static void test_diagonal_adaptation(void) {
    const double cov[9] = {0.01, 0, 0, 0, 1, 0, 0, 0, 100};
    ebm_hmc_params p = ebm_hmc_default_params();
    CHECK(p.adapt_mass == EBM_ADAPT_MASS_NONE);
    CHECK(p.init_buffer == 75 && p.term_buffer == 50 && p.base_window == 25);
    ebm_energy *e = gaussian(cov, 3);
    p = adapting(EBM_ADAPT_MASS_DIAGONAL, 600);
    ebm_sampler *s = NULL;
    CHECK_OK(ebm_hmc_new(e, &p, &s));
    CHECK_OK(ebm_sampler_init_f64(s, NULL, 400, 3));
    double inverse[9];
    /* Before warm-up: the unit mass. */
    CHECK_OK(ebm_sampler_get_inverse_mass(s, inverse, 3));
    CHECK(inverse[0] == 1.0 && inverse[1] == 1.0 && inverse[2] == 1.0);
    CHECK_OK(ebm_sampler_run(s, 600));
    CHECK_OK(ebm_sampler_get_inverse_mass(s, inverse, 3));
    for (int i = 0; i < 3; i++) {
        CHECK_NEAR(inverse[i] / cov[4 * i], 1.0, 0.2);
    }
    /* Negative control: the 1 of the unit mass is far from 0.01 and 100. */
    CHECK(fabs(1.0 / cov[0] - 1.0) > 0.2 && fabs(1.0 / cov[8] - 1.0) > 0.2);
    CHECK_FAILS(ebm_sampler_get_inverse_mass(s, inverse, 9), EBM_ERR_LENGTH_MISMATCH,
                "ebm_sampler_get_inverse_mass", "len");
    ebm_sampler_stats stats;
    CHECK_OK(ebm_sampler_get_stats(s, &stats, sizeof stats));
    ebm_sampler_free(s);
    s = NULL;

    /* Reuse: mass = 1 / inverse with the adapted step size, no adaptation. */
    double mass[3] = {1.0 / inverse[0], 1.0 / inverse[1], 1.0 / inverse[2]};
    ebm_hmc_params fixed = ebm_hmc_default_params();
    fixed.step_size = stats.step_size;
    fixed.mass = mass;
    fixed.mass_len = 3;
    CHECK_OK(ebm_hmc_new(e, &fixed, &s));
    CHECK_OK(ebm_sampler_init_f64(s, NULL, 2, 3));
    double again[3];
    CHECK_OK(ebm_sampler_get_inverse_mass(s, again, 3));
    for (int i = 0; i < 3; i++) {
        CHECK_NEAR(again[i], inverse[i], 1e-12 * inverse[i]);
    }
    ebm_sampler_free(s);
    s = NULL;
    ebm_energy_free(e);
}

/* Correlation 0.9, variances 1 and 4: the adapted matrix within 0.15 of each entry's scale;
 * a dense params.mass reads back as its inverse. */
static void test_dense_adaptation(void) {
    const double cov[4] = {1.0, 1.8, 1.8, 4.0};
    ebm_energy *e = gaussian(cov, 2);
    ebm_hmc_params p = adapting(EBM_ADAPT_MASS_DENSE, 600);
    ebm_sampler *s = NULL;
    CHECK_OK(ebm_hmc_new(e, &p, &s));
    CHECK_OK(ebm_sampler_init_f64(s, NULL, 300, 2));
    CHECK_OK(ebm_sampler_run(s, 600));
    double inverse[4];
    CHECK_FAILS(ebm_sampler_get_inverse_mass(s, inverse, 2), EBM_ERR_LENGTH_MISMATCH,
                "ebm_sampler_get_inverse_mass", "len");
    CHECK_OK(ebm_sampler_get_inverse_mass(s, inverse, 4));
    const double scale[4] = {1.0, 2.0, 2.0, 4.0};
    for (int k = 0; k < 4; k++) {
        CHECK_NEAR(inverse[k], cov[k], 0.15 * scale[k]);
    }
    CHECK(inverse[1] == inverse[2]);
    ebm_sampler_free(s);
    s = NULL;

    /* M = cov^-1 given densely: the inverse mass is cov again. */
    const double det = 1.0 * 4.0 - 1.8 * 1.8;
    double mass[4] = {4.0 / det, -1.8 / det, -1.8 / det, 1.0 / det};
    ebm_hmc_params fixed = ebm_hmc_default_params();
    fixed.mass = mass;
    fixed.mass_len = 4;
    CHECK_OK(ebm_hmc_new(e, &fixed, &s));
    CHECK_OK(ebm_sampler_init_f64(s, NULL, 2, 2));
    CHECK_OK(ebm_sampler_get_inverse_mass(s, inverse, 4));
    for (int k = 0; k < 4; k++) {
        CHECK_NEAR(inverse[k], cov[k], 1e-9);
    }
    ebm_sampler_free(s);
    s = NULL;
    /* Not positive definite. */
    double bad[4] = {1.0, 2.0, 2.0, 1.0};
    fixed.mass = bad;
    CHECK_OK(ebm_hmc_new(e, &fixed, &s));
    CHECK_FAILS(ebm_sampler_init_f64(s, NULL, 2, 2), EBM_ERR_NOT_POSITIVE_DEFINITE,
                "ebm_sampler_init_f64", "params.mass");
    ebm_sampler_free(s);
    s = NULL;
    ebm_energy_free(e);
}

static void test_errors(void) {
    const double cov[4] = {1, 0, 0, 1};
    ebm_energy *e = gaussian(cov, 2);
    ebm_sampler *s = NULL;
    ebm_hmc_params p = adapting(3, 100);
    CHECK_FAILS(ebm_hmc_new(e, &p, &s), EBM_ERR_INVALID_ARGUMENT, "ebm_hmc_new", "params.adapt_mass");
    p = adapting(-1, 100);
    CHECK_FAILS(ebm_hmc_new(e, &p, &s), EBM_ERR_INVALID_ARGUMENT, "ebm_hmc_new", "params.adapt_mass");
    p = adapting(EBM_ADAPT_MASS_DIAGONAL, 0);
    CHECK_FAILS(ebm_hmc_new(e, &p, &s), EBM_ERR_INVALID_ARGUMENT, "ebm_hmc_new", "params.adapt_mass");
    p = adapting(EBM_ADAPT_MASS_DIAGONAL, 100);
    p.init_buffer = 0;
    CHECK_FAILS(ebm_hmc_new(e, &p, &s), EBM_ERR_INVALID_ARGUMENT, "ebm_hmc_new", "params.init_buffer");
    p = adapting(EBM_ADAPT_MASS_DIAGONAL, 100);
    p.term_buffer = -1;
    CHECK_FAILS(ebm_hmc_new(e, &p, &s), EBM_ERR_INVALID_ARGUMENT, "ebm_hmc_new", "params.term_buffer");
    p = adapting(EBM_ADAPT_MASS_DIAGONAL, 100);
    p.base_window = 0;
    CHECK_FAILS(ebm_hmc_new(e, &p, &s), EBM_ERR_INVALID_ARGUMENT, "ebm_hmc_new", "params.base_window");

    /* The getter. */
    double out[4];
    CHECK_FAILS(ebm_sampler_get_inverse_mass(NULL, out, 2), EBM_ERR_NULL_POINTER,
                "ebm_sampler_get_inverse_mass", "sampler");
    p = adapting(EBM_ADAPT_MASS_DIAGONAL, 100);
    CHECK_OK(ebm_hmc_new(e, &p, &s));
    CHECK_FAILS(ebm_sampler_get_inverse_mass(s, out, 2), EBM_ERR_INVALID_ARGUMENT,
                "ebm_sampler_get_inverse_mass", "sampler");
    CHECK_OK(ebm_sampler_init_f64(s, NULL, 4, 2));
    CHECK_FAILS(ebm_sampler_get_inverse_mass(s, NULL, 2), EBM_ERR_NULL_POINTER,
                "ebm_sampler_get_inverse_mass", "inverse_mass_out");
    CHECK_FAILS(ebm_sampler_get_inverse_mass(s, out, -1), EBM_ERR_INVALID_ARGUMENT,
                "ebm_sampler_get_inverse_mass", "len");
    CHECK_FAILS(ebm_sampler_get_inverse_mass(s, out, 3), EBM_ERR_LENGTH_MISMATCH,
                "ebm_sampler_get_inverse_mass", "len");
    ebm_sampler_free(s);
    s = NULL;
    ebm_mala_params mala = ebm_mala_default_params();
    CHECK_OK(ebm_mala_new(e, &mala, &s));
    CHECK_OK(ebm_sampler_init_f64(s, NULL, 4, 2));
    CHECK_FAILS(ebm_sampler_get_inverse_mass(s, out, 2), EBM_ERR_INVALID_ARGUMENT,
                "ebm_sampler_get_inverse_mass", "sampler");
    ebm_sampler_free(s);
    s = NULL;
    ebm_energy_free(e);

    /* Dense adaptation above 100 dimensions: refused at initialisation. */
    int64_t dim = 101;
    double *eye = calloc((size_t)(dim * dim), sizeof(double));
    double *mean = calloc((size_t)dim, sizeof(double));
    for (int64_t i = 0; i < dim; i++) eye[i * dim + i] = 1.0;
    CHECK_OK(ebm_energy_gaussian_new(mean, eye, dim, &e));
    p = adapting(EBM_ADAPT_MASS_DENSE, 100);
    CHECK_OK(ebm_hmc_new(e, &p, &s));
    CHECK_FAILS(ebm_sampler_init_f64(s, NULL, 2, dim), EBM_ERR_INVALID_ARGUMENT, "ebm_sampler_init_f64",
                "params.adapt_mass");
    ebm_sampler_free(s);
    s = NULL;
    ebm_energy_free(e);
    free(eye);
    free(mean);
}

int main(void) {
    RUN(test_diagonal_adaptation);
    RUN(test_dense_adaptation);
    RUN(test_errors);
    return CHECK_RESULT();
}
