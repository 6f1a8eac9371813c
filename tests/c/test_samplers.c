/* Samplers through the C API: every function, float and double, the documented defaults,
 * diagnostics, reproducibility, cancellation, and every bad parameter. */
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

static void mean_of(const double *x, int64_t n, double out[2]) {
    out[0] = out[1] = 0;
    for (int64_t i = 0; i < n; i++) out[0] += x[2 * i] / (double)n, out[1] += x[2 * i + 1] / (double)n;
}

static void defaults_are_documented_values(void) {
    ebm_langevin_params l = ebm_langevin_default_params();
    CHECK(l.struct_size == sizeof l && l.step_size == 0.01 && l.noise_scale == 1.0 && l.clamp == 0);
    CHECK(l.step_size_schedule.kind == EBM_SCHEDULE_CONSTANT && l.seed == 0 && l.device == EBM_DEVICE_CPU);
    CHECK(l.rng == EBM_RNG_PER_CHAIN);
    ebm_mala_params m = ebm_mala_default_params();
    CHECK(m.struct_size == sizeof m && m.step_size == 0.01 && m.adapt_steps == 0 && m.target_accept == 0.574);
    ebm_hmc_params h = ebm_hmc_default_params();
    CHECK(h.struct_size == sizeof h && h.step_size == 0.001 && h.n_leapfrog_steps == 10 && h.mass == NULL);
    CHECK(h.mass_len == 0 && h.target_accept == 0.8);
    ebm_kinetic_langevin_params k = ebm_kinetic_langevin_default_params();
    CHECK(k.struct_size == sizeof k && k.step_size == 0.01 && k.friction == 1.0 && k.mass == NULL);
}

/* Each sampler, built with tuned parameters, lands on the Gaussian's mean (1, -2). */
static void every_sampler_reaches_the_target(void) {
    ebm_energy *energy = gaussian();
    ebm_sampler *samplers[4] = {NULL, NULL, NULL, NULL};
    ebm_langevin_params l = ebm_langevin_default_params();
    l.step_size = 0.1;
    CHECK_OK(ebm_langevin_new(energy, &l, &samplers[0]));
    ebm_mala_params m = ebm_mala_default_params();
    m.step_size = 0.4;
    CHECK_OK(ebm_mala_new(energy, &m, &samplers[1]));
    ebm_hmc_params h = ebm_hmc_default_params();
    h.step_size = 0.25;
    CHECK_OK(ebm_hmc_new(energy, &h, &samplers[2]));
    ebm_kinetic_langevin_params k = ebm_kinetic_langevin_default_params();
    k.step_size = 0.25;
    CHECK_OK(ebm_kinetic_langevin_new(energy, &k, &samplers[3]));
    ebm_energy_free(energy); /* the samplers keep it alive */
    const char *names[4] = {"langevin", "mala", "hmc", "kinetic_langevin"};
    enum { N = 4000 };
    static double x[N * 2];
    static float xf[N * 2];
    for (int s = 0; s < 4; s++) {
        CHECK(strcmp(ebm_sampler_name(samplers[s]), names[s]) == 0);
        double mean[2];
        CHECK_OK(ebm_sampler_sample_f64(samplers[s], N, 2, 300, x));
        mean_of(x, N, mean);
        CHECK_NEAR(mean[0], 1.0, 0.1);
        CHECK_NEAR(mean[1], -2.0, 0.15);
        CHECK_OK(ebm_sampler_sample_f32(samplers[s], N, 2, 300, xf));
        for (int i = 0; i < N * 2; i++) x[i] = xf[i];
        mean_of(x, N, mean);
        CHECK_NEAR(mean[0], 1.0, 0.1);
        CHECK_NEAR(mean[1], -2.0, 0.15);
        ebm_sampler_free(samplers[s]);
    }
    ebm_sampler_free(NULL);
    CHECK(ebm_sampler_name(NULL) == NULL);
}

static void incremental_runs_equal_one_run_and_seeds_reproduce(void) {
    ebm_energy *energy = gaussian();
    ebm_mala_params p = ebm_mala_default_params();
    p.step_size = 0.3;
    p.seed = 42;
    ebm_sampler *a = NULL, *b = NULL;
    CHECK_OK(ebm_mala_new(energy, &p, &a));
    CHECK_OK(ebm_mala_new(energy, &p, &b));
    float start[6] = {0, 0, 1, 1, -1, 2};
    CHECK_OK(ebm_sampler_init_f32(a, start, 3, 2));
    CHECK_OK(ebm_sampler_init_f32(b, start, 3, 2));
    CHECK_OK(ebm_sampler_run(a, 25));
    CHECK_OK(ebm_sampler_run(b, 10));
    CHECK_OK(ebm_sampler_run(b, 0));
    CHECK_OK(ebm_sampler_run(b, 15));
    float xa[6], xb[6];
    CHECK_OK(ebm_sampler_get_samples_f32(a, xa, 3, 2));
    CHECK_OK(ebm_sampler_get_samples_f32(b, xb, 3, 2));
    CHECK(memcmp(xa, xb, sizeof xa) == 0);
    /* Reseeding both and restarting gives identical chains again. */
    CHECK_OK(ebm_sampler_reseed(a, 7));
    CHECK_OK(ebm_sampler_reseed(b, 7));
    double ya[6], yb[6];
    CHECK_OK(ebm_sampler_sample_f64(a, 3, 2, 5, ya));
    CHECK_OK(ebm_sampler_sample_f64(b, 3, 2, 5, yb));
    CHECK(memcmp(ya, yb, sizeof ya) == 0);
    ebm_sampler_free(a), ebm_sampler_free(b), ebm_energy_free(energy);
}

