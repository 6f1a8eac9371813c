/* Effective samples per second on the 10-D anisotropic Gaussian (standard deviations
 * 0.1 .. 10, log-spaced), the standard test of a sampler's efficiency: for MALA, HMC and NUTS,
 * CHAINS chains warm up for WARMUP steps (step size adapted by dual averaging to the
 * sampler's usual target acceptance; "+mass": Stan's windowed warm-up of a diagonal mass as
 * well), then DRAWS more steps are timed and kept; the figure is the smallest bulk ESS over the
 * 10 coordinates (ebm_diagnostics_ess_bulk_f64, ArviZ's estimator) divided by the timed
 * seconds. Arguments: [chains] [draws] [warmup]. */
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <torchebm.h>

enum { DIM = 10 };

static void check(ebm_status status, const char *call) {
    if (status != EBM_OK) {
        fprintf(stderr, "%s failed: %s\n", call, ebm_last_error_message());
        exit(1);
    }
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Warms up, then times `draws` kept steps; prints one table row. */
static void measure(const char *name, ebm_sampler *s, int64_t chains, int64_t draws, int64_t warmup) {
    double *trajectory = malloc(sizeof(double) * (size_t)(draws * chains * DIM));
    check(ebm_sampler_init_f64(s, NULL, chains, DIM), "ebm_sampler_init_f64");
    check(ebm_sampler_run(s, warmup), "warm-up");
    double start = now();
    check(ebm_sampler_run_trajectory_f64(s, draws, 1, trajectory, draws * chains * DIM), "run_trajectory");
    double seconds = now() - start;
    double ess[DIM], worst = 1e300;
    check(ebm_diagnostics_ess_bulk_f64(trajectory, draws, chains, DIM, ess), "ebm_diagnostics_ess_bulk_f64");
    for (int j = 0; j < DIM; j++) worst = ess[j] < worst ? ess[j] : worst;
    ebm_sampler_stats stats;
    check(ebm_sampler_get_stats(s, &stats, sizeof stats), "ebm_sampler_get_stats");
    printf("%-10s %8.4f %7.3f %9.0f %10.0f %8.2f\n", name, stats.step_size, stats.mean_acceptance, worst, worst / seconds,
           seconds);
    free(trajectory);
}

int main(int argc, char **argv) {
    int64_t chains = argc > 1 ? atoll(argv[1]) : 16;
    int64_t draws = argc > 2 ? atoll(argv[2]) : 2000;
    int64_t warmup = argc > 3 ? atoll(argv[3]) : 1000;
    double mean[DIM] = {0}, cov[DIM * DIM] = {0};
    for (int j = 0; j < DIM; j++) {
        double sd = 0.1 * pow(100.0, (double)j / (DIM - 1));
        cov[j * DIM + j] = sd * sd;
    }
    ebm_energy *gaussian = NULL;
    check(ebm_energy_gaussian_new(mean, cov, DIM, &gaussian), "ebm_energy_gaussian_new");
    printf("10-D Gaussian, sd 0.1..10: %lld chains, %lld warm-up steps, %lld timed draws\n", (long long)chains,
           (long long)warmup, (long long)draws);
    printf("%-10s %8s %7s %9s %10s %8s\n", "sampler", "step", "accept", "min ESS", "ESS/s", "seconds");

    ebm_sampler *s = NULL;
    ebm_mala_params mala = ebm_mala_default_params();
    mala.adapt_steps = warmup;
    mala.seed = 1;
    check(ebm_mala_new(gaussian, &mala, &s), "ebm_mala_new");
    measure("mala", s, chains, draws, warmup);
    ebm_sampler_free(s);

    ebm_hmc_params hmc = ebm_hmc_default_params();
    hmc.step_size = 0.05;
    hmc.n_leapfrog_steps = 10;
    hmc.adapt_steps = warmup;
    hmc.seed = 1;
    check(ebm_hmc_new(gaussian, &hmc, &s), "ebm_hmc_new");
    measure("hmc", s, chains, draws, warmup);
    ebm_sampler_free(s);

    hmc.adapt_mass = EBM_ADAPT_MASS_DIAGONAL;
    check(ebm_hmc_new(gaussian, &hmc, &s), "ebm_hmc_new");
    measure("hmc+mass", s, chains, draws, warmup);
    ebm_sampler_free(s);

    ebm_nuts_params nuts = ebm_nuts_default_params();
    nuts.adapt_steps = warmup;
    nuts.seed = 1;
    check(ebm_nuts_new(gaussian, &nuts, &s), "ebm_nuts_new");
    measure("nuts", s, chains, draws, warmup);
    ebm_sampler_free(s);

    nuts.adapt_mass = EBM_ADAPT_MASS_DIAGONAL;
    check(ebm_nuts_new(gaussian, &nuts, &s), "ebm_nuts_new");
    measure("nuts+mass", s, chains, draws, warmup);
    ebm_sampler_free(s);

    ebm_energy_free(gaussian);
    return 0;
}
