/* Estimates log Z = log of the integral of exp(-E(x)) dx for the double well
 * E(x) = (x^2 - 2)^2 in 1-D by annealed importance sampling, and compares it with the value
 * by Simpson quadrature. Exits nonzero if they differ by more than 4 standard errors. */
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

/* log of the integral of exp(-(x^2 - 2)^2) over [-8, 8]: composite Simpson, 20000 intervals. */
static double quadrature(void) {
    const int m = 20000;
    const double h = 16.0 / m;
    double sum = 0.0;
    for (int i = 0; i <= m; i++) {
        double x = -8.0 + i * h, f = exp(-(x * x - 2) * (x * x - 2));
        sum += f * (i == 0 || i == m ? 1.0 : (i % 2 ? 4.0 : 2.0));
    }
    return log(sum * h / 3.0);
}

int main(void) {
    ebm_energy *well = NULL;
    check(ebm_energy_double_well_new(1.0, 2.0, &well), "ebm_energy_double_well_new");

    ebm_ais_params params = ebm_ais_default_params(); /* 200 temperatures, sigmoid, MALA */
    params.base_std = 1.5; /* the base N(0, 1.5^2) covers both wells at +-sqrt(2) */
    params.seed = 1;
    ebm_ais_result result;
    check(ebm_ais_estimate_f64(well, &params, 2000, 1, &result, sizeof result, NULL, NULL),
          "ebm_ais_estimate_f64");

    double exact = quadrature();
    printf("AIS:        log Z = %.4f +- %.4f (ESS %.0f of 2000, MALA acceptance %.2f)\n",
           result.log_z, result.standard_error, result.effective_sample_size,
           result.mean_acceptance);
    printf("quadrature: log Z = %.4f\n", exact);
    ebm_energy_free(well);
    return fabs(result.log_z - exact) < 4 * result.standard_error ? 0 : 1;
}
