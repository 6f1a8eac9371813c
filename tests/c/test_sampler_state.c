/* Temperature for MALA, HMC and kinetic Langevin, and the chains' state read and written
 * between runs: energies, momenta, positions, the acceptance trace, refresh. */
#include <stdlib.h>

#include "check.h"

/* Harmonic energy k/2 |x|^2 (k = 1): exp(-E/T) is N(0, T I). */
static ebm_energy *harmonic(void) {
    ebm_energy *e = NULL;
    CHECK_OK(ebm_energy_harmonic_new(1.0, &e));
    return e;
}

/* Variance of the first coordinate of n chains of dim 2 after `steps` steps at T. */
static double variance_at(ebm_sampler *s, int64_t n, int64_t steps) {
    double *x = malloc(sizeof(double) * (size_t)(n * 2));
    CHECK_OK(ebm_sampler_sample_f64(s, n, 2, steps, x));
    double mean = 0, square = 0;
    for (int64_t i = 0; i < n; i++) {
        mean += x[2 * i];
        square += x[2 * i] * x[2 * i];
    }
    free(x);
    mean /= (double)n;
    return square / (double)n - mean * mean;
}

/* Var = T within 5 standard errors (sqrt(2/n) T) over 4000 independent chains. */
static void test_temperature_scales_the_variance(void) {
    ebm_energy *e = harmonic();
    const double t = 3.0, n = 4000, se = t * sqrt(2.0 / n);
    ebm_mala_params mala = ebm_mala_default_params();
    CHECK(mala.temperature == 1.0);
    mala.step_size = 0.5;
    mala.temperature = t;
    ebm_hmc_params hmc = ebm_hmc_default_params();
    CHECK(hmc.temperature == 1.0);
    hmc.step_size = 0.3;
    hmc.n_leapfrog_steps = 5;
    hmc.temperature = t;
    ebm_kinetic_langevin_params kinetic = ebm_kinetic_langevin_default_params();
    CHECK(kinetic.temperature == 1.0);
    kinetic.step_size = 0.2;
    kinetic.temperature = t;
    ebm_sampler *s = NULL;
    CHECK_OK(ebm_mala_new(e, &mala, &s));
    CHECK_NEAR(variance_at(s, (int64_t)n, 200), t, 5 * se);
    ebm_sampler_free(s);
    CHECK_OK(ebm_hmc_new(e, &hmc, &s));
    CHECK_NEAR(variance_at(s, (int64_t)n, 100), t, 5 * se);
    ebm_sampler_free(s);
    CHECK_OK(ebm_kinetic_langevin_new(e, &kinetic, &s));
    CHECK_NEAR(variance_at(s, (int64_t)n, 300), t, 5 * se);
    ebm_sampler_free(s);
    /* Negative control: at T = 1 the variance is 1, far from T. */
    hmc.temperature = 1.0;
    CHECK_OK(ebm_hmc_new(e, &hmc, &s));
    CHECK(fabs(variance_at(s, (int64_t)n, 100) - t) > 20 * se);
    ebm_sampler_free(s);

    mala.temperature = 0.0;
    CHECK_FAILS(ebm_mala_new(e, &mala, &s), EBM_ERR_INVALID_ARGUMENT, "ebm_mala_new", "params.temperature");
    hmc.temperature = -1.0;
    CHECK_FAILS(ebm_hmc_new(e, &hmc, &s), EBM_ERR_INVALID_ARGUMENT, "ebm_hmc_new", "params.temperature");
    kinetic.temperature = NAN;
    CHECK_FAILS(ebm_kinetic_langevin_new(e, &kinetic, &s), EBM_ERR_NON_FINITE, "ebm_kinetic_langevin_new",
                "params.temperature");
    ebm_energy_free(e);
}

