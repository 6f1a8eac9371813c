/* Trains a small neural energy E(x) = MLP(x) on a 2-D toy dataset (eight Gaussians on a
 * circle of radius 2) by denoising score matching with Adam, prints the loss, and saves the
 * model for load_model.c.   Usage: train_2d [model.safetensors]
 * Exits nonzero if the loss did not go down. */
#include <stdio.h>
#include <stdlib.h>

#include <torchebm.h>

static void check(ebm_status status, const char *call) {
    if (status != EBM_OK) {
        fprintf(stderr, "%s failed: %s\n", call, ebm_last_error_message());
        exit(1);
    }
}

enum { N_DATA = 8192, BATCH = 256, STEPS = 400, WINDOW = 50 };

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "model_2d.safetensors";
    static float data[N_DATA * 2];
    ebm_dataset_params dataset = ebm_dataset_default_params(EBM_DATASET_EIGHT_GAUSSIANS);
    dataset.seed = 1;
    check(ebm_dataset_generate_f32(&dataset, N_DATA, data), "ebm_dataset_generate_f32");

    int64_t hidden[2] = {64, 64}; /* 2 -> 64 -> 64 -> 1, SiLU */
    ebm_mlp_params mlp = ebm_mlp_default_params();
    mlp.hidden = hidden;
    mlp.n_hidden = 2;
    ebm_energy *model = NULL;
    check(ebm_model_mlp_new(&mlp, &model), "ebm_model_mlp_new");

    ebm_score_matching_params sm = ebm_score_matching_default_params();
    sm.method = EBM_SCORE_MATCHING_DENOISING;
    sm.noise_scale = 0.1;
    ebm_score_matching *loss = NULL;
    check(ebm_score_matching_new(model, &sm, &loss), "ebm_score_matching_new");
    ebm_adam_params adam = ebm_adam_default_params();
    adam.learning_rate = 3e-3;
    ebm_optimizer *optimizer = NULL;
    check(ebm_optimizer_adam_new(model, &adam, &optimizer), "ebm_optimizer_adam_new");

    double first = 0, last = 0; /* mean loss over the first and the last WINDOW steps */
    for (int step = 1; step <= STEPS; step++) {
        const float *batch = data + 2 * (((step - 1) * BATCH) % N_DATA);
        double value = 0;
        check(ebm_score_matching_train_step_f32(loss, optimizer, batch, BATCH, 2, &value),
              "ebm_score_matching_train_step_f32");
        if (step <= WINDOW) first += value / WINDOW;
        if (step > STEPS - WINDOW) last += value / WINDOW;
        if (step == 1 || step % 50 == 0) printf("step %4d  loss %10.4f\n", step, value);
    }
    printf("mean loss: first %d steps %.4f, last %d steps %.4f\n", WINDOW, first, WINDOW, last);
    check(ebm_model_save(model, path), "ebm_model_save");
    printf("saved %s\n", path);

    ebm_optimizer_free(optimizer);
    ebm_score_matching_free(loss);
    ebm_energy_free(model);
    return last < first ? 0 : 1;
}
