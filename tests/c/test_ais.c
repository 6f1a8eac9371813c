/* Annealed importance sampling through the C API: log Z of an unnormalised Gaussian (closed
 * form), of a double well (Simpson quadrature) and of a normalised Gaussian mixture (0), each
 * within 4 reported standard errors at a fixed seed, with small standard errors; per-particle
 * reproducibility; every bad argument's status and message. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

static const double PI = 3.14159265358979323846;

static ebm_ais_params params(int64_t k, double base_std, double step_size) {
    ebm_ais_params p = ebm_ais_default_params();
    p.n_temperatures = k;
    p.base_std = base_std;
    p.step_size = step_size;
    p.seed = 7;
    return p;
}

/* log of the integral of exp(-a (x^2 - b)^2) over [-8, 8], composite Simpson, 20000 intervals. */
static double double_well_log_z(double a, double b) {
    const int m = 20000;
    const double lo = -8.0, h = 16.0 / m;
    double sum = 0.0;
    for (int i = 0; i <= m; i++) {
        double x = lo + i * h, f = exp(-a * (x * x - b) * (x * x - b));
        sum += f * (i == 0 || i == m ? 1.0 : (i % 2 ? 4.0 : 2.0));
    }
    return log(sum * h / 3.0);
}

static void check_estimate(const char *what, const ebm_ais_result *r, double exact, double max_se) {
    printf("  %s: log Z = %.5f +- %.5f (exact %.5f), ESS %.0f, acceptance %.3f\n", what, r->log_z,
           r->standard_error, exact, r->effective_sample_size, r->mean_acceptance);
    CHECK(r->standard_error > 0.0 && r->standard_error < max_se);
    CHECK(fabs(r->log_z - exact) < 4.0 * r->standard_error);
    CHECK(r->non_finite_particles == 0);
}

static void test_gaussian_closed_form(void) {
    const double mean[2] = {1.0, -0.5}, cov[4] = {2.0, 0.6, 0.6, 0.5};
    double det = cov[0] * cov[3] - cov[1] * cov[2];
    double exact = log(2.0 * PI) + 0.5 * log(det);
    ebm_energy *e = NULL;
    CHECK_OK(ebm_energy_gaussian_new(mean, cov, 2, &e));
    ebm_ais_params p = params(100, 2.0, 0.1);
    ebm_ais_result r;
    double weights[800];
    CHECK_OK(ebm_ais_estimate_f64(e, &p, 800, 2, &r, sizeof r, weights, NULL));
    check_estimate("gaussian, MALA", &r, exact, 0.04);
    CHECK_NEAR(r.log_z_base, log(2.0 * PI * 4.0), 1e-12);
    p.sampler = EBM_AIS_SAMPLER_HMC;
    p.step_size = 0.2;
    p.n_leapfrog_steps = 5;
    p.n_temperatures = 50;
    CHECK_OK(ebm_ais_estimate_f32(e, &p, 800, 2, &r, sizeof r, NULL, NULL));
    check_estimate("gaussian, HMC, float", &r, exact, 0.03);
    ebm_energy_free(e);
}

static void test_double_well_quadrature(void) {
    ebm_energy *e = NULL;
    CHECK_OK(ebm_energy_double_well_new(EBM_DOUBLE_WELL_DEFAULT_A, EBM_DOUBLE_WELL_DEFAULT_B, &e));
    ebm_ais_params p = params(200, 1.5, 0.05);
    ebm_ais_result r;
    static double samples[1000];
    CHECK_OK(ebm_ais_estimate_f64(e, &p, 1000, 1, &r, sizeof r, NULL, samples));
    check_estimate("double well 1-D", &r, double_well_log_z(1.0, 2.0), 0.03);
    /* The particles end near the wells at +-sqrt(2). */
    double mean_square = 0.0;
    for (int i = 0; i < 1000; i++) mean_square += samples[i] * samples[i] / 1000.0;
    CHECK(fabs(mean_square - 2.0) < 0.3);
    ebm_energy_free(e);
}

static void test_mixture_is_normalised(void) {
    const double weights[3] = {0.2, 0.5, 0.3};
    const double means[6] = {-2.0, 0.0, 1.5, 1.5, 1.0, -1.5};
    const double covs[12] = {0.5, 0.0, 0.0, 0.5, 0.8, -0.2, -0.2, 0.4, 0.3, 0.1, 0.1, 0.3};
    ebm_energy *e = NULL;
    CHECK_OK(ebm_energy_gaussian_mixture_new(weights, means, covs, 3, 2, &e));
    ebm_ais_params p = params(200, 2.0, 0.1);
    ebm_ais_result r;
    CHECK_OK(ebm_ais_estimate_f64(e, &p, 1000, 2, &r, sizeof r, NULL, NULL));
    check_estimate("mixture", &r, 0.0, 0.03);
    ebm_energy_free(e);
}

static void test_reproducible_per_particle(void) {
    ebm_energy *e = NULL;
    CHECK_OK(ebm_energy_double_well_new(1.0, 2.0, &e));
    ebm_ais_params p = params(20, 1.5, 0.05);
    ebm_ais_result r64, again, r2;
    double w64[64], w64b[64], w2[2];
    CHECK_OK(ebm_ais_estimate_f64(e, &p, 64, 2, &r64, sizeof r64, w64, NULL));
    CHECK_OK(ebm_ais_estimate_f64(e, &p, 64, 2, &again, sizeof again, w64b, NULL));
    CHECK(memcmp(w64, w64b, sizeof w64) == 0 && r64.log_z == again.log_z);
    CHECK_OK(ebm_ais_estimate_f64(e, &p, 2, 2, &r2, sizeof r2, w2, NULL));
    CHECK(memcmp(w2, w64, sizeof w2) == 0);
    p.first_chain = 10;
    CHECK_OK(ebm_ais_estimate_f64(e, &p, 2, 2, &r2, sizeof r2, w2, NULL));
    CHECK(memcmp(w2, w64 + 10, sizeof w2) == 0);
    ebm_energy_free(e);
}