static void test_energies_and_acceptance_trace(void) {
    ebm_energy *e = harmonic();
    ebm_mala_params p = ebm_mala_default_params();
    p.step_size = 0.5;
    ebm_sampler *s = NULL;
    CHECK_OK(ebm_mala_new(e, &p, &s));
    double energies[3], x[6] = {1, 2, 0, 0, -3, 1};
    CHECK_FAILS(ebm_sampler_get_energies(s, energies, 3), EBM_ERR_INVALID_ARGUMENT, "ebm_sampler_get_energies",
                "sampler");
    CHECK_OK(ebm_sampler_init_f64(s, x, 3, 2));
    CHECK_OK(ebm_sampler_get_energies(s, energies, 3));
    CHECK(energies[0] == 2.5 && energies[1] == 0.0 && energies[2] == 5.0);
    CHECK_FAILS(ebm_sampler_get_energies(s, energies, 2), EBM_ERR_LENGTH_MISMATCH, "ebm_sampler_get_energies", "n");
    CHECK_FAILS(ebm_sampler_get_energies(s, NULL, 3), EBM_ERR_NULL_POINTER, "ebm_sampler_get_energies",
                "energies_out");
    CHECK_FAILS(ebm_sampler_get_energies(NULL, energies, 3), EBM_ERR_NULL_POINTER, "ebm_sampler_get_energies",
                "sampler");
    CHECK_OK(ebm_sampler_run(s, 40));
    int64_t length = -1;
    CHECK_OK(ebm_sampler_get_acceptance_trace(s, NULL, 0, &length));
    CHECK(length == 40);
    double trace[40], mean = 0;
    CHECK_OK(ebm_sampler_get_acceptance_trace(s, trace, 40, &length));
    for (int i = 0; i < 40; i++) {
        /* Three chains: every step accepts 0, 1, 2 or 3 of them. */
        CHECK(fabs(trace[i] * 3 - round(trace[i] * 3)) < 1e-12);
        mean += trace[i] / 40;
    }
    ebm_sampler_stats stats;
    CHECK_OK(ebm_sampler_get_stats(s, &stats, sizeof stats));
    CHECK_NEAR(mean, stats.mean_acceptance, 1e-12);
    CHECK_FAILS(ebm_sampler_get_acceptance_trace(s, NULL, 1, &length), EBM_ERR_NULL_POINTER,
                "ebm_sampler_get_acceptance_trace", "trace_out");
    CHECK_FAILS(ebm_sampler_get_acceptance_trace(s, trace, -1, &length), EBM_ERR_INVALID_ARGUMENT,
                "ebm_sampler_get_acceptance_trace", "capacity");
    CHECK_FAILS(ebm_sampler_get_acceptance_trace(s, trace, 1, NULL), EBM_ERR_NULL_POINTER,
                "ebm_sampler_get_acceptance_trace", "length_out");
    ebm_sampler_free(s);

    ebm_langevin_params lp = ebm_langevin_default_params();
    CHECK_OK(ebm_langevin_new(e, &lp, &s));
    CHECK_OK(ebm_sampler_init_f64(s, x, 3, 2));
    CHECK_FAILS(ebm_sampler_get_acceptance_trace(s, trace, 40, &length), EBM_ERR_INVALID_ARGUMENT,
                "ebm_sampler_get_acceptance_trace", "accept/reject");
    ebm_sampler_free(s);
    ebm_energy_free(e);
}

/* Kinetic Langevin with a unit mass: the momenta are the velocities; a zero friction-free
 * half kick and drift move x by h/2 * v before the noise, so large set velocities dominate. */