static void sample_chain_writes_trajectory_and_final_states(void) {
    ebm_energy *energy = gaussian();
    ebm_langevin_params p = ebm_langevin_default_params();
    p.step_size = 0.1;
    ebm_sampler *s = NULL;
    CHECK_OK(ebm_langevin_new(energy, &p, &s));
    enum { N = 5, DIM = 2, STEPS = 7, THIN = 2, KEPT = STEPS / THIN };
    double initial[N * DIM] = {0}, final[N * DIM], trajectory[KEPT * N * DIM];
    CHECK_OK(ebm_sampler_sample_chain_f64(s, initial, N, DIM, STEPS, THIN, final, trajectory, KEPT * N * DIM));
    /* The same chains replayed step by step from a fresh sampler with the same seed. */
    ebm_sampler *replay = NULL;
    CHECK_OK(ebm_langevin_new(energy, &p, &replay));
    CHECK_OK(ebm_sampler_init_f64(replay, initial, N, DIM));
    double state[N * DIM];
    for (int k = 0; k < KEPT; k++) {
        CHECK_OK(ebm_sampler_run(replay, THIN));
        CHECK_OK(ebm_sampler_get_samples_f64(replay, state, N, DIM));
        CHECK(memcmp(state, trajectory + k * N * DIM, sizeof state) == 0);
    }
    CHECK_OK(ebm_sampler_run(replay, STEPS - KEPT * THIN));
    CHECK_OK(ebm_sampler_get_samples_f64(replay, state, N, DIM));
    CHECK(memcmp(state, final, sizeof state) == 0);
    /* float trajectories through run_trajectory. */
    float trajectory32[KEPT * N * DIM];
    CHECK_OK(ebm_sampler_run_trajectory_f32(s, STEPS, THIN, trajectory32, KEPT * N * DIM));
    double trajectory64[KEPT * N * DIM];
    CHECK_OK(ebm_sampler_run_trajectory_f64(s, STEPS, THIN, trajectory64, KEPT * N * DIM));
    ebm_sampler_stats stats;
    CHECK_OK(ebm_sampler_get_stats(s, &stats, sizeof stats));
    CHECK(stats.steps == 3 * STEPS && stats.n_chains == N && stats.dim == DIM);
    ebm_sampler_free(s), ebm_sampler_free(replay), ebm_energy_free(energy);
}

static void step_moves_points_in_place(void) {
    ebm_energy *energy = gaussian();
    ebm_kinetic_langevin_params p = ebm_kinetic_langevin_default_params();
    ebm_sampler *s = NULL;
    CHECK_OK(ebm_kinetic_langevin_new(energy, &p, &s));
    double x[4] = {0, 0, 5, 5};
    float xf[4] = {0, 0, 5, 5};
    CHECK_OK(ebm_sampler_step_f64(s, x, 2, 2));
    CHECK_OK(ebm_sampler_step_f32(s, xf, 2, 2));
    CHECK(x[2] != 5 && xf[2] != 5);
    ebm_sampler_free(s), ebm_energy_free(energy);
}

