/* The install test's C program: built with nothing but `pkg-config --cflags --libs torchebm`
 * against an installed copy (tests/install/run.sh). Checks that header and library agree, and
 * that an energy, its gradient and a sampler work. Prints "install-c ok" on success. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <torchebm.h>

static void check(ebm_status status, const char *what) {
    if (status != EBM_OK) {
        fprintf(stderr, "%s: %s: %s\n", what, ebm_status_string(status), ebm_last_error_message());
        exit(1);
    }
}

int main(void) {
    if (ebm_version_number() != EBM_VERSION_NUMBER || strcmp(ebm_version(), EBM_VERSION) != 0) {
        fprintf(stderr, "header %s, library %s\n", EBM_VERSION, ebm_version());
        return 1;
    }
    ebm_energy *well = NULL;
    check(ebm_energy_double_well_new(1.0, 2.0, &well), "double_well_new");
    /* E(1, 0) = (1 - 2)^2 + (0 - 2)^2 = 5; dE/dx_i = 4 x_i (x_i^2 - 2) = (-4, 0). */
    const double x[2] = {1.0, 0.0};
    double e = 0, g[2] = {0, 0};
    check(ebm_energy_eval_and_gradient_f64(well, x, 1, 2, &e, g), "eval_and_gradient");
    if (fabs(e - 5.0) > 1e-12 || fabs(g[0] + 4.0) > 1e-12 || fabs(g[1]) > 1e-12) {
        fprintf(stderr, "E(1, 0) = %g, grad = (%g, %g)\n", e, g[0], g[1]);
        return 1;
    }
    ebm_langevin_params params = ebm_langevin_default_params();
    params.seed = 3;
    ebm_sampler *sampler = NULL;
    check(ebm_langevin_new(well, &params, &sampler), "langevin_new");
    float samples[64 * 2];
    check(ebm_sampler_sample_f32(sampler, 64, 2, 100, samples), "sample");
    for (int i = 0; i < 64 * 2; i++) {
        if (!isfinite(samples[i])) return 1;
    }
    ebm_sampler_free(sampler);
    ebm_energy_free(well);
    printf("install-c ok: libtorchebm %s on libtorch %s\n", ebm_version(), ebm_libtorch_version());
    return 0;
}
