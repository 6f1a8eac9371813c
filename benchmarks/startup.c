/* The programs whose start-up benchmarks/startup.py times: each does one small thing through
 * the C API, as an embedding host would, then exits.
 *
 * Usage: startup_bench version | analytic | callback | cuda
 *   version   only calls ebm_version()
 *   analytic  samples a double well with Langevin: 16 chains of dim 2, 100 steps
 *   callback  the same with a C callback energy (the double well's formula)
 *   cuda      asks ebm_cuda_is_available(), which loads libtorch's CUDA backend
 * (benchmarks/dlopen.c loads libtorch's own libraries alone, for comparison.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torchebm.h"

static void check(ebm_status status) {
    if (status != EBM_OK) {
        fprintf(stderr, "%s\n", ebm_last_error_message());
        exit(1);
    }
}

static int32_t double_well(const double *x, int64_t n, int64_t dim, double *energy_out, void *user_data) {
    (void)user_data;
    for (int64_t i = 0; i < n; i++) {
        double e = 0;
        for (int64_t j = 0; j < dim; j++) {
            double u = x[i * dim + j] * x[i * dim + j] - 2.0;
            e += u * u;
        }
        energy_out[i] = e;
    }
    return 0;
}

static int sample(ebm_energy *energy) {
    enum { CHAINS = 16, DIM = 2, STEPS = 100 };
    double x[CHAINS * DIM];
    ebm_langevin_params params = ebm_langevin_default_params();
    ebm_sampler *sampler = NULL;
    check(ebm_langevin_new(energy, &params, &sampler));
    check(ebm_sampler_sample_f64(sampler, CHAINS, DIM, STEPS, x));
    printf("chain 0 at (%.3f, %.3f)\n", x[0], x[1]);
    ebm_sampler_free(sampler);
    ebm_energy_free(energy);
    return 0;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    ebm_energy *energy = NULL;
    if (strcmp(mode, "version") == 0) {
        printf("%s\n", ebm_version());
        return 0;
    }
    if (strcmp(mode, "analytic") == 0) {
        check(ebm_energy_double_well_new(1.0, 2.0, &energy));
        return sample(energy);
    }
    if (strcmp(mode, "callback") == 0) {
        check(ebm_energy_callback_new(2, double_well, NULL, NULL, NULL, &energy));
        return sample(energy);
    }
    if (strcmp(mode, "cuda") == 0) {
        printf("CUDA available: %d\n", (int)ebm_cuda_is_available());
        return 0;
    }
    fprintf(stderr, "usage: %s version | analytic | callback | cuda\n", argv[0]);
    return 2;
}
