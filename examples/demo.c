/* libtorchebm demo, all from C:
 *  1. builds a composite energy and prints energies and gradients;
 *  2. samples it with the four samplers and prints what the chains found;
 *  3. trains a neural energy on eight Gaussians (score matching + Adam), printing progress, and writes
 *     <out_dir>/landscape.png (the data beside the learned landscape with samples over it)
 *     and <out_dir>/model.safetensors.
 *
 * Usage: demo [out_dir]   (default: the current directory)
 *
 *   E(x) = 1.0 * DoubleWell(a=1, b=2)(x) + 0.5 * Gaussian(mean=(1, -1), cov=[[1, .5], [.5, 2]])(x)
 *
 * Build by hand:  cc demo.c -Iinclude -Ltarget/release -ltorchebm -Wl,-rpath,$PWD/target/release
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <time.h>

#include "torchebm.h"

/* Prints the failing call's message and exits. */
static void check(ebm_status status) {
    if (status != EBM_OK) {
        fprintf(stderr, "error %d (%s): %s\n", (int)status, ebm_status_string(status), ebm_last_error_message());
        exit(1);
    }
}

/* Runs 2000 chains of each sampler for 2000 steps and prints where they went. */
static void sample_with_every_sampler(const ebm_energy *landscape) {
    enum { CHAINS = 2000, DIM = 2, STEPS = 2000 };
    static float samples[CHAINS * DIM];
    ebm_sampler *samplers[4] = {NULL, NULL, NULL, NULL};
    ebm_langevin_params langevin = ebm_langevin_default_params();
    check(ebm_langevin_new(landscape, &langevin, &samplers[0]));
    ebm_mala_params mala = ebm_mala_default_params();
    mala.adapt_steps = 500; /* tune the step size toward 57.4% acceptance */
    check(ebm_mala_new(landscape, &mala, &samplers[1]));
    ebm_hmc_params hmc = ebm_hmc_default_params();
    hmc.step_size = 0.05;
    check(ebm_hmc_new(landscape, &hmc, &samplers[2]));
    ebm_kinetic_langevin_params kinetic = ebm_kinetic_langevin_default_params();
    kinetic.step_size = 0.05;
    check(ebm_kinetic_langevin_new(landscape, &kinetic, &samplers[3]));

    printf("\nsampling exp(-E) with %d chains x %d steps (seed 0):\n", CHAINS, STEPS);
    printf("%-17s %20s %12s %11s %10s %8s\n", "sampler", "mean x", "P(x1 > 0)", "mean E", "step size", "accept");
    for (int s = 0; s < 4; s++) {
        check(ebm_sampler_sample_f32(samplers[s], CHAINS, DIM, STEPS, samples));
        double mean[2] = {0, 0}, right = 0;
        for (int i = 0; i < CHAINS; i++) {
            mean[0] += samples[i * DIM] / CHAINS;
            mean[1] += samples[i * DIM + 1] / CHAINS;
            right += samples[i * DIM] > 0 ? 1.0 / CHAINS : 0.0;
        }
        ebm_sampler_stats stats;
        check(ebm_sampler_get_stats(samplers[s], &stats, sizeof stats));
        printf("%-17s   (%7.3f, %7.3f) %12.3f %11.4f %10.4f ", ebm_sampler_name(samplers[s]), mean[0], mean[1],
               right, stats.mean_energy, stats.step_size);
        if (isnan(stats.mean_acceptance)) {
            printf("%8s\n", "-");
        } else {
            printf("%7.1f%%\n", 100 * stats.mean_acceptance);
        }
        ebm_sampler_free(samplers[s]);
    }
}

static double seconds_since(const struct timespec *start) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + 1e-9 * (double)(now.tv_nsec - start->tv_nsec);
}

/* Trains E(x) = MLP(x) on eight Gaussians by denoising score matching, then draws Langevin
 * samples from exp(-E) and pictures both. */