static void test_momenta(void) {
    ebm_energy *e = harmonic();
    ebm_kinetic_langevin_params kp = ebm_kinetic_langevin_default_params();
    double mass[2] = {4.0, 1.0};
    kp.mass = mass;
    kp.mass_len = 2;
    ebm_sampler *s = NULL;
    CHECK_OK(ebm_kinetic_langevin_new(e, &kp, &s));
    float x[4] = {0, 0, 0, 0}, p[4] = {400, 0, 0, -100}, back[4];
    CHECK_OK(ebm_sampler_init_f32(s, x, 2, 2));
    CHECK_OK(ebm_sampler_set_momenta_f32(s, p, 2, 2));
    CHECK_OK(ebm_sampler_get_momenta_f32(s, back, 2, 2));
    for (int i = 0; i < 4; i++) CHECK_NEAR(back[i], p[i], 1e-4);
    CHECK_OK(ebm_sampler_run(s, 1));
    CHECK_OK(ebm_sampler_get_samples_f32(s, x, 2, 2));
    /* v = M^-1 p = (100, 0), (0, -100); x moves by about h v = 1. */
    CHECK_NEAR(x[0], 1.0, 0.1);
    CHECK_NEAR(x[3], -1.0, 0.1);
    CHECK_FAILS(ebm_sampler_set_momenta_f32(s, p, 1, 2), EBM_ERR_LENGTH_MISMATCH, "ebm_sampler_set_momenta_f32",
                "momenta");
    CHECK_FAILS(ebm_sampler_set_momenta_f32(s, NULL, 2, 2), EBM_ERR_NULL_POINTER, "ebm_sampler_set_momenta_f32",
                "momenta");
    float bad[4] = {1, NAN, 0, 0};
    CHECK_FAILS(ebm_sampler_set_momenta_f32(s, bad, 2, 2), EBM_ERR_NON_FINITE, "ebm_sampler_set_momenta_f32",
                "momenta");
    CHECK_OK(ebm_sampler_get_momenta_f32(s, back, 2, 2));
    for (int i = 0; i < 4; i++) CHECK(isfinite(back[i]));
    CHECK_FAILS(ebm_sampler_get_momenta_f32(s, back, 2, 3), EBM_ERR_LENGTH_MISMATCH, "ebm_sampler_get_momenta_f32",
                "momenta_out");
    CHECK_FAILS(ebm_sampler_get_momenta_f32(s, back, 2, 0), EBM_ERR_INVALID_ARGUMENT, "ebm_sampler_get_momenta_f32",
                "dim");
    ebm_sampler_free(s);

    ebm_hmc_params hp = ebm_hmc_default_params();
    CHECK_OK(ebm_hmc_new(e, &hp, &s));
    double xd[2] = {0.5, 0.5}, pd[2] = {7, 7};
    CHECK_OK(ebm_sampler_init_f64(s, xd, 1, 2));
    CHECK_OK(ebm_sampler_get_momenta_f64(s, pd, 1, 2));
    CHECK(pd[0] == 0 && pd[1] == 0);
    pd[0] = 3.0;
    CHECK_OK(ebm_sampler_set_momenta_f64(s, pd, 1, 2));
    CHECK_OK(ebm_sampler_run(s, 1));
    /* 10 leapfrog steps of 0.001 barely change the momentum: about (3, 0) - 0.01 x. */
    CHECK_OK(ebm_sampler_get_momenta_f64(s, pd, 1, 2));
    CHECK_NEAR(pd[0], 3.0, 0.05);
    CHECK_NEAR(pd[1], 0.0, 0.05);
    ebm_sampler_free(s);

    ebm_mala_params mp = ebm_mala_default_params();
    CHECK_OK(ebm_mala_new(e, &mp, &s));
    CHECK_OK(ebm_sampler_init_f64(s, xd, 1, 2));
    CHECK_FAILS(ebm_sampler_get_momenta_f64(s, pd, 1, 2), EBM_ERR_INVALID_ARGUMENT, "ebm_sampler_get_momenta_f64",
                "no momenta");
    CHECK_FAILS(ebm_sampler_set_momenta_f64(s, pd, 1, 2), EBM_ERR_INVALID_ARGUMENT, "ebm_sampler_set_momenta_f64",
                "no momenta");
    ebm_sampler_free(s);
    ebm_energy_free(e);
}

/* A callback energy 1/2 (x - c)^2 whose centre c is the host's state. */
static double centre = 0.0;
static int32_t shifted(const double *x, int64_t n, int64_t dim, double *out, void *user_data) {
    (void)dim;
    (void)user_data;
    for (int64_t i = 0; i < n; i++) out[i] = 0.5 * (x[i] - centre) * (x[i] - centre);
    return 0;
}