static void diagnostics_report_acceptance_energy_and_failures(void) {
    ebm_energy *energy = gaussian();
    ebm_mala_params p = ebm_mala_default_params();
    p.step_size = 0.4;
    ebm_sampler *mala = NULL;
    CHECK_OK(ebm_mala_new(energy, &p, &mala));
    double x[2000];
    CHECK_OK(ebm_sampler_sample_f64(mala, 1000, 2, 50, x));
    ebm_sampler_stats stats;
    CHECK_OK(ebm_sampler_get_stats(mala, &stats, sizeof stats));
    CHECK(stats.mean_acceptance > 0.5 && stats.mean_acceptance < 1.0);
    CHECK(stats.non_finite_chains == 0 && stats.step_size == 0.4);
    CHECK_NEAR(stats.mean_energy, 1.0, 0.15); /* E[E] = dim / 2 */
    double rates[1000], mean_rate = 0;
    CHECK_OK(ebm_sampler_get_acceptance_rates(mala, rates, 1000));
    for (int i = 0; i < 1000; i++) mean_rate += rates[i] / 1000;
    CHECK_NEAR(mean_rate, stats.mean_acceptance, 1e-12);
    int64_t length = -1;
    CHECK_OK(ebm_sampler_get_energy_trace(mala, NULL, 0, &length));
    CHECK(length == 50);
    double trace[60];
    CHECK_OK(ebm_sampler_get_energy_trace(mala, trace, 60, &length));
    CHECK(length == 50 && trace[0] > trace[49]); /* from N(0, I), energy falls */
    uint8_t flags[1000];
    CHECK_OK(ebm_sampler_get_non_finite_chains(mala, flags, 1000));
    for (int i = 0; i < 1000; i++) CHECK(flags[i] == 0);
    /* Langevin has no accept/reject: acceptance is NaN, the rates an error. */
    ebm_langevin_params lp = ebm_langevin_default_params();
    ebm_sampler *ula = NULL;
    CHECK_OK(ebm_langevin_new(energy, &lp, &ula));
    CHECK_OK(ebm_sampler_sample_f64(ula, 1000, 2, 5, x));
    CHECK_OK(ebm_sampler_get_stats(ula, &stats, sizeof stats));
    CHECK(isnan(stats.mean_acceptance));
    CHECK_FAILS(ebm_sampler_get_acceptance_rates(ula, rates, 1000), EBM_ERR_INVALID_ARGUMENT,
                "ebm_sampler_get_acceptance_rates", "no accept/reject");
    ebm_sampler_free(mala), ebm_sampler_free(ula), ebm_energy_free(energy);
}

static void diverging_chains_are_flagged(void) {
    ebm_energy *well = NULL;
    CHECK_OK(ebm_energy_double_well_new(1, 2, &well));
    ebm_langevin_params p = ebm_langevin_default_params();
    p.step_size = 0.05;
    p.noise_scale = 1e-6;
    ebm_sampler *s = NULL;
    CHECK_OK(ebm_langevin_new(well, &p, &s));
    double start[3] = {1.4, 80, 0.5}, x[3];
    CHECK_OK(ebm_sampler_init_f64(s, start, 3, 1));
    CHECK_OK(ebm_sampler_run(s, 30));
    uint8_t flags[3];
    CHECK_OK(ebm_sampler_get_non_finite_chains(s, flags, 3));
    CHECK(flags[0] == 0 && flags[1] == 1 && flags[2] == 0);
    ebm_sampler_stats stats;
    CHECK_OK(ebm_sampler_get_stats(s, &stats, sizeof stats));
    CHECK(stats.non_finite_chains == 1 && isfinite(stats.mean_energy));
    CHECK_OK(ebm_sampler_get_samples_f64(s, x, 3, 1));
    CHECK(isfinite(x[1])); /* frozen at its last finite state */
    ebm_sampler_free(s), ebm_energy_free(well);
}

typedef struct {
    int calls;
    int64_t last_done;
    int freed;
} progress_log;

static int32_t stop_after_twenty(int64_t done, int64_t total, double mean_energy, void *user_data) {
    progress_log *log = user_data;
    log->calls++;
    log->last_done = done;
    if (total == 100 && isfinite(mean_energy) && done < 20) return EBM_PROGRESS_CONTINUE;
    ebm_callback_set_error("the host asked to stop");
    return EBM_PROGRESS_CANCEL;
}

/* Code written before the named values returned any nonzero int to cancel: it still does. */
static int32_t cancel_with_minus_one_at_ten(int64_t done, int64_t total, double mean_energy, void *user_data) {
    (void)total, (void)mean_energy, (void)user_data;
    return done >= 10 ? -1 : 0;
}

static void count_progress_free(void *user_data) { ((progress_log *)user_data)->freed++; }

