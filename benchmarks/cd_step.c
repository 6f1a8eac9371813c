/* Times CD-10 training steps through the C API: batch 256 of eight Gaussians, a
 * 2 -> 128 -> 128 -> 1 SiLU MLP, Langevin (step 0.01, noise 1) chains started at the data,
 * Adam (lr 0.001), energy regulariser 0.001 — TorchEBM's ContrastiveDivergence defaults.
 *
 * Usage: cd_step_bench [steps] [threads]   (threads: ebm_set_num_threads; default the library's)
 * Prints: microseconds_per_step mean_loss_first_quarter mean_loss_last_quarter */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "torchebm.h"

static void check(ebm_status status) {
    if (status != EBM_OK) {
        fprintf(stderr, "%s\n", ebm_last_error_message());
        exit(1);
    }
}

int main(int argc, char **argv) {
    int steps = argc > 1 ? atoi(argv[1]) : 200;
    if (argc > 2) check(ebm_set_num_threads(atoi(argv[2])));
    enum { N_DATA = 20000, BATCH = 256 };
    static float data[N_DATA * 2];
    ebm_dataset_params dataset = ebm_dataset_default_params(EBM_DATASET_EIGHT_GAUSSIANS);
    dataset.seed = 1;
    check(ebm_dataset_generate_f32(&dataset, N_DATA, data));
    int64_t hidden[2] = {128, 128};
    ebm_mlp_params architecture = ebm_mlp_default_params();
    architecture.hidden = hidden;
    architecture.n_hidden = 2;
    ebm_energy *model = NULL;
    check(ebm_model_mlp_new(&architecture, &model));
    ebm_langevin_params langevin = ebm_langevin_default_params();
    ebm_sampler *sampler = NULL;
    check(ebm_langevin_new(model, &langevin, &sampler));
    ebm_cd_params cd = ebm_cd_default_params();
    cd.k = 10;
    cd.start = EBM_CD_START_DATA;
    ebm_cd_loss *loss = NULL;
    check(ebm_cd_loss_new(model, sampler, &cd, &loss));
    ebm_adam_params adam_params = ebm_adam_default_params();
    ebm_optimizer *adam = NULL;
    check(ebm_optimizer_adam_new(model, &adam_params, &adam));

    double first = 0, last = 0;
    int quarter = steps / 4;
    check(ebm_cd_loss_train_step_f32(loss, adam, data, BATCH, 2, NULL)); /* warm-up */
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (int step = 0; step < steps; step++) {
        double value = 0;
        int offset = (step * BATCH) % (N_DATA - BATCH);
        check(ebm_cd_loss_train_step_f32(loss, adam, data + 2 * offset, BATCH, 2, &value));
        if (step < quarter) first += value / quarter;
        if (step >= steps - quarter) last += value / quarter;
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    double seconds = (double)(end.tv_sec - start.tv_sec) + 1e-9 * (double)(end.tv_nsec - start.tv_nsec);
    printf("%.2f %.6f %.6f\n", seconds / steps * 1e6, first, last);
    ebm_optimizer_free(adam), ebm_cd_loss_free(loss), ebm_sampler_free(sampler), ebm_energy_free(model);
    return 0;
}
