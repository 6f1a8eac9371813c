/* libtorchebm demo: builds a composite energy from C and prints energies and gradients.
 *
 *   E(x) = 1.0 * DoubleWell(a=1, b=2)(x) + 0.5 * Gaussian(mean=(1, -1), cov=[[1, .5], [.5, 2]])(x)
 *
 * Build by hand:  cc demo.c -Iinclude -Ltarget/release -ltorchebm -Wl,-rpath,$PWD/target/release
 */
#include <stdio.h>
#include <stdlib.h>

#include "torchebm.h"

/* Prints the failing call's message and exits. */
static void check(ebm_status status) {
    if (status != EBM_OK) {
        fprintf(stderr, "error %d (%s): %s\n", (int)status, ebm_status_string(status), ebm_last_error_message());
        exit(1);
    }
}

int main(void) {
    ebm_build_info info;
    check(ebm_get_build_info(&info, sizeof info));
    printf("libtorchebm %s on libtorch %s (CUDA %s, %d device(s) available, %d CPU threads)\n\n", info.version,
           info.libtorch_version, info.cuda_compiled ? "built in" : "not built", info.cuda_device_count,
           info.num_threads);

    ebm_energy *double_well = NULL, *gaussian = NULL, *landscape = NULL;
    check(ebm_energy_double_well_new(EBM_DOUBLE_WELL_DEFAULT_A, EBM_DOUBLE_WELL_DEFAULT_B, &double_well));
    const double mean[2] = {1.0, -1.0};
    const double cov[4] = {1.0, 0.5, 0.5, 2.0};
    check(ebm_energy_gaussian_new(mean, cov, 2, &gaussian));
    const ebm_energy *parts[2] = {double_well, gaussian};
    const double weights[2] = {1.0, 0.5};
    check(ebm_energy_composite_new(parts, 2, weights, 2, &landscape));
    /* The composite keeps its parts alive: they can be released now. */
    ebm_energy_free(double_well);
    ebm_energy_free(gaussian);

    enum { N = 5, DIM = 2 };
    const double x[N * DIM] = {0.0, 0.0, 1.4142, -1.4142, 1.0, -1.0, -1.5, 0.5, 2.0, 2.0};
    double energy[N], gradient[N * DIM];
    check(ebm_energy_eval_and_gradient_f64(landscape, x, N, DIM, energy, gradient));

    printf("E(x) = DoubleWell(a=1, b=2) + 0.5 * Gaussian(mean=(1,-1), cov=[[1,.5],[.5,2]])\n\n");
    printf("%18s  %12s  %26s\n", "x", "E(x)", "grad E(x)");
    for (int i = 0; i < N; i++) {
        printf("(%7.4f, %7.4f)  %12.6f  (%11.6f, %11.6f)\n", x[i * DIM], x[i * DIM + 1], energy[i],
               gradient[i * DIM], gradient[i * DIM + 1]);
    }

    /* Single precision works the same way, with no conversion on the caller's side. */
    const float xf[DIM] = {0.5f, -0.25f};
    float ef, gf[DIM];
    check(ebm_energy_eval_and_gradient_f32(landscape, xf, 1, DIM, &ef, gf));
    printf("\nfloat: E(0.5, -0.25) = %.5f, grad = (%.5f, %.5f)\n", ef, gf[0], gf[1]);

    /* Bad input is an error with a message, never a crash: here 3 points of dim 3 (9 of the
     * 10 values in x) for an energy of dim 2. */
    ebm_status status = ebm_energy_eval_f64(landscape, x, 3, 3, energy);
    printf("\nasking for dim 3: %s: %s\n", ebm_status_string(status), ebm_last_error_message());

    ebm_energy_free(landscape);
    return 0;
}
