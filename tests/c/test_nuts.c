/* The No-U-Turn sampler through the C API: defaults, a run on a Gaussian in float and double,
 * the statistics it reports (acceptance, divergences, tree depth), per-chain divergences,
 * reproducibility, and every bad parameter. */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

#define SENTINEL ((ebm_sampler *)(uintptr_t)0x5e5e)

static ebm_energy *gaussian(void) {
    double mean[2] = {1, -2}, cov[4] = {1, 0.5, 0.5, 2};
    ebm_energy *e = NULL;
    CHECK_OK(ebm_energy_gaussian_new(mean, cov, 2, &e));
    return e;
}

static void defaults_are_documented_values(void) {
    ebm_nuts_params p = ebm_nuts_default_params();
    CHECK(p.struct_size == sizeof p && p.step_size == 0.1 && p.max_tree_depth == 10 && p.mass == NULL);
    CHECK(p.mass_len == 0 && p.temperature == 1.0 && p.adapt_steps == 0 && p.target_accept == 0.8);
    CHECK(p.step_size_schedule.kind == EBM_SCHEDULE_CONSTANT && p.seed == 0 && p.device == EBM_DEVICE_CPU);
    CHECK(p.rng == EBM_RNG_PER_CHAIN && p.first_chain == 0);
}

/* 4000 chains on the Gaussian with mean (1, -2), covariance [[1, .5], [.5, 2]]: the sample
 * means within 5 standard errors (sqrt(2 / 4000) = 0.022 for the second coordinate). */
static void samples_the_gaussian_and_reports_statistics(void) {
    ebm_energy *energy = gaussian();
    ebm_nuts_params p = ebm_nuts_default_params();
    p.step_size = 0.5;
    p.seed = 3;
    ebm_sampler *s = NULL;
    CHECK_OK(ebm_nuts_new(energy, &p, &s));
    ebm_energy_free(energy);
    CHECK(strcmp(ebm_sampler_name(s), "nuts") == 0);
    enum { N = 4000 };
    static double x[N * 2];
    static float xf[N * 2];
    CHECK_OK(ebm_sampler_sample_f64(s, N, 2, 30, x));
    double m0 = 0, m1 = 0;
    for (int i = 0; i < N; i++) m0 += x[2 * i] / N, m1 += x[2 * i + 1] / N;
    CHECK_NEAR(m0, 1.0, 5 * sqrt(1.0 / N));
    CHECK_NEAR(m1, -2.0, 5 * sqrt(2.0 / N));
    ebm_sampler_stats stats;
    CHECK_OK(ebm_sampler_get_stats(s, &stats, sizeof stats));
    CHECK(stats.n_chains == N && stats.dim == 2 && stats.steps == 30 && stats.non_finite_chains == 0);
    CHECK(stats.mean_acceptance > 0.7 && stats.mean_acceptance <= 1.0);
    CHECK(stats.divergences == 0);
    CHECK(stats.mean_tree_depth >= 1.0 && stats.mean_tree_depth <= 5.0);
    CHECK(stats.step_size == 0.5);
    static double rates[N];
    CHECK_OK(ebm_sampler_get_acceptance_rates(s, rates, N));
    CHECK(rates[0] > 0 && rates[0] <= 1);
    static int64_t counts[N];
    CHECK_OK(ebm_sampler_get_divergences(s, counts, N));
    int64_t total = 0;
    for (int i = 0; i < N; i++) total += counts[i];
    CHECK(total == 0);
    CHECK_FAILS(ebm_sampler_get_divergences(s, counts, N - 1), EBM_ERR_LENGTH_MISMATCH, "ebm_sampler_get_divergences",
                "n");
    CHECK_FAILS(ebm_sampler_get_divergences(s, NULL, N), EBM_ERR_NULL_POINTER, "ebm_sampler_get_divergences",
                "counts_out");
    CHECK_FAILS(ebm_sampler_get_divergences(NULL, counts, N), EBM_ERR_NULL_POINTER, "ebm_sampler_get_divergences",
                "sampler");
    CHECK_FAILS(ebm_sampler_get_divergences(s, counts, -1), EBM_ERR_INVALID_ARGUMENT, "ebm_sampler_get_divergences",
                "n");
    /* In float too. */
    CHECK_OK(ebm_sampler_sample_f32(s, N, 2, 30, xf));
    m1 = 0;
    for (int i = 0; i < N; i++) m1 += xf[2 * i + 1] / N;
    CHECK_NEAR(m1, -2.0, 5 * sqrt(2.0 / N));
    ebm_sampler_free(s);
}