static void test_bad_arguments(void) {
    ebm_energy *e = NULL, *g = NULL;
    const double mean[3] = {0, 0, 0}, cov[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    CHECK_OK(ebm_energy_double_well_new(1.0, 2.0, &e));
    CHECK_OK(ebm_energy_gaussian_new(mean, cov, 3, &g));
    ebm_ais_result r;
    double w[4];
#define f "ebm_ais_estimate_f64"
    ebm_ais_params ok = params(5, 1.0, 0.05), p;
#define FAILS(params_, n_, dim_, status_, arg_)                                              \
    do {                                                                                 \
        p = (params_);                                                                   \
        CHECK_FAILS(ebm_ais_estimate_f64(e, &p, n_, dim_, &r, sizeof r, NULL, NULL), status_, f, arg_); \
    } while (0)
    p = ok; p.n_temperatures = 0; FAILS(p, 4, 1, EBM_ERR_INVALID_ARGUMENT, "params.n_temperatures");
    p = ok; p.inner_steps = -1; FAILS(p, 4, 1, EBM_ERR_INVALID_ARGUMENT, "params.inner_steps");
    p = ok; p.step_size = 0.0; FAILS(p, 4, 1, EBM_ERR_INVALID_ARGUMENT, "params.step_size");
    p = ok; p.step_size = NAN; FAILS(p, 4, 1, EBM_ERR_NON_FINITE, "params.step_size");
    p = ok; p.base_std = -1.0; FAILS(p, 4, 1, EBM_ERR_INVALID_ARGUMENT, "params.base_std");
    p = ok; p.base_std = INFINITY; FAILS(p, 4, 1, EBM_ERR_NON_FINITE, "params.base_std");
    p = ok; p.sampler = EBM_AIS_SAMPLER_HMC; p.n_leapfrog_steps = 0;
    FAILS(p, 4, 1, EBM_ERR_INVALID_ARGUMENT, "params.n_leapfrog_steps");
    p = ok; p.sampler = 7; FAILS(p, 4, 1, EBM_ERR_INVALID_ARGUMENT, "params.sampler");
    p = ok; p.schedule = -1; FAILS(p, 4, 1, EBM_ERR_INVALID_ARGUMENT, "params.schedule");
    p = ok; p.rng = 9; FAILS(p, 4, 1, EBM_ERR_INVALID_ARGUMENT, "params.rng");
    p = ok; p.rng = EBM_RNG_TORCH; p.first_chain = 1; FAILS(p, 4, 1, EBM_ERR_INVALID_ARGUMENT, "params.first_chain");
    p = ok; p.device = 1000; FAILS(p, 4, 1, EBM_ERR_DEVICE_UNAVAILABLE, "params.device");
    p = ok; p.struct_size = 8; FAILS(p, 4, 1, EBM_ERR_INVALID_ARGUMENT, "params.struct_size");
    FAILS(ok, 1, 1, EBM_ERR_INVALID_ARGUMENT, "n_particles");
    FAILS(ok, -3, 1, EBM_ERR_INVALID_ARGUMENT, "n_particles");
    FAILS(ok, 4, 0, EBM_ERR_INVALID_ARGUMENT, "dim");
    FAILS(ok, (int64_t)1 << 40, 4, EBM_ERR_OUT_OF_MEMORY, "n_particles");
#undef FAILS
    p = ok;
    CHECK_FAILS(ebm_ais_estimate_f64(g, &p, 4, 2, &r, sizeof r, NULL, NULL), EBM_ERR_DIMENSION_MISMATCH, f, "dim");
    CHECK_FAILS(ebm_ais_estimate_f64(NULL, &p, 4, 1, &r, sizeof r, NULL, NULL), EBM_ERR_NULL_POINTER, f, "energy");
    CHECK_FAILS(ebm_ais_estimate_f64(e, NULL, 4, 1, &r, sizeof r, NULL, NULL), EBM_ERR_NULL_POINTER, f, "params");
    CHECK_FAILS(ebm_ais_estimate_f64(e, &p, 4, 1, NULL, sizeof r, NULL, NULL), EBM_ERR_NULL_POINTER, f, "out");
    CHECK_FAILS(ebm_ais_estimate_f64(e, &p, 4, 1, &r, sizeof r - 1, NULL, NULL), EBM_ERR_INVALID_ARGUMENT, f, "out_size");
    CHECK_FAILS(ebm_ais_estimate_f64(e, &p, 4, 1, &r, sizeof r, w, w), EBM_ERR_INVALID_ARGUMENT, f, "samples_out");
    CHECK_FAILS(ebm_ais_estimate_f32(e, &p, 4, 1, &r, sizeof r, (double *)((char *)w + 1), NULL),
                EBM_ERR_INVALID_ARGUMENT, "ebm_ais_estimate_f32", "log_weights_out");
    ebm_energy_free(e);
    ebm_energy_free(g);
#undef f
}

int main(void) {
    RUN(test_gaussian_closed_form);
    RUN(test_double_well_quadrature);
    RUN(test_mixture_is_normalised);
    RUN(test_reproducible_per_particle);
    RUN(test_bad_arguments);
    return CHECK_RESULT();
}
