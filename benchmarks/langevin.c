/* Times unadjusted Langevin through the C API, as a user would call it: one
 * ebm_sampler_sample_f32 call per repetition (n chains from N(0, I), n_steps steps).
 *
 * Usage: langevin_bench [repetitions] [threads] [min_seconds]
 * threads: ebm_set_num_threads (default: the library's); min_seconds: each repetition runs at
 * least this long (more steps than listed, measured once after the warm-up), so that timings
 * on a busy machine average over many scheduler time slices.
 * Prints one line per configuration: energy chains dim steps microseconds_per_step
 * (the median over the repetitions). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "torchebm.h"

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void check(ebm_status status) {
    if (status != EBM_OK) {
        fprintf(stderr, "%s\n", ebm_last_error_message());
        exit(1);
    }
}

static ebm_energy *make_energy(const char *name, int64_t dim) {
    ebm_energy *energy = NULL;
    if (name[0] == 'd') {
        check(ebm_energy_double_well_new(EBM_DOUBLE_WELL_DEFAULT_A, EBM_DOUBLE_WELL_DEFAULT_B, &energy));
    } else {
        double *mean = calloc((size_t)dim, sizeof(double)), *cov = calloc((size_t)(dim * dim), sizeof(double));
        for (int64_t i = 0; i < dim; i++) cov[i * dim + i] = 1.0;
        check(ebm_energy_gaussian_new(mean, cov, dim, &energy));
        free(mean), free(cov);
    }
    return energy;
}

int main(int argc, char **argv) {
    int repetitions = argc > 1 ? atoi(argv[1]) : 7;
    if (argc > 2) check(ebm_set_num_threads(atoi(argv[2])));
    double min_seconds = argc > 3 ? atof(argv[3]) : 0.0;
    const int64_t configs[][3] = {{1, 2, 1000}, {100, 2, 1000}, {10000, 2, 100}, {1000, 64, 100}, {200000, 2, 10}};
    const int n_configs = (int)(sizeof configs / sizeof configs[0]);
    const char *energies[] = {"double_well", "gaussian"};
    for (int e = 0; e < 2; e++) {
        for (int c = 0; c < n_configs; c++) {
            int64_t n = configs[c][0], dim = configs[c][1], steps = configs[c][2];
            ebm_energy *energy = make_energy(energies[e], dim);
            ebm_langevin_params params = ebm_langevin_default_params();
            ebm_sampler *sampler = NULL;
            check(ebm_langevin_new(energy, &params, &sampler));
            float *samples = malloc(sizeof(float) * (size_t)(n * dim));
            double *times = malloc(sizeof(double) * (size_t)repetitions);
            double warm_up = now_seconds();
            check(ebm_sampler_sample_f32(sampler, n, dim, steps, samples));
            warm_up = now_seconds() - warm_up;
            if (min_seconds > 0 && warm_up < min_seconds) {
                steps = (int64_t)((double)steps * min_seconds / (warm_up > 1e-9 ? warm_up : 1e-9)) + 1;
            }
            for (int r = 0; r < repetitions; r++) {
                double start = now_seconds();
                check(ebm_sampler_sample_f32(sampler, n, dim, steps, samples));
                times[r] = (now_seconds() - start) / (double)steps * 1e6;
            }
            qsort(times, (size_t)repetitions, sizeof(double), compare_doubles);
            printf("%s %lld %lld %lld %.4f\n", energies[e], (long long)n, (long long)dim, (long long)steps,
                   times[repetitions / 2]);
            fflush(stdout);
            free(samples), free(times);
            ebm_sampler_free(sampler);
            ebm_energy_free(energy);
        }
    }
    return 0;
}
