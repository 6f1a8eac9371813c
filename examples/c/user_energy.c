/* A user-defined energy from C callbacks: E(x) = 1/2 sum_j k_j (x_j - c_j)^2, with k and c
 * passed through user_data, and its gradient k_j (x_j - c_j) from a second callback. Checks
 * the gradient against the library's finite differences (an energy without gradient_fn),
 * then samples exp(-E) with MALA: mean c_j, variance 1/k_j. Exits nonzero if not. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <torchebm.h>

static void check(ebm_status status, const char *call) {
    if (status != EBM_OK) {
        fprintf(stderr, "%s failed: %s\n", call, ebm_last_error_message());
        exit(1);
    }
}

typedef struct { double k[2], c[2]; } quadratic;

static int32_t energy_and_gradient(const double *x, int64_t n, int64_t dim, double *e, double *g, void *user_data) {
    const quadratic *q = user_data;
    for (int64_t i = 0; i < n; i++) {
        e[i] = 0;
        for (int64_t j = 0; j < dim; j++) {
            double d = x[i * dim + j] - q->c[j];
            e[i] += 0.5 * q->k[j] * d * d;
            if (g) g[i * dim + j] = q->k[j] * d;
        }
    }
    return 0;
}

static int32_t energy(const double *x, int64_t n, int64_t dim, double *e, void *user_data) {
    return energy_and_gradient(x, n, dim, e, NULL, user_data);
}

enum { CHAINS = 2000, STEPS = 1000 };

int main(void) {
    quadratic q = {{1.0, 4.0}, {1.0, -2.0}}; /* must outlive the energies: no free function */
    ebm_energy *exact = NULL, *numeric = NULL;
    check(ebm_energy_callback_new(2, energy, energy_and_gradient, &q, NULL, &exact), "ebm_energy_callback_new");
    check(ebm_energy_callback_new(2, energy, NULL, &q, NULL, &numeric), "ebm_energy_callback_new");
    const double x[2] = {0.5, 0.25};
    double e, g[2], g_fd[2];
    check(ebm_energy_eval_and_gradient_f64(exact, x, 1, 2, &e, g), "ebm_energy_eval_and_gradient_f64");
    check(ebm_energy_gradient_f64(numeric, x, 1, 2, g_fd), "ebm_energy_gradient_f64");
    printf("E(0.5, 0.25) = %.6f, gradient (%.6f, %.6f), finite differences (%.6f, %.6f)\n", e, g[0], g[1], g_fd[0], g_fd[1]);

    ebm_mala_params params = ebm_mala_default_params();
    params.step_size = 0.1;
    ebm_sampler *mala = NULL;
    check(ebm_mala_new(exact, &params, &mala), "ebm_mala_new");
    static double s[CHAINS * 2];
    check(ebm_sampler_sample_f64(mala, CHAINS, 2, STEPS, s), "ebm_sampler_sample_f64");
    double mean[2] = {0, 0}, var[2] = {0, 0}; /* E[x_j] and E[x_j^2] - E[x_j]^2 */
    for (int i = 0; i < 2 * CHAINS; i++) mean[i % 2] += s[i] / CHAINS, var[i % 2] += s[i] * s[i] / CHAINS;
    for (int j = 0; j < 2; j++) var[j] -= mean[j] * mean[j];
    printf("MALA, %d chains: mean (%.3f, %.3f), variance (%.3f, %.3f); expected (1, -2), (1, 0.25)\n", CHAINS,
           mean[0], mean[1], var[0], var[1]);

    ebm_sampler_free(mala);
    ebm_energy_free(numeric);
    ebm_energy_free(exact);
    int ok = fabs(g[0] - g_fd[0]) < 1e-6 && fabs(g[1] - g_fd[1]) < 1e-6;
    ok &= fabs(mean[0] - 1) < 0.1 && fabs(mean[1] + 2) < 0.05 && fabs(var[0] - 1) < 0.15 && fabs(var[1] - 0.25) < 0.04;
    return ok ? 0 : 1;
}