static void progress_callback_can_cancel(void) {
    ebm_energy *energy = gaussian();
    ebm_langevin_params p = ebm_langevin_default_params();
    ebm_sampler *s = NULL;
    CHECK_OK(ebm_langevin_new(energy, &p, &s));
    progress_log log = {0, 0, 0};
    CHECK_OK(ebm_sampler_set_progress_callback(s, stop_after_twenty, 5, &log, count_progress_free));
    CHECK_OK(ebm_sampler_init_f64(s, NULL, 10, 2));
    CHECK_FAILS(ebm_sampler_run(s, 100), EBM_ERR_CANCELLED, "ebm_sampler_run", "after 20 of 100 steps");
    CHECK(strstr(ebm_last_error_message(), "after 20 of 100 steps: the host asked to stop") != NULL);
    CHECK(log.calls == 4 && log.last_done == 20 && log.freed == 0);
    ebm_sampler_stats stats;
    CHECK_OK(ebm_sampler_get_stats(s, &stats, sizeof stats));
    CHECK(stats.steps == 20);
    /* Removing the callback releases its user_data, once. */
    CHECK_OK(ebm_sampler_set_progress_callback(s, NULL, 0, NULL, NULL));
    CHECK(log.freed == 1);
    CHECK_OK(ebm_sampler_run(s, 100));
    CHECK(log.calls == 4);
    /* Replacing it releases the old one; freeing the sampler releases the current one. */
    progress_log second = {0, 0, 0};
    CHECK_OK(ebm_sampler_set_progress_callback(s, stop_after_twenty, 50, &log, count_progress_free));
    CHECK_OK(ebm_sampler_set_progress_callback(s, stop_after_twenty, 50, &second, count_progress_free));
    CHECK(log.freed == 2 && second.freed == 0);
    /* A failed call does not take user_data. */
    progress_log rejected = {0, 0, 0};
    CHECK_FAILS(ebm_sampler_set_progress_callback(s, stop_after_twenty, 0, &rejected, count_progress_free),
                EBM_ERR_INVALID_ARGUMENT, "ebm_sampler_set_progress_callback", "interval");
    CHECK(rejected.freed == 0 && second.freed == 0);
    ebm_sampler_free(s), ebm_energy_free(energy);
    CHECK(second.freed == 1 && log.freed == 2);
}

static void progress_values_are_named_and_any_nonzero_cancels(void) {
    CHECK(EBM_PROGRESS_CONTINUE == 0 && EBM_PROGRESS_CANCEL == 1);
    ebm_energy *energy = gaussian();
    ebm_langevin_params p = ebm_langevin_default_params();
    ebm_sampler *s = NULL;
    CHECK_OK(ebm_langevin_new(energy, &p, &s));
    CHECK_OK(ebm_sampler_set_progress_callback(s, cancel_with_minus_one_at_ten, 2, NULL, NULL));
    CHECK_OK(ebm_sampler_init_f64(s, NULL, 4, 2));
    CHECK_FAILS(ebm_sampler_run(s, 50), EBM_ERR_CANCELLED, "ebm_sampler_run", "after 10 of 50 steps");
    ebm_sampler_stats stats;
    CHECK_OK(ebm_sampler_get_stats(s, &stats, sizeof stats));
    CHECK(stats.steps == 10);
    ebm_sampler_free(s), ebm_energy_free(energy);
}

static void schedules_clamp_and_adaptation_from_c(void) {
    ebm_energy *energy = gaussian();
    ebm_langevin_params p = ebm_langevin_default_params();
    p.step_size = 0.2;
    p.step_size_schedule.kind = EBM_SCHEDULE_COSINE;
    p.step_size_schedule.end_value = 0.1;
    p.step_size_schedule.n_steps = 10;
    p.clamp = 1;
    p.clamp_min = -1;
    p.clamp_max = 0.5;
    ebm_sampler *s = NULL;
    CHECK_OK(ebm_langevin_new(energy, &p, &s));
    double x[200];
    CHECK_OK(ebm_sampler_sample_f64(s, 100, 2, 5, x));
    ebm_sampler_stats stats;
    CHECK_OK(ebm_sampler_get_stats(s, &stats, sizeof stats));
    CHECK_NEAR(stats.step_size, 0.15, 1e-12); /* halfway along the cosine */
    for (int i = 0; i < 200; i++) CHECK(x[i] >= -1 && x[i] <= 0.5);
    ebm_sampler_free(s);
    ebm_hmc_params h = ebm_hmc_default_params();
    h.adapt_steps = 300;
    h.n_leapfrog_steps = 5;
    ebm_sampler *hmc = NULL;
    CHECK_OK(ebm_hmc_new(energy, &h, &hmc));
    double y[2000];
    CHECK_OK(ebm_sampler_sample_f64(hmc, 1000, 2, 300, y));
    CHECK_OK(ebm_sampler_get_stats(hmc, &stats, sizeof stats));
    CHECK(stats.step_size > 0.05); /* grown from 0.001 toward acceptance 0.8 */
    ebm_sampler_free(hmc), ebm_energy_free(energy);
}

static void torch_generator_reproduces_itself(void) {
    ebm_energy *energy = gaussian();
    ebm_langevin_params p = ebm_langevin_default_params();
    p.rng = EBM_RNG_TORCH;
    p.seed = 123;
    ebm_sampler *a = NULL, *b = NULL;
    CHECK_OK(ebm_langevin_new(energy, &p, &a));
    CHECK_OK(ebm_langevin_new(energy, &p, &b));
    float xa[40], xb[40];
    CHECK_OK(ebm_sampler_sample_f32(a, 20, 2, 10, xa));
    CHECK_OK(ebm_sampler_sample_f32(b, 20, 2, 10, xb));
    CHECK(memcmp(xa, xb, sizeof xa) == 0);
    ebm_sampler_free(a), ebm_sampler_free(b), ebm_energy_free(energy);
}

