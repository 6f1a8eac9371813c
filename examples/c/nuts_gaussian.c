/* Samples an anisotropic 10-D Gaussian (standard deviations 1, 2, ..., 10) with the No-U-Turn
 * sampler, adapting the step size during the first 100 steps, and prints each coordinate's
 * sample mean and variance next to the exact ones, the divergences and the mean tree depth.
 * Exits nonzero if a moment is off by more than 5 standard errors. */
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

enum { CHAINS = 1000, DIM = 10, STEPS = 200 };

int main(void) {
    double mean[DIM], cov[DIM * DIM] = {0};
    for (int i = 0; i < DIM; i++) {
        mean[i] = i - 4.5;
        cov[i * DIM + i] = (i + 1.0) * (i + 1.0);
    }
    ebm_energy *gaussian = NULL;
    check(ebm_energy_gaussian_new(mean, cov, DIM, &gaussian), "ebm_energy_gaussian_new");

    ebm_nuts_params params = ebm_nuts_default_params();
    params.step_size = 0.1;   /* the initial step size: adaptation tunes it */
    params.adapt_steps = 100; /* toward Stan's target acceptance statistic 0.8 */
    params.seed = 5;
    ebm_sampler *sampler = NULL;
    check(ebm_nuts_new(gaussian, &params, &sampler), "ebm_nuts_new");

    static double x[CHAINS * DIM]; /* chains start at N(0, I) draws; final states, independent */
    check(ebm_sampler_sample_f64(sampler, CHAINS, DIM, STEPS, x), "ebm_sampler_sample_f64");
    ebm_sampler_stats stats;
    check(ebm_sampler_get_stats(sampler, &stats, sizeof stats), "ebm_sampler_get_stats");

    int bad = 0;
    printf("coord   mean (exact)        variance (exact)\n");
    for (int j = 0; j < DIM; j++) {
        double m = 0, v = 0, var = cov[j * DIM + j];
        for (int i = 0; i < CHAINS; i++) m += x[i * DIM + j] / CHAINS;
        for (int i = 0; i < CHAINS; i++) v += (x[i * DIM + j] - m) * (x[i * DIM + j] - m) / CHAINS;
        printf("%5d %7.3f (%5.1f)    %8.3f (%6.1f)\n", j, m, mean[j], v, var);
        bad |= fabs(m - mean[j]) > 5 * sqrt(var / CHAINS);
        bad |= fabs(v - var) > 5 * sqrt(2 * var * var / CHAINS);
    }
    printf("adapted step size %.3f, mean acceptance statistic %.3f, divergences %lld, "
           "mean tree depth %.2f\n",
           stats.step_size, stats.mean_acceptance, (long long)stats.divergences, stats.mean_tree_depth);

    ebm_sampler_free(sampler);
    ebm_energy_free(gaussian);
    if (bad) {
        fprintf(stderr, "a moment is off by more than 5 standard errors\n");
        return 1;
    }
    return 0;
}