static void test_set_samples_and_refresh(void) {
    ebm_energy *e = NULL;
    CHECK_OK(ebm_energy_callback_new(1, shifted, NULL, NULL, NULL, &e));
    ebm_mala_params p = ebm_mala_default_params();
    ebm_sampler *s = NULL;
    CHECK_OK(ebm_mala_new(e, &p, &s));
    double x[2] = {0, 1}, energies[2];
    CHECK_FAILS(ebm_sampler_refresh(s), EBM_ERR_INVALID_ARGUMENT, "ebm_sampler_refresh", "sampler");
    CHECK_OK(ebm_sampler_init_f64(s, x, 2, 1));
    CHECK_OK(ebm_sampler_run(s, 3));
    double moved[2] = {2, 4};
    CHECK_OK(ebm_sampler_set_samples_f64(s, moved, 2, 1));
    ebm_sampler_stats stats;
    CHECK_OK(ebm_sampler_get_stats(s, &stats, sizeof stats));
    CHECK(stats.steps == 3);
    CHECK_OK(ebm_sampler_get_energies(s, energies, 2));
    CHECK(energies[0] == 2.0 && energies[1] == 8.0);
    centre = 2.0;
    CHECK_OK(ebm_sampler_get_energies(s, energies, 2));
    CHECK(energies[0] == 2.0);
    CHECK_OK(ebm_sampler_refresh(s));
    CHECK_OK(ebm_sampler_get_energies(s, energies, 2));
    CHECK(energies[0] == 0.0 && energies[1] == 2.0);
    centre = 0.0;
    CHECK_FAILS(ebm_sampler_set_samples_f64(s, moved, 1, 1), EBM_ERR_LENGTH_MISMATCH, "ebm_sampler_set_samples_f64",
                "samples");
    CHECK_FAILS(ebm_sampler_set_samples_f64(s, NULL, 2, 1), EBM_ERR_NULL_POINTER, "ebm_sampler_set_samples_f64",
                "samples");
    CHECK_FAILS(ebm_sampler_set_samples_f32(NULL, NULL, 2, 1), EBM_ERR_NULL_POINTER, "ebm_sampler_set_samples_f32",
                "sampler");
    CHECK_FAILS(ebm_sampler_refresh(NULL), EBM_ERR_NULL_POINTER, "ebm_sampler_refresh", "sampler");
    ebm_sampler_free(s);
    ebm_energy_free(e);
}

/* The chains' shape comes from the library, 0 x 0 before initialisation, and follows every
 * re-initialisation with another number of chains or dimension. */
static void test_shape(void) {
    ebm_energy *e = harmonic();
    ebm_mala_params p = ebm_mala_default_params();
    ebm_sampler *s = NULL;
    CHECK_OK(ebm_mala_new(e, &p, &s));
    int64_t n = -1, dim = -1;
    CHECK_OK(ebm_sampler_get_shape(s, &n, &dim));
    CHECK(n == 0 && dim == 0);
    double x[12] = {0};
    CHECK_OK(ebm_sampler_init_f64(s, x, 3, 2));
    CHECK_OK(ebm_sampler_get_shape(s, &n, &dim));
    CHECK(n == 3 && dim == 2);
    CHECK_OK(ebm_sampler_init_f64(s, x, 4, 3));
    CHECK_OK(ebm_sampler_get_shape(s, &n, &dim));
    CHECK(n == 4 && dim == 3);
    float xf[12] = {0};
    CHECK_OK(ebm_sampler_step_f32(s, xf, 6, 2));
    CHECK_OK(ebm_sampler_get_shape(s, &n, &dim));
    CHECK(n == 6 && dim == 2);
    CHECK_FAILS(ebm_sampler_get_shape(NULL, &n, &dim), EBM_ERR_NULL_POINTER, "ebm_sampler_get_shape", "sampler");
    CHECK_FAILS(ebm_sampler_get_shape(s, NULL, &dim), EBM_ERR_NULL_POINTER, "ebm_sampler_get_shape", "n_chains_out");
    CHECK_FAILS(ebm_sampler_get_shape(s, &n, NULL), EBM_ERR_NULL_POINTER, "ebm_sampler_get_shape", "dim_out");
    ebm_sampler_free(s);
    ebm_energy_free(e);
}

int main(void) {
    RUN(test_shape);
    RUN(test_temperature_scales_the_variance);
    RUN(test_energies_and_acceptance_trace);
    RUN(test_momenta);
    RUN(test_set_samples_and_refresh);
    return CHECK_RESULT();
}