/* E(x) = |x - 3|^2 / 2 from C, without a gradient callback (finite differences). */
static int32_t shifted_bowl(const double *x, int64_t n, int64_t dim, double *energy_out, void *user_data) {
    (void)user_data;
    for (int64_t i = 0; i < n; i++) {
        energy_out[i] = 0;
        for (int64_t j = 0; j < dim; j++) energy_out[i] += 0.5 * (x[i * dim + j] - 3) * (x[i * dim + j] - 3);
    }
    return 0;
}

static void samplers_run_on_callback_energies(void) {
    ebm_energy *bowl = NULL;
    CHECK_OK(ebm_energy_callback_new(2, shifted_bowl, NULL, NULL, NULL, &bowl));
    ebm_mala_params p = ebm_mala_default_params();
    p.step_size = 0.5;
    ebm_sampler *s = NULL;
    CHECK_OK(ebm_mala_new(bowl, &p, &s));
    enum { N = 2000 };
    static double x[N * 2];
    CHECK_OK(ebm_sampler_sample_f64(s, N, 2, 200, x));
    double mean[2], second = 0;
    mean_of(x, N, mean);
    for (int i = 0; i < N * 2; i++) second += (x[i] - 3) * (x[i] - 3) / (2.0 * N);
    CHECK_NEAR(mean[0], 3.0, 0.12);
    CHECK_NEAR(mean[1], 3.0, 0.12);
    CHECK_NEAR(second, 1.0, 0.1);
    ebm_sampler_free(s), ebm_energy_free(bowl);
}

/* ---- bad input: each case its own status and a message naming the argument ---- */

static void null_handles_and_pointers(void) {
    ebm_energy *energy = gaussian();
    ebm_langevin_params p = ebm_langevin_default_params();
    ebm_sampler *out = SENTINEL;
    CHECK_FAILS(ebm_langevin_new(NULL, &p, &out), EBM_ERR_NULL_POINTER, "ebm_langevin_new", "energy");
    CHECK_FAILS(ebm_langevin_new(energy, NULL, &out), EBM_ERR_NULL_POINTER, "ebm_langevin_new", "params");
    CHECK_FAILS(ebm_langevin_new(energy, &p, NULL), EBM_ERR_NULL_POINTER, "ebm_langevin_new", "out");
    CHECK(out == SENTINEL);
    double x[4];
    CHECK_FAILS(ebm_sampler_run(NULL, 1), EBM_ERR_NULL_POINTER, "ebm_sampler_run", "sampler");
    CHECK_FAILS(ebm_sampler_init_f64(NULL, NULL, 2, 2), EBM_ERR_NULL_POINTER, "ebm_sampler_init_f64", "sampler");
    CHECK_FAILS(ebm_sampler_get_samples_f64(NULL, x, 2, 2), EBM_ERR_NULL_POINTER, "ebm_sampler_get_samples_f64",
                "sampler");
    ebm_sampler *s = NULL;
    CHECK_OK(ebm_langevin_new(energy, &p, &s));
    CHECK_OK(ebm_sampler_init_f64(s, NULL, 2, 2));
    CHECK_FAILS(ebm_sampler_get_samples_f64(s, NULL, 2, 2), EBM_ERR_NULL_POINTER, "ebm_sampler_get_samples_f64",
                "samples_out");
    CHECK_FAILS(ebm_sampler_run_trajectory_f64(s, 4, 1, NULL, 16), EBM_ERR_NULL_POINTER,
                "ebm_sampler_run_trajectory_f64", "trajectory");
    CHECK_FAILS(ebm_sampler_get_stats(s, NULL, sizeof(ebm_sampler_stats)), EBM_ERR_NULL_POINTER,
                "ebm_sampler_get_stats", "out");
    CHECK_FAILS(ebm_sampler_get_energy_trace(s, NULL, 0, NULL), EBM_ERR_NULL_POINTER,
                "ebm_sampler_get_energy_trace", "length_out");
    CHECK_FAILS(ebm_sampler_step_f64(s, NULL, 2, 2), EBM_ERR_NULL_POINTER, "ebm_sampler_step_f64", "x");
    ebm_sampler_free(s), ebm_energy_free(energy);
}