static void train_on_eight_gaussians(const char *out_dir) {
    enum { N_DATA = 20000, BATCH = 256, STEPS = 1500, N_SAMPLES = 1000 };
    static float data[N_DATA * 2];
    ebm_dataset_params dataset = ebm_dataset_default_params(EBM_DATASET_EIGHT_GAUSSIANS);
    dataset.std = 0.05;
    dataset.seed = 7;
    check(ebm_dataset_generate_f32(&dataset, N_DATA, data));

    int64_t hidden[2] = {128, 128};
    ebm_mlp_params architecture = ebm_mlp_default_params();
    architecture.hidden = hidden;
    architecture.n_hidden = 2;
    ebm_energy *model = NULL;
    check(ebm_model_mlp_new(&architecture, &model));
    int64_t n_parameters = 0;
    check(ebm_model_parameter_count(model, &n_parameters));

    ebm_score_matching_params objective = ebm_score_matching_default_params();
    objective.method = EBM_SCORE_MATCHING_DENOISING;
    objective.noise_scale = 0.2;
    ebm_score_matching *loss = NULL;
    check(ebm_score_matching_new(model, &objective, &loss));
    ebm_adam_params adam_params = ebm_adam_default_params();
    ebm_optimizer *adam = NULL;
    check(ebm_optimizer_adam_new(model, &adam_params, &adam));

    printf("\ntraining a 2 -> 128 -> 128 -> 1 SiLU energy (%lld parameters) on eight Gaussians\n",
           (long long)n_parameters);
    printf("(denoising score matching, noise 0.2, Adam, batches of %d)\n", BATCH);
    printf("%8s %12s %10s\n", "step", "loss", "seconds");
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (int step = 1; step <= STEPS; step++) {
        int first = ((step - 1) * BATCH) % (N_DATA - BATCH);
        double value = 0;
        check(ebm_score_matching_train_step_f32(loss, adam, data + 2 * first, BATCH, 2, &value));
        if (step % 250 == 0 || step == 1) printf("%8d %12.4f %10.2f\n", step, value, seconds_since(&start));
    }

    /* Langevin samples of exp(-E): chains started uniformly over the plotted square. */
    ebm_langevin_params langevin = ebm_langevin_default_params();
    ebm_sampler *sampler = NULL;
    check(ebm_langevin_new(model, &langevin, &sampler));
    static double initial[N_SAMPLES * 2], samples[N_SAMPLES * 2], shown[2000 * 2];
    uint64_t state = 12345;
    for (int i = 0; i < N_SAMPLES * 2; i++) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        initial[i] = 5.0 * (double)(state >> 11) / 9007199254740992.0 - 2.5;
    }
    check(ebm_sampler_sample_chain_f64(sampler, initial, N_SAMPLES, 2, 2000, 1, samples, NULL, 0));
    for (int i = 0; i < 2000 * 2; i++) shown[i] = data[i];
    char path[1024];
    snprintf(path, sizeof path, "%s/landscape.png", out_dir);
    check(ebm_render_png(model, shown, 2000, samples, N_SAMPLES, -3, 3, -3, 3, 400, 1.0, path));
    printf("wrote %s: the data (left), the learned density exp(-E) with %d Langevin samples (right)\n", path,
           N_SAMPLES);

    /* Save the model, load it back, and check that it is the same energy. */
    snprintf(path, sizeof path, "%s/model.safetensors", out_dir);
    check(ebm_model_save(model, path));
    ebm_energy *reloaded = NULL;
    check(ebm_model_load(path, EBM_DEVICE_CPU, &reloaded));
    double probe[2] = {2.0, 0.0}, e_trained, e_reloaded;
    check(ebm_energy_eval_f64(model, probe, 1, 2, &e_trained));
    check(ebm_energy_eval_f64(reloaded, probe, 1, 2, &e_reloaded));
    printf("wrote %s; reloaded, E(2, 0) = %.6f (trained: %.6f)\n", path, e_reloaded, e_trained);

    ebm_energy_free(reloaded);
    ebm_optimizer_free(adam);
    ebm_score_matching_free(loss);
    ebm_sampler_free(sampler);
    ebm_energy_free(model);
}

int main(int argc, char **argv) {
    const char *out_dir = argc > 1 ? argv[1] : ".";
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

    sample_with_every_sampler(landscape);
    ebm_energy_free(landscape);
    train_on_eight_gaussians(out_dir);
    return 0;
}