/* A stiff Gaussian (standard deviations 0.01 and 1) at step size 1 diverges; the counts agree. */
static void divergences_are_counted(void) {
    double mean[2] = {0, 0}, cov[4] = {1e-4, 0, 0, 1};
    ebm_energy *stiff = NULL;
    CHECK_OK(ebm_energy_gaussian_new(mean, cov, 2, &stiff));
    ebm_nuts_params p = ebm_nuts_default_params();
    p.step_size = 1.0;
    ebm_sampler *s = NULL;
    CHECK_OK(ebm_nuts_new(stiff, &p, &s));
    double start[32 * 2] = {0}, x[32 * 2];
    CHECK_OK(ebm_sampler_sample_chain_f64(s, start, 32, 2, 10, 1, x, NULL, 0));
    ebm_sampler_stats stats;
    CHECK_OK(ebm_sampler_get_stats(s, &stats, sizeof stats));
    CHECK(stats.divergences >= 288 && stats.divergences <= 320);
    int64_t counts[32];
    CHECK_OK(ebm_sampler_get_divergences(s, counts, 32));
    int64_t total = 0;
    for (int i = 0; i < 32; i++) total += counts[i];
    CHECK(total == stats.divergences);
    ebm_sampler_free(s);
    /* Samplers without trajectories have no divergences to report. */
    ebm_langevin_params l = ebm_langevin_default_params();
    CHECK_OK(ebm_langevin_new(stiff, &l, &s));
    CHECK_OK(ebm_sampler_init_f64(s, NULL, 4, 2));
    CHECK_OK(ebm_sampler_get_stats(s, &stats, sizeof stats));
    CHECK(stats.divergences == 0 && isnan(stats.mean_tree_depth));
    CHECK_FAILS(ebm_sampler_get_divergences(s, counts, 4), EBM_ERR_INVALID_ARGUMENT, "ebm_sampler_get_divergences",
                "sampler");
    ebm_sampler_free(s), ebm_energy_free(stiff);
}

/* max_tree_depth caps the doublings: tiny steps never turn, so every step is 3 doublings. */
static void max_tree_depth_caps_the_trees(void) {
    ebm_energy *energy = gaussian();
    ebm_nuts_params p = ebm_nuts_default_params();
    p.step_size = 1e-3;
    p.max_tree_depth = 3;
    ebm_sampler *s = NULL;
    CHECK_OK(ebm_nuts_new(energy, &p, &s));
    double x[16 * 2];
    CHECK_OK(ebm_sampler_sample_f64(s, 16, 2, 5, x));
    ebm_sampler_stats stats;
    CHECK_OK(ebm_sampler_get_stats(s, &stats, sizeof stats));
    CHECK(stats.mean_tree_depth == 3.0);
    ebm_sampler_free(s), ebm_energy_free(energy);
}

/* The same seed reproduces a run bit for bit; chain 0 does not depend on the number of chains. */
static void seeds_reproduce_and_chains_are_independent_of_n(void) {
    ebm_energy *energy = gaussian();
    ebm_nuts_params p = ebm_nuts_default_params();
    p.step_size = 0.4;
    p.seed = 11;
    ebm_sampler *a = NULL, *b = NULL;
    CHECK_OK(ebm_nuts_new(energy, &p, &a));
    CHECK_OK(ebm_nuts_new(energy, &p, &b));
    double xa[300 * 2], xb[2];
    CHECK_OK(ebm_sampler_sample_f64(a, 300, 2, 20, xa));
    CHECK_OK(ebm_sampler_sample_f64(b, 1, 2, 20, xb));
    CHECK(xa[0] == xb[0] && xa[1] == xb[1]);
    ebm_sampler_free(a), ebm_sampler_free(b), ebm_energy_free(energy);
}