static void params_struct_size_checked(void) {
    ebm_energy *energy = gaussian();
    ebm_mala_params p = ebm_mala_default_params();
    p.struct_size = sizeof p - 8;
    ebm_sampler *out = SENTINEL;
    CHECK_FAILS(ebm_mala_new(energy, &p, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_mala_new", "params.struct_size");
    CHECK(out == SENTINEL);
    ebm_energy_free(energy);
}

static void non_positive_or_non_finite_step_size(void) {
    ebm_energy *energy = gaussian();
    ebm_sampler *out = SENTINEL;
    ebm_langevin_params l = ebm_langevin_default_params();
    l.step_size = 0;
    CHECK_FAILS(ebm_langevin_new(energy, &l, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_langevin_new", "params.step_size");
    l.step_size = -0.1;
    CHECK_FAILS(ebm_langevin_new(energy, &l, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_langevin_new", "params.step_size");
    l.step_size = NAN;
    CHECK_FAILS(ebm_langevin_new(energy, &l, &out), EBM_ERR_NON_FINITE, "ebm_langevin_new", "params.step_size");
    l = ebm_langevin_default_params();
    l.noise_scale = 0;
    CHECK_FAILS(ebm_langevin_new(energy, &l, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_langevin_new", "params.noise_scale");
    ebm_mala_params m = ebm_mala_default_params();
    m.step_size = INFINITY;
    CHECK_FAILS(ebm_mala_new(energy, &m, &out), EBM_ERR_NON_FINITE, "ebm_mala_new", "params.step_size");
    ebm_hmc_params h = ebm_hmc_default_params();
    h.step_size = 0;
    CHECK_FAILS(ebm_hmc_new(energy, &h, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_hmc_new", "params.step_size");
    ebm_kinetic_langevin_params k = ebm_kinetic_langevin_default_params();
    k.step_size = -1;
    CHECK_FAILS(ebm_kinetic_langevin_new(energy, &k, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_kinetic_langevin_new",
                "params.step_size");
    k = ebm_kinetic_langevin_default_params();
    k.friction = 0;
    CHECK_FAILS(ebm_kinetic_langevin_new(energy, &k, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_kinetic_langevin_new",
                "params.friction");
    CHECK(out == SENTINEL);
    ebm_energy_free(energy);
}

static void zero_leapfrog_steps(void) {
    ebm_energy *energy = gaussian();
    ebm_hmc_params h = ebm_hmc_default_params();
    h.n_leapfrog_steps = 0;
    ebm_sampler *out = SENTINEL;
    CHECK_FAILS(ebm_hmc_new(energy, &h, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_hmc_new", "params.n_leapfrog_steps");
    h.n_leapfrog_steps = -3;
    CHECK_FAILS(ebm_hmc_new(energy, &h, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_hmc_new", "params.n_leapfrog_steps");
    CHECK(out == SENTINEL);
    ebm_energy_free(energy);
}

static void bad_masses(void) {
    ebm_energy *energy = gaussian();
    ebm_sampler *out = SENTINEL;
    ebm_hmc_params h = ebm_hmc_default_params();
    double masses[3] = {1, -2, 1};
    h.mass = masses;
    h.mass_len = 3;
    CHECK_FAILS(ebm_hmc_new(energy, &h, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_hmc_new", "params.mass: element 1");
    h.mass = NULL;
    CHECK_FAILS(ebm_hmc_new(energy, &h, &out), EBM_ERR_NULL_POINTER, "ebm_hmc_new", "params.mass");
    h.mass_len = -1;
    CHECK_FAILS(ebm_hmc_new(energy, &h, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_hmc_new", "params.mass_len");
    CHECK(out == SENTINEL);
    double three[3] = {1, 2, 3};
    ebm_kinetic_langevin_params k = ebm_kinetic_langevin_default_params();
    k.mass = three;
    k.mass_len = 3;
    ebm_sampler *s = NULL;
    CHECK_OK(ebm_kinetic_langevin_new(energy, &k, &s));
    CHECK_FAILS(ebm_sampler_init_f64(s, NULL, 4, 2), EBM_ERR_DIMENSION_MISMATCH, "ebm_sampler_init_f64", "mass");
    ebm_sampler_free(s), ebm_energy_free(energy);
}

static void bad_adaptation_schedule_clamp_rng_and_device(void) {
    ebm_energy *energy = gaussian();
    ebm_sampler *out = SENTINEL;
    ebm_mala_params m = ebm_mala_default_params();
    m.adapt_steps = -1;
    CHECK_FAILS(ebm_mala_new(energy, &m, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_mala_new", "params.adapt_steps");
    m.adapt_steps = 10;
    m.target_accept = 1.5;
    CHECK_FAILS(ebm_mala_new(energy, &m, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_mala_new", "params.target_accept");
    m.target_accept = 0.5;
    m.step_size_schedule.kind = EBM_SCHEDULE_LINEAR;
    m.step_size_schedule.end_value = 0.1;
    m.step_size_schedule.n_steps = 10;
    CHECK_FAILS(ebm_mala_new(energy, &m, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_mala_new", "params.step_size_schedule");
    ebm_langevin_params l = ebm_langevin_default_params();
    l.step_size_schedule.kind = 99;
    CHECK_FAILS(ebm_langevin_new(energy, &l, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_langevin_new",
                "params.step_size_schedule: kind 99");
    l = ebm_langevin_default_params();
    l.noise_scale_schedule.kind = EBM_SCHEDULE_COSINE;
    l.noise_scale_schedule.end_value = 0.5;
    l.noise_scale_schedule.n_steps = 0;
    CHECK_FAILS(ebm_langevin_new(energy, &l, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_langevin_new",
                "params.noise_scale_schedule");
    l = ebm_langevin_default_params();
    l.step_size_schedule.kind = EBM_SCHEDULE_EXPONENTIAL_DECAY;
    l.step_size_schedule.decay_rate = 1.5;
    l.step_size_schedule.min_value = 0.001;
    CHECK_FAILS(ebm_langevin_new(energy, &l, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_langevin_new", "decay_rate");
    l = ebm_langevin_default_params();
    l.clamp = 1;
    l.clamp_min = 1;
    l.clamp_max = 1;
    CHECK_FAILS(ebm_langevin_new(energy, &l, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_langevin_new", "params.clamp_min");
    l.clamp_max = NAN;
    CHECK_FAILS(ebm_langevin_new(energy, &l, &out), EBM_ERR_NON_FINITE, "ebm_langevin_new", "params.clamp_max");
    l = ebm_langevin_default_params();
    l.rng = 5;
    CHECK_FAILS(ebm_langevin_new(energy, &l, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_langevin_new", "params.rng");
    l = ebm_langevin_default_params();
    l.device = ebm_cuda_device_count();
    CHECK_FAILS(ebm_langevin_new(energy, &l, &out), EBM_ERR_DEVICE_UNAVAILABLE, "ebm_langevin_new", "params.device");
    CHECK(out == SENTINEL);
    ebm_energy_free(energy);
}

static void running_without_chains_or_with_bad_counts(void) {
    ebm_energy *energy = gaussian();
    ebm_langevin_params p = ebm_langevin_default_params();
    ebm_sampler *s = NULL;
    CHECK_OK(ebm_langevin_new(energy, &p, &s));
    double x[8], trajectory[8];
    CHECK_FAILS(ebm_sampler_run(s, 1), EBM_ERR_INVALID_ARGUMENT, "ebm_sampler_run", "sampler: has no chains");
    CHECK_FAILS(ebm_sampler_get_samples_f64(s, x, 2, 2), EBM_ERR_INVALID_ARGUMENT, "ebm_sampler_get_samples_f64",
                "sampler");
    CHECK_FAILS(ebm_sampler_init_f64(s, NULL, 0, 2), EBM_ERR_INVALID_ARGUMENT, "ebm_sampler_init_f64", "n");
    CHECK_FAILS(ebm_sampler_init_f64(s, NULL, 2, 3), EBM_ERR_DIMENSION_MISMATCH, "ebm_sampler_init_f64",
                "energy 'gaussian' needs dim 2");
    CHECK_OK(ebm_sampler_init_f64(s, NULL, 2, 2));
    CHECK_FAILS(ebm_sampler_run(s, -1), EBM_ERR_INVALID_ARGUMENT, "ebm_sampler_run", "n_steps");
    CHECK_FAILS(ebm_sampler_run_trajectory_f64(s, 4, 0, trajectory, 8), EBM_ERR_INVALID_ARGUMENT,
                "ebm_sampler_run_trajectory_f64", "thin");
    CHECK_FAILS(ebm_sampler_get_samples_f64(s, x, 3, 2), EBM_ERR_LENGTH_MISMATCH, "ebm_sampler_get_samples_f64",
                "samples_out");
    uint8_t flags[3];
    CHECK_FAILS(ebm_sampler_get_non_finite_chains(s, flags, 3), EBM_ERR_LENGTH_MISMATCH,
                "ebm_sampler_get_non_finite_chains", "n");
    ebm_sampler_stats stats;
    CHECK_FAILS(ebm_sampler_get_stats(s, &stats, sizeof stats - 1), EBM_ERR_INVALID_ARGUMENT, "ebm_sampler_get_stats",
                "out_size");
    CHECK_FAILS(ebm_sampler_set_progress_callback(s, stop_after_twenty, 0, NULL, NULL), EBM_ERR_INVALID_ARGUMENT,
                "ebm_sampler_set_progress_callback", "interval");
    ebm_sampler_free(s), ebm_energy_free(energy);
}

static void trajectory_buffer_too_small(void) {
    ebm_energy *energy = gaussian();
    ebm_langevin_params p = ebm_langevin_default_params();
    ebm_sampler *s = NULL;
    CHECK_OK(ebm_langevin_new(energy, &p, &s));
    CHECK_OK(ebm_sampler_init_f64(s, NULL, 3, 2));
    double trajectory[23], final[6];
    CHECK_FAILS(ebm_sampler_run_trajectory_f64(s, 8, 2, trajectory, 23), EBM_ERR_LENGTH_MISMATCH,
                "ebm_sampler_run_trajectory_f64", "trajectory: holds 23 values, 4 kept steps of 3 chains of dim 2 need 24");
    ebm_sampler_stats stats;
    CHECK_OK(ebm_sampler_get_stats(s, &stats, sizeof stats));
    CHECK(stats.steps == 0); /* nothing ran */
    CHECK_FAILS(ebm_sampler_sample_chain_f64(s, NULL, 3, 2, 8, 2, final, trajectory, 23), EBM_ERR_LENGTH_MISMATCH,
                "ebm_sampler_sample_chain_f64", "trajectory");
    ebm_sampler_free(s), ebm_energy_free(energy);
}

static void overlapping_buffers(void) {
    ebm_energy *energy = gaussian();
    ebm_langevin_params p = ebm_langevin_default_params();
    ebm_sampler *s = NULL;
    CHECK_OK(ebm_langevin_new(energy, &p, &s));
    double buffer[40] = {0};
    CHECK_FAILS(ebm_sampler_sample_chain_f64(s, buffer, 2, 2, 4, 1, buffer + 2, NULL, 0), EBM_ERR_INVALID_ARGUMENT,
                "ebm_sampler_sample_chain_f64", "samples_out: overlaps initial");
    CHECK_FAILS(ebm_sampler_sample_chain_f64(s, NULL, 2, 2, 4, 1, buffer, buffer + 3, 16), EBM_ERR_INVALID_ARGUMENT,
                "ebm_sampler_sample_chain_f64", "trajectory: overlaps samples_out");
    ebm_sampler_free(s), ebm_energy_free(energy);
}

/* Per-chain streams: chains [a, b) run with first_chain = a equal chains [a, b) of one run
 * of every chain, bit for bit, whatever the number of chains (a block boundary at 256 once
 * broke this). */
static void shards_with_first_chain_equal_one_run(void) {
    ebm_energy *energy = gaussian();
    enum { N = 257, DIM = 2, STEPS = 9 };
    static double all[N * DIM], piece[N * DIM];
    ebm_hmc_params p = ebm_hmc_default_params();
    p.step_size = 0.2;
    p.n_leapfrog_steps = 3;
    p.seed = 11;
    ebm_sampler *s = NULL;
    CHECK_OK(ebm_hmc_new(energy, &p, &s));
    CHECK_OK(ebm_sampler_sample_f64(s, N, DIM, STEPS, all));
    ebm_sampler_free(s);
    const int64_t bounds[] = {0, 1, 2, 255, 256, N};
    for (int k = 0; k + 1 < (int)(sizeof bounds / sizeof bounds[0]); k++) {
        p.first_chain = (uint64_t)bounds[k];
        int64_t n = bounds[k + 1] - bounds[k];
        CHECK_OK(ebm_hmc_new(energy, &p, &s));
        CHECK_OK(ebm_sampler_sample_f64(s, n, DIM, STEPS, piece));
        CHECK(memcmp(piece, all + bounds[k] * DIM, sizeof(double) * (size_t)(n * DIM)) == 0);
        ebm_sampler_free(s);
    }
    /* Only per-chain streams on the CPU can honour an offset. */
    ebm_langevin_params torch = ebm_langevin_default_params();
    torch.rng = EBM_RNG_TORCH;
    torch.first_chain = 3;
    CHECK_FAILS(ebm_langevin_new(energy, &torch, &s), EBM_ERR_INVALID_ARGUMENT, "ebm_langevin_new",
                "params.first_chain");
    ebm_energy_free(energy);
}

int main(void) {
    RUN(defaults_are_documented_values);
    RUN(every_sampler_reaches_the_target);
    RUN(incremental_runs_equal_one_run_and_seeds_reproduce);
    RUN(shards_with_first_chain_equal_one_run);
    RUN(sample_chain_writes_trajectory_and_final_states);
    RUN(step_moves_points_in_place);
    RUN(diagnostics_report_acceptance_energy_and_failures);
    RUN(diverging_chains_are_flagged);
    RUN(progress_callback_can_cancel);
    RUN(progress_values_are_named_and_any_nonzero_cancels);
    RUN(schedules_clamp_and_adaptation_from_c);
    RUN(torch_generator_reproduces_itself);
    RUN(samplers_run_on_callback_energies);
    RUN(null_handles_and_pointers);
    RUN(params_struct_size_checked);
    RUN(non_positive_or_non_finite_step_size);
    RUN(zero_leapfrog_steps);
    RUN(bad_masses);
    RUN(bad_adaptation_schedule_clamp_rng_and_device);
    RUN(running_without_chains_or_with_bad_counts);
    RUN(trajectory_buffer_too_small);
    RUN(overlapping_buffers);
    return CHECK_RESULT();
}
