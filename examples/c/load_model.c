/* Loads the energy saved by train_2d.c, evaluates it at the eight Gaussians' centres (radius
 * 2) and at the origin, and draws Langevin samples from exp(-E).
 * Usage: load_model [model.safetensors]    Exits nonzero if the model looks untrained. */
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

enum { CHAINS = 1000, STEPS = 500 };

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "model_2d.safetensors";
    ebm_energy *model = NULL;
    check(ebm_model_load(path, EBM_DEVICE_CPU, &model), "ebm_model_load");
    int64_t n_parameters = 0;
    check(ebm_model_parameter_count(model, &n_parameters), "ebm_model_parameter_count");
    printf("loaded %s: a %s energy with %lld parameters\n", path, ebm_energy_name(model), (long long)n_parameters);

    double points[9 * 2] = {0, 0}, energy[9]; /* the origin, then the eight centres */
    for (int k = 0; k < 8; k++) {
        points[2 * k + 2] = 2 * cos(k * atan(1.0));
        points[2 * k + 3] = 2 * sin(k * atan(1.0));
    }
    check(ebm_energy_eval_f64(model, points, 9, 2, energy), "ebm_energy_eval_f64");
    double centres = 0;
    for (int k = 1; k < 9; k++) centres += energy[k] / 8;
    printf("E(origin) = %.3f, mean E(centres) = %.3f\n", energy[0], centres);

    ebm_langevin_params params = ebm_langevin_default_params();
    params.seed = 42;
    ebm_sampler *sampler = NULL;
    check(ebm_langevin_new(model, &params, &sampler), "ebm_langevin_new");
    static double samples[CHAINS * 2];
    check(ebm_sampler_sample_f64(sampler, CHAINS, 2, STEPS, samples), "ebm_sampler_sample_f64");
    double on_ring = 0;
    for (int i = 0; i < CHAINS; i++) {
        double r = hypot(samples[2 * i], samples[2 * i + 1]);
        on_ring += (r > 1.5 && r < 2.5) ? 1.0 / CHAINS : 0.0;
    }
    printf("%d Langevin chains x %d steps: %.1f%% end within 0.5 of radius 2\n", CHAINS, STEPS, 100 * on_ring);

    ebm_sampler_free(sampler);
    ebm_energy_free(model);
    return (centres < energy[0] && on_ring > 0.5) ? 0 : 1;
}
