/* Data-parallel training over MPI: every rank holds a copy of one neural energy E(x) = MLP(x)
 * and trains it by contrastive divergence on its own slice of each batch (eight Gaussians on
 * a circle of radius 2); the gradients are averaged through include/torchebm_mpi.h, so the
 * P ranks take exactly the steps of one process with the whole batch.
 *
 *   mpicc train_mpi.c -Iinclude -Ltarget/release -ltorchebm -Wl,-rpath,$PWD/target/release -lm
 *   mpirun -np 2 ./a.out
 *
 * The rules: the same model seed and sampler seed on every rank, the sampler's first_chain =
 * the rank's first global chain (its negatives are then its chains of the one big run), and
 * every rank makes every training step. Exits nonzero if the ranks' models differ or the
 * trained energy is not lower on the data than around it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <torchebm_mpi.h>

static int rank = 0, size = 1;

static void check(ebm_status status, const char *call) {
    if (status != EBM_OK) {
        /* Collective calls fail on every rank together (EBM_ERR_REMOTE on the others), but
         * argument errors do not: stop the whole job rather than leave ranks waiting. */
        fprintf(stderr, "rank %d: %s failed: %s\n", rank, call, ebm_last_error_message());
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
}

enum { N_DATA = 4096, BATCH = 256, STEPS = 300, DIM = 2 };

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    MPI_Comm comm = MPI_COMM_WORLD; /* outlives every handle that uses it */
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    if (BATCH % size != 0) {
        if (rank == 0) fprintf(stderr, "the number of ranks must divide %d\n", BATCH);
        MPI_Abort(comm, 2);
    }
    const int64_t local = BATCH / size; /* this rank's share of every batch */
    ebm_set_num_threads(1);             /* one rank per core */

    /* The same data everywhere (same seed); each rank reads its own rows of each batch. */
    static double data[N_DATA * DIM];
    ebm_dataset_params dataset = ebm_dataset_default_params(EBM_DATASET_EIGHT_GAUSSIANS);
    dataset.seed = 1;
    check(ebm_dataset_generate_f64(&dataset, N_DATA, data), "ebm_dataset_generate_f64");

    int64_t hidden[2] = {64, 64};
    ebm_mlp_params mlp = ebm_mlp_default_params();
    mlp.hidden = hidden;
    mlp.n_hidden = 2;
    mlp.seed = 7; /* identical initial parameters on every rank */
    ebm_energy *model = NULL;
    check(ebm_model_mlp_new(&mlp, &model), "ebm_model_mlp_new");

    ebm_langevin_params langevin = ebm_langevin_default_params();
    langevin.step_size = 0.01;
    langevin.seed = 3;                             /* the same seed on every rank ... */
    langevin.first_chain = (uint64_t)rank * local; /* ... and each rank its own chains */
    ebm_sampler *sampler = NULL;
    check(ebm_langevin_new(model, &langevin, &sampler), "ebm_langevin_new");
    ebm_cd_params cd = ebm_cd_default_params();
    cd.k = 20; /* short-run chains from noise */
    ebm_cd_loss *loss = NULL;
    check(ebm_cd_loss_new(model, sampler, &cd, &loss), "ebm_cd_loss_new");

    ebm_adam_params adam = ebm_adam_default_params();
    adam.learning_rate = 1e-3;
    ebm_optimizer *optimizer = NULL;
    check(ebm_optimizer_adam_new(model, &adam, &optimizer), "ebm_optimizer_adam_new");
    check(ebm_optimizer_set_allreduce(optimizer, ebm_mpi_allreduce, &comm, NULL), "ebm_optimizer_set_allreduce");

    for (int step = 1; step <= STEPS; step++) {
        const double *batch = data + DIM * (((step - 1) * BATCH) % N_DATA) + DIM * rank * local;
        double value = 0; /* the loss over the whole batch, the same on every rank */
        check(ebm_cd_loss_train_step_f64(loss, optimizer, batch, local, DIM, &value), "ebm_cd_loss_train_step_f64");
        if (rank == 0 && (step == 1 || step % 50 == 0)) printf("step %4d  loss %9.4f\n", step, value);
    }

    /* Every rank holds the same model. */
    int64_t count = 0;
    check(ebm_model_parameter_count(model, &count), "ebm_model_parameter_count");
    double *parameters = malloc((size_t)count * sizeof *parameters);
    double *lowest = malloc((size_t)count * sizeof *lowest);
    if (parameters == NULL || lowest == NULL) MPI_Abort(comm, 1);
    check(ebm_model_get_parameters_f64(model, parameters, count), "ebm_model_get_parameters_f64");
    MPI_Allreduce(parameters, lowest, (int)count, MPI_DOUBLE, MPI_MIN, comm);
    int same = 1;
    for (int64_t i = 0; i < count; i++) same &= parameters[i] == lowest[i];
    MPI_Allreduce(MPI_IN_PLACE, &same, 1, MPI_INT, MPI_LAND, comm);

    /* The learned energy is lower on the data than at the circle's centre and outside it. */
    double probes[3 * DIM] = {0, 0, 0, 3.5, -3.5, 0}, energies[3], on_data[256];
    check(ebm_energy_eval_f64(model, probes, 3, DIM, energies), "ebm_energy_eval_f64");
    check(ebm_energy_eval_f64(model, data, 256, DIM, on_data), "ebm_energy_eval_f64");
    double mean = 0;
    for (int i = 0; i < 256; i++) mean += on_data[i] / 256;
    int plausible = mean < energies[0] && mean < energies[1] && mean < energies[2];
    if (rank == 0)
        printf("%d ranks, %lld parameters %s; mean E on data %.3f, E(centre) %.3f, E(outside) %.3f, %.3f\n",
               size, (long long)count, same ? "identical on every rank" : "DIFFER between ranks", mean,
               energies[0], energies[1], energies[2]);

    free(parameters);
    free(lowest);
    ebm_optimizer_free(optimizer);
    ebm_cd_loss_free(loss);
    ebm_sampler_free(sampler);
    ebm_energy_free(model);
    MPI_Finalize();
    return same && plausible ? 0 : 1;
}
