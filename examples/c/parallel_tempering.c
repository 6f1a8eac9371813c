/* Replica exchange on a double well E(x) = 8 (x^2 - 1)^2 whose barrier (8, a crossing chance
 * of about e^-8 per attempt) a single MALA chain does not cross: every chain starts in the
 * right-hand well. Alone, MALA leaves nearly all of them there; with 6 replicas on a
 * geometric ladder up to T = 12 the T = 1 chains fill both wells equally.
 * Exits nonzero if tempering does not reach occupancy 1/2 within 4 standard errors. */
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

enum { CHAINS = 1000, STEPS = 1500, REPLICAS = 6 };

/* The fraction of the chains in the left-hand well after STEPS steps from x = 1. */
static double left_fraction(ebm_sampler *sampler) {
    static double start[CHAINS], x[CHAINS];
    for (int i = 0; i < CHAINS; i++) start[i] = 1.0;
    check(ebm_sampler_sample_chain_f64(sampler, start, CHAINS, 1, STEPS, 1, x, NULL, 0),
          "ebm_sampler_sample_chain_f64");
    int left = 0;
    for (int i = 0; i < CHAINS; i++) left += x[i] < 0;
    return (double)left / CHAINS;
}

int main(void) {
    ebm_energy *well = NULL;
    check(ebm_energy_double_well_new(8.0, 1.0, &well), "ebm_energy_double_well_new");

    ebm_mala_params mala = ebm_mala_default_params();
    mala.step_size = 0.02;
    mala.seed = 3;
    ebm_sampler *single = NULL;
    check(ebm_mala_new(well, &mala, &single), "ebm_mala_new");

    ebm_tempering_params tempering = ebm_tempering_default_params();
    tempering.n_temperatures = REPLICAS;
    tempering.max_temperature = 12.0;
    ebm_sampler *tempered = NULL;
    check(ebm_parallel_tempering_new(single, &tempering, &tempered), "ebm_parallel_tempering_new");

    double alone = left_fraction(single);
    double with_tempering = left_fraction(tempered);
    double temperatures[REPLICAS], swaps[REPLICAS - 1];
    int64_t replicas = 0;
    check(ebm_sampler_get_temperatures(tempered, temperatures, REPLICAS, &replicas), "ebm_sampler_get_temperatures");
    check(ebm_sampler_get_swap_acceptance(tempered, swaps, REPLICAS - 1), "ebm_sampler_get_swap_acceptance");

    printf("left-well occupancy after %d steps from the right well (exact: 0.5)\n", STEPS);
    printf("  MALA alone:             %.3f\n", alone);
    printf("  MALA, %d replicas:       %.3f\n", REPLICAS, with_tempering);
    printf("  exchange acceptance between T = ");
    for (int k = 0; k < REPLICAS - 1; k++)
        printf("%s%.2f|%.2f: %.2f", k ? ", " : "", temperatures[k], temperatures[k + 1], swaps[k]);
    printf("\n");

    ebm_sampler_free(tempered);
    ebm_sampler_free(single);
    ebm_energy_free(well);
    double se = 0.5 / sqrt(CHAINS);
    if (fabs(with_tempering - 0.5) > 4 * se || alone > 0.1) {
        fprintf(stderr, "unexpected occupancies\n");
        return 1;
    }
    return 0;
}
