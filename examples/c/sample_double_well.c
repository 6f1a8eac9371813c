/* Samples the double well E(x) = sum_i (x_i^2 - 2)^2 in 2-D with Langevin dynamics at a low
 * temperature: every coordinate of every chain should end near +sqrt(2) or -sqrt(2), the
 * chains spread over the four wells. Exits nonzero if they do not. */
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

enum { CHAINS = 1000, DIM = 2, STEPS = 1000 };

int main(void) {
    ebm_energy *well = NULL;
    check(ebm_energy_double_well_new(1.0, 2.0, &well), "ebm_energy_double_well_new");

    ebm_langevin_params params = ebm_langevin_default_params();
    params.step_size = 0.01;
    params.noise_scale = 0.1; /* temperature: the chains approach exp(-E / 0.1) */
    params.seed = 7;
    ebm_sampler *sampler = NULL;
    check(ebm_langevin_new(well, &params, &sampler), "ebm_langevin_new");

    static double x[CHAINS * DIM]; /* chains start at N(0, I) draws */
    check(ebm_sampler_sample_f64(sampler, CHAINS, DIM, STEPS, x), "ebm_sampler_sample_f64");

    int quadrant[4] = {0, 0, 0, 0}, near = 0;
    double mean_abs[DIM] = {0, 0};
    for (int i = 0; i < CHAINS; i++) {
        int ok = 1;
        for (int j = 0; j < DIM; j++) {
            mean_abs[j] += fabs(x[i * DIM + j]) / CHAINS;
            ok &= fabs(fabs(x[i * DIM + j]) - sqrt(2.0)) < 0.5;
        }
        near += ok;
        quadrant[(x[i * DIM] > 0) + 2 * (x[i * DIM + 1] > 0)]++;
    }
    ebm_sampler_stats stats;
    check(ebm_sampler_get_stats(sampler, &stats, sizeof stats), "ebm_sampler_get_stats");
    printf("%d chains x %lld steps, mean energy %.4f\n", CHAINS, (long long)stats.steps, stats.mean_energy);
    printf("mean |x_1| = %.4f, mean |x_2| = %.4f (sqrt 2 = %.4f)\n", mean_abs[0], mean_abs[1], sqrt(2.0));
    printf("chains within 0.5 of (+-sqrt 2, +-sqrt 2): %d of %d\n", near, CHAINS);
    printf("per well: (-,-) %d  (+,-) %d  (-,+) %d  (+,+) %d\n", quadrant[0], quadrant[1], quadrant[2], quadrant[3]);

    ebm_sampler_free(sampler);
    ebm_energy_free(well);
    int plausible = near > 0.95 * CHAINS && fabs(mean_abs[0] - sqrt(2.0)) < 0.05 && fabs(mean_abs[1] - sqrt(2.0)) < 0.05;
    for (int q = 0; q < 4; q++) plausible &= quadrant[q] > CHAINS / 8;
    return plausible ? 0 : 1;
}
