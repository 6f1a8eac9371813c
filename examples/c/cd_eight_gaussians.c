/* Trains a neural energy E(x) = MLP(x) on eight Gaussians (std 0.05 on a circle of radius 2)
 * by persistent contrastive divergence (PCD), with settings that stay stable, then checks the
 * model: Langevin chains started uniformly in [-2.5, 2.5]^2 end near the eight modes (60% of
 * them at least, 2.5% at each mode), and the mean energy at the modes is lower than midway
 * between them and than at the origin.
 * Usage: cd_eight_gaussians        Exits nonzero if a check fails.
 *
 * Why these settings (the defaults, CD-1 from noise with a Langevin sampler at temperature 1
 * and regulariser weight 0.001, diverge here: the data energy falls and the negatives' rises
 * without bound, by hundreds within a thousand steps):
 *   - the sampler runs at temperature 0.01 (Langevin noise_scale), so the model learns
 *     exp(-E / 0.01) and energies of order one separate the modes sharply;
 *   - the regulariser weight 0.1 keeps those energies of order one;
 *   - PCD (a replay buffer, warmed up by init_steps sampler steps) with k = 20 steps of
 *     size 0.1 lets the negatives travel to the modes the model already has;
 *   - Adam at lr 1e-2 for 3000 steps: at 1e-3 to 3e-3, or in 1000 steps, the model learns
 *     the circle but not yet the modes on it. */
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

enum { N_DATA = 8192, BATCH = 256, STEPS = 3000, N_CHAINS = 1000, SAMPLE_STEPS = 1000 };
static const double PI = 3.14159265358979323846;
static const double RADIUS = 2.0, NEAR = 0.3; /* "near a mode": within NEAR of its centre */

/* Eight points on the circle of radius RADIUS at angles (k + offset) * pi / 4. */
static void ring(double offset, float *points) {
    for (int k = 0; k < 8; k++) {
        points[2 * k] = (float)(RADIUS * cos((k + offset) * PI / 4));
        points[2 * k + 1] = (float)(RADIUS * sin((k + offset) * PI / 4));
    }
}

int main(void) {
    static float data[N_DATA * 2];
    ebm_dataset_params dataset = ebm_dataset_default_params(EBM_DATASET_EIGHT_GAUSSIANS);
    dataset.std = 0.05;
    dataset.seed = 1;
    check(ebm_dataset_generate_f32(&dataset, N_DATA, data), "ebm_dataset_generate_f32");

    int64_t hidden[2] = {64, 64}; /* 2 -> 64 -> 64 -> 1, SiLU */
    ebm_mlp_params mlp = ebm_mlp_default_params();
    mlp.hidden = hidden;
    mlp.n_hidden = 2;
    ebm_energy *model = NULL;
    check(ebm_model_mlp_new(&mlp, &model), "ebm_model_mlp_new");

    ebm_langevin_params langevin = ebm_langevin_default_params();
    langevin.step_size = 0.1;
    langevin.noise_scale = 0.01; /* temperature */
    langevin.seed = 2;
    ebm_sampler *sampler = NULL;
    check(ebm_langevin_new(model, &langevin, &sampler), "ebm_langevin_new");

    ebm_cd_params cd = ebm_cd_default_params();
    cd.start = EBM_CD_START_PERSISTENT; /* buffer 10000, 5% restarts, init_steps 100 */
    cd.k = 20;
    cd.energy_reg_weight = 0.1;
    cd.seed = 3;
    ebm_cd_loss *loss = NULL;
    check(ebm_cd_loss_new(model, sampler, &cd, &loss), "ebm_cd_loss_new");
    ebm_adam_params adam = ebm_adam_default_params();
    adam.learning_rate = 1e-2;
    ebm_optimizer *optimizer = NULL;
    check(ebm_optimizer_adam_new(model, &adam, &optimizer), "ebm_optimizer_adam_new");

    for (int step = 1; step <= STEPS; step++) {
        const float *batch = data + 2 * (((step - 1) * BATCH) % N_DATA);
        double value = 0;
        check(ebm_cd_loss_train_step_f32(loss, optimizer, batch, BATCH, 2, &value), "ebm_cd_loss_train_step_f32");
        if (step == 1 || step % 250 == 0) printf("step %4d  loss %8.4f\n", step, value);
    }

    /* Sample the trained model: chains started uniformly over the square. */
    static float chains[N_CHAINS * 2];
    srand(4);
    for (int i = 0; i < 2 * N_CHAINS; i++) chains[i] = (float)(5.0 * rand() / RAND_MAX - 2.5);
    ebm_langevin_params sampling = langevin;
    sampling.seed = 5;
    ebm_sampler *sampler_of_model = NULL;
    check(ebm_langevin_new(model, &sampling, &sampler_of_model), "ebm_langevin_new");
    check(ebm_sampler_init_f32(sampler_of_model, chains, N_CHAINS, 2), "ebm_sampler_init_f32");
    check(ebm_sampler_run(sampler_of_model, SAMPLE_STEPS), "ebm_sampler_run");
    check(ebm_sampler_get_samples_f32(sampler_of_model, chains, N_CHAINS, 2), "ebm_sampler_get_samples_f32");
    float modes[16], gaps[16], origin[2] = {0, 0};
    ring(0.0, modes);
    ring(0.5, gaps); /* midway between neighbouring modes */
    int near = 0, per_mode[8] = {0};
    for (int i = 0; i < N_CHAINS; i++)
        for (int k = 0; k < 8; k++)
            if (hypot(chains[2 * i] - modes[2 * k], chains[2 * i + 1] - modes[2 * k + 1]) < NEAR) {
                near++;
                per_mode[k]++;
            }
    int least = N_CHAINS;
    for (int k = 0; k < 8; k++) least = per_mode[k] < least ? per_mode[k] : least;

    float e_modes[8], e_gaps[8], e_origin;
    check(ebm_energy_eval_f32(model, modes, 8, 2, e_modes), "ebm_energy_eval_f32");
    check(ebm_energy_eval_f32(model, gaps, 8, 2, e_gaps), "ebm_energy_eval_f32");
    check(ebm_energy_eval_f32(model, origin, 1, 2, &e_origin), "ebm_energy_eval_f32");
    double mode_energy = 0, gap_energy = 0; /* means over the eight points */
    for (int k = 0; k < 8; k++) {
        mode_energy += e_modes[k] / 8.0;
        gap_energy += e_gaps[k] / 8.0;
    }
    printf("samples within %.1f of a mode: %.1f%% (fewest at one mode: %d of %d)\n", NEAR, 100.0 * near / N_CHAINS,
           least, N_CHAINS);
    printf("mean energy: at the modes %.3f, midway between them %.3f; at the origin %.3f\n", mode_energy, gap_energy,
           e_origin);

    ebm_sampler_free(sampler_of_model);
    ebm_optimizer_free(optimizer);
    ebm_cd_loss_free(loss);
    ebm_sampler_free(sampler);
    ebm_energy_free(model);
    int ok = near >= N_CHAINS * 6 / 10 && least >= N_CHAINS / 40 && mode_energy < gap_energy && mode_energy < e_origin;
    printf("%s\n", ok ? "ok" : "FAILED: the model did not learn the eight modes");
    return ok ? 0 : 1;
}