static void every_bad_parameter_is_refused(void) {
    ebm_energy *energy = gaussian();
    ebm_sampler *out = SENTINEL;
    ebm_nuts_params p = ebm_nuts_default_params();
    CHECK_FAILS(ebm_nuts_new(NULL, &p, &out), EBM_ERR_NULL_POINTER, "ebm_nuts_new", "energy");
    CHECK_FAILS(ebm_nuts_new(energy, NULL, &out), EBM_ERR_NULL_POINTER, "ebm_nuts_new", "params");
    CHECK_FAILS(ebm_nuts_new(energy, &p, NULL), EBM_ERR_NULL_POINTER, "ebm_nuts_new", "out");
    p.struct_size = sizeof p - 8;
    CHECK_FAILS(ebm_nuts_new(energy, &p, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_nuts_new", "params.struct_size");
    p = ebm_nuts_default_params();
    p.step_size = 0;
    CHECK_FAILS(ebm_nuts_new(energy, &p, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_nuts_new", "params.step_size");
    p.step_size = NAN;
    CHECK_FAILS(ebm_nuts_new(energy, &p, &out), EBM_ERR_NON_FINITE, "ebm_nuts_new", "params.step_size");
    int64_t depths[4] = {0, -1, 31, INT64_MAX};
    for (int i = 0; i < 4; i++) {
        p = ebm_nuts_default_params();
        p.max_tree_depth = depths[i];
        CHECK_FAILS(ebm_nuts_new(energy, &p, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_nuts_new", "params.max_tree_depth");
    }
    p = ebm_nuts_default_params();
    p.temperature = 0;
    CHECK_FAILS(ebm_nuts_new(energy, &p, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_nuts_new", "params.temperature");
    p.temperature = -2;
    CHECK_FAILS(ebm_nuts_new(energy, &p, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_nuts_new", "params.temperature");
    p.temperature = INFINITY;
    CHECK_FAILS(ebm_nuts_new(energy, &p, &out), EBM_ERR_NON_FINITE, "ebm_nuts_new", "params.temperature");
    p = ebm_nuts_default_params();
    double masses[2] = {1, 0};
    p.mass = masses;
    p.mass_len = 2;
    CHECK_FAILS(ebm_nuts_new(energy, &p, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_nuts_new", "params.mass: element 1");
    masses[1] = NAN;
    CHECK_FAILS(ebm_nuts_new(energy, &p, &out), EBM_ERR_NON_FINITE, "ebm_nuts_new", "params.mass");
    p.mass = NULL;
    CHECK_FAILS(ebm_nuts_new(energy, &p, &out), EBM_ERR_NULL_POINTER, "ebm_nuts_new", "params.mass");
    p.mass_len = -1;
    CHECK_FAILS(ebm_nuts_new(energy, &p, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_nuts_new", "params.mass_len");
    p = ebm_nuts_default_params();
    p.adapt_steps = -1;
    CHECK_FAILS(ebm_nuts_new(energy, &p, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_nuts_new", "params.adapt_steps");
    p.adapt_steps = 10;
    p.target_accept = 1.0;
    CHECK_FAILS(ebm_nuts_new(energy, &p, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_nuts_new", "params.target_accept");
    p.target_accept = 0.8;
    p.step_size_schedule.kind = EBM_SCHEDULE_LINEAR;
    p.step_size_schedule.end_value = 0.01;
    p.step_size_schedule.n_steps = 10;
    CHECK_FAILS(ebm_nuts_new(energy, &p, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_nuts_new", "params.step_size_schedule");
    p = ebm_nuts_default_params();
    p.step_size_schedule.kind = 42;
    CHECK_FAILS(ebm_nuts_new(energy, &p, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_nuts_new", "params.step_size_schedule");
    p = ebm_nuts_default_params();
    p.rng = 7;
    CHECK_FAILS(ebm_nuts_new(energy, &p, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_nuts_new", "params.rng");
    p = ebm_nuts_default_params();
    p.rng = EBM_RNG_TORCH;
    p.first_chain = 3;
    CHECK_FAILS(ebm_nuts_new(energy, &p, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_nuts_new", "params.first_chain");
    CHECK(out == SENTINEL);
    /* A mass of the wrong length is found when the chains start. */
    double three[3] = {1, 2, 3};
    p = ebm_nuts_default_params();
    p.mass = three;
    p.mass_len = 3;
    ebm_sampler *s = NULL;
    CHECK_OK(ebm_nuts_new(energy, &p, &s));
    CHECK_FAILS(ebm_sampler_init_f64(s, NULL, 4, 2), EBM_ERR_DIMENSION_MISMATCH, "ebm_sampler_init_f64", "mass");
    ebm_sampler_free(s), ebm_energy_free(energy);
}

int main(void) {
    RUN(defaults_are_documented_values);
    RUN(samples_the_gaussian_and_reports_statistics);
    RUN(divergences_are_counted);
    RUN(max_tree_depth_caps_the_trees);
    RUN(seeds_reproduce_and_chains_are_independent_of_n);
    RUN(every_bad_parameter_is_refused);
    return CHECK_RESULT();
}
