/* make test-mpi: libtorchebm across MPI processes through include/torchebm_mpi.h, run with
 * `mpirun -np 2`. Every rank also computes, alone and without MPI, the one-process run that
 * the P ranks together must reproduce, and compares:
 *
 *  - data-parallel training: Adam steps of CD (negatives from data- and noise-started
 *    Langevin chains, first_chain = rank * B/P) and of exact score matching on a double MLP,
 *    and SGD steps of CD on a float one, each rank with its B/P points, against one process
 *    with all B: parameters and losses equal within 1e-9 (double; only the order of
 *    additions and the batch size of the MLP's matrix products differ, ~1e-16 relative per
 *    operation) or 1e-5 (float, ~1e-7), see compare_training's callers;
 *  - sharded sampling: Langevin and MALA chains on a double well (rows evaluated
 *    independently), ranks running n/P chains with first_chain offsets, against one run of
 *    n chains: samples bit for bit; statistics and energy traces combined through the
 *    all-reduce within 1e-12; and the control: without first_chain the shards differ;
 *  - failures: NaN data on one rank fails the step there (EBM_ERR_NON_FINITE) and on the
 *    others (EBM_ERR_REMOTE), nothing changes, the next step works.
 *
 * TORCHEBM_MPI_CHUNK is set small so that the gradients' all-reduce runs in several chunks.
 * Usage: mpirun -np P test_mpi (P must divide 64). */
#define TORCHEBM_MPI_CHUNK 1000
#include "torchebm_mpi.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../c/check.h"

enum { DIM = 2, BATCH = 64, STEPS = 4, CHAINS = 64, SAMPLE_STEPS = 50 };

static int rank = 0, size = 1;
static MPI_Comm comm = MPI_COMM_WORLD;

/* Max over elements of |a - b| / max(|a|, |b|, 1e-3). */
static double max_relative(const double *a, const double *b, size_t n) {
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double scale = fmax(fmax(fabs(a[i]), fabs(b[i])), 1e-3);
        worst = fmax(worst, fabs(a[i] - b[i]) / scale);
    }
    return worst;
}

/* The largest value of x over the ranks (so that every rank reports the same verdict). */
static double global_max(double x) {
    MPI_Allreduce(MPI_IN_PLACE, &x, 1, MPI_DOUBLE, MPI_MAX, comm);
    return x;
}

static ebm_energy *mlp(int32_t dtype) {
    static const int64_t hidden[2] = {32, 32};
    ebm_mlp_params p = ebm_mlp_default_params();
    p.hidden = hidden;
    p.n_hidden = 2;
    p.dtype = dtype;
    p.seed = 11; /* the same initial parameters on every rank */
    ebm_energy *model = NULL;
    CHECK_OK(ebm_model_mlp_new(&p, &model));
    return model;
}

static void dataset(double *data, int64_t n) {
    ebm_dataset_params p = ebm_dataset_default_params(EBM_DATASET_EIGHT_GAUSSIANS);
    p.seed = 5;
    CHECK_OK(ebm_dataset_generate_f64(&p, n, data));
}

enum loss_kind { CD_DATA, CD_NOISE, SCORE_MATCHING };

/* STEPS optimizer steps (Adam for double models, SGD for float ones) on rows [first, first + n) of the data; parameters into params_out (the
 * model's count), the losses into losses. With `distributed`, the optimizer's gradients are
 * combined over the communicator. */
static int64_t train(enum loss_kind kind, int32_t dtype, int64_t first, int64_t n, int distributed,
                     double *params_out, double *losses) {
    static double data[BATCH * DIM];
    dataset(data, BATCH);
    ebm_energy *model = mlp(dtype);
    ebm_optimizer *optimizer = NULL;
    if (dtype == EBM_DTYPE_F64) {
        ebm_adam_params adam = ebm_adam_default_params();
        adam.learning_rate = 0.01;
        CHECK_OK(ebm_optimizer_adam_new(model, &adam, &optimizer));
    } else {
        /* Adam's first steps are about lr * sign(g): a float gradient component that rounding
         * dominates could flip; SGD keeps float rounding at its own size. */
        ebm_sgd_params sgd = ebm_sgd_default_params();
        sgd.learning_rate = 0.05;
        sgd.momentum = 0.9;
        CHECK_OK(ebm_optimizer_sgd_new(model, &sgd, &optimizer));
    }
    if (distributed) CHECK_OK(ebm_optimizer_set_allreduce(optimizer, ebm_mpi_allreduce, &comm, NULL));
    ebm_sampler *sampler = NULL;
    ebm_cd_loss *cd = NULL;
    ebm_score_matching *sm = NULL;
    if (kind == SCORE_MATCHING) {
        ebm_score_matching_params p = ebm_score_matching_default_params();
        CHECK_OK(ebm_score_matching_new(model, &p, &sm));
    } else {
        ebm_langevin_params lp = ebm_langevin_default_params();
        lp.step_size = 0.01;
        lp.seed = 3;
        lp.first_chain = (uint64_t)first; /* the negatives are chains [first, first + n) */
        CHECK_OK(ebm_langevin_new(model, &lp, &sampler));
        ebm_cd_params cp = ebm_cd_default_params();
        cp.k = 5;
        cp.start = kind == CD_DATA ? EBM_CD_START_DATA : EBM_CD_START_NOISE;
        CHECK_OK(ebm_cd_loss_new(model, sampler, &cp, &cd));
    }
    for (int step = 0; step < STEPS; step++) {
        const double *batch = data + first * DIM;
        if (cd) CHECK_OK(ebm_cd_loss_train_step_f64(cd, optimizer, batch, n, DIM, &losses[step]));
        else CHECK_OK(ebm_score_matching_train_step_f64(sm, optimizer, batch, n, DIM, &losses[step]));
    }
    int64_t count = 0;
    CHECK_OK(ebm_model_parameter_count(model, &count));
    CHECK_OK(ebm_model_get_parameters_f64(model, params_out, count));
    ebm_cd_loss_free(cd);
    ebm_score_matching_free(sm);
    ebm_sampler_free(sampler);
    ebm_optimizer_free(optimizer);
    ebm_energy_free(model);
    return count;
}

static void compare_training(enum loss_kind kind, int32_t dtype, double tolerance, const char *name) {
    static double together[4096], alone[4096];
    double losses_together[STEPS], losses_alone[STEPS];
    int64_t share = BATCH / size;
    int64_t count = train(kind, dtype, rank * share, share, 1, together, losses_together);
    train(kind, dtype, 0, BATCH, 0, alone, losses_alone);
    double parameters = global_max(max_relative(together, alone, (size_t)count));
    double losses = global_max(max_relative(losses_together, losses_alone, STEPS));
    if (rank == 0)
        printf("     %-22s %lld parameters after %d steps: max relative difference %.1e, "
               "losses %.1e (tolerance %.0e)\n",
               name, (long long)count, STEPS, parameters, losses, tolerance);
    CHECK(parameters <= tolerance);
    CHECK(losses <= tolerance);
    /* Every rank holds exactly the same parameters. */
    static double minimum[4096];
    memcpy(minimum, together, (size_t)count * sizeof(double));
    MPI_Allreduce(MPI_IN_PLACE, minimum, (int)count, MPI_DOUBLE, MPI_MIN, comm);
    CHECK(memcmp(minimum, together, (size_t)count * sizeof(double)) == 0);
}

/* Double precision: agreement to ~1e-12 is expected; 1e-9 leaves room for Adam amplifying
 * rounding in near-zero gradient components. */
static void data_parallel_cd_data_started(void) {
    compare_training(CD_DATA, EBM_DTYPE_F64, 1e-9, "CD, data-started");
}

static void data_parallel_cd_noise_started(void) {
    compare_training(CD_NOISE, EBM_DTYPE_F64, 1e-9, "CD, noise-started");
}

static void data_parallel_score_matching(void) {
    compare_training(SCORE_MATCHING, EBM_DTYPE_F64, 1e-9, "score matching");
}

/* Float models, with SGD: gradients travel as floats; 1e-5 relative covers float rounding
 * (~1e-7 per operation) through the sampler, the MLP and 4 momentum steps. */
static void data_parallel_cd_float(void) {
    compare_training(CD_DATA, EBM_DTYPE_F32, 1e-5, "CD, float model, SGD");
}

/* The control: ranks that do not combine their gradients end with other parameters. */
static void without_allreduce_ranks_differ(void) {
    static double mine[4096], alone[4096];
    double losses[STEPS];
    int64_t share = BATCH / size;
    int64_t count = train(SCORE_MATCHING, EBM_DTYPE_F64, rank * share, share, 0, mine, losses);
    train(SCORE_MATCHING, EBM_DTYPE_F64, 0, BATCH, 0, alone, losses);
    double difference = global_max(max_relative(mine, alone, (size_t)count));
    CHECK(size == 1 || difference > 1e-4);
}

static void failure_on_one_rank_stops_all(void) {
    static double data[BATCH * DIM];
    dataset(data, BATCH);
    ebm_energy *model = mlp(EBM_DTYPE_F64);
    ebm_adam_params adam = ebm_adam_default_params();
    ebm_optimizer *optimizer = NULL;
    CHECK_OK(ebm_optimizer_adam_new(model, &adam, &optimizer));
    CHECK_OK(ebm_optimizer_set_allreduce(optimizer, ebm_mpi_allreduce, &comm, NULL));
    ebm_score_matching_params p = ebm_score_matching_default_params();
    ebm_score_matching *sm = NULL;
    CHECK_OK(ebm_score_matching_new(model, &p, &sm));
    int64_t share = BATCH / size;
    double *batch = data + rank * share * DIM;
    double saved = batch[3];
    if (rank == size - 1) batch[3] = NAN;
    double loss = 0;
    ebm_status status = ebm_score_matching_train_step_f64(sm, optimizer, batch, share, DIM, &loss);
    if (rank == size - 1) {
        CHECK(status == EBM_ERR_NON_FINITE);
        CHECK(strstr(ebm_last_error_message(), "data") != NULL);
    } else {
        CHECK(status == EBM_ERR_REMOTE);
        CHECK(strstr(ebm_last_error_message(), "failed on 1 other process") != NULL);
    }
    int64_t steps = -1;
    CHECK_OK(ebm_optimizer_get_state(optimizer, NULL, &steps));
    CHECK(steps == 0);
    batch[3] = saved;
    CHECK_OK(ebm_score_matching_train_step_f64(sm, optimizer, batch, share, DIM, &loss));
    CHECK(isfinite(loss));
    ebm_score_matching_free(sm);
    ebm_optimizer_free(optimizer);
    ebm_energy_free(model);
}

/* n chains with first_chain, SAMPLE_STEPS steps; samples into out, stats and trace. */
static void sample(int mala, uint64_t first_chain, int64_t n, int distributed, double *out,
                   ebm_sampler_stats *stats, double *trace) {
    ebm_energy *well = NULL;
    CHECK_OK(ebm_energy_double_well_new(1.0, 2.0, &well));
    ebm_sampler *sampler = NULL;
    if (mala) {
        ebm_mala_params p = ebm_mala_default_params();
        p.step_size = 0.1;
        p.seed = 42;
        p.first_chain = first_chain;
        CHECK_OK(ebm_mala_new(well, &p, &sampler));
    } else {
        ebm_langevin_params p = ebm_langevin_default_params();
        p.step_size = 0.05;
        p.seed = 42;
        p.first_chain = first_chain;
        CHECK_OK(ebm_langevin_new(well, &p, &sampler));
    }
    if (distributed) CHECK_OK(ebm_sampler_set_allreduce(sampler, ebm_mpi_allreduce, &comm, NULL));
    CHECK_OK(ebm_sampler_sample_f64(sampler, n, DIM, SAMPLE_STEPS, out));
    CHECK_OK(ebm_sampler_get_stats(sampler, stats, sizeof *stats));
    int64_t length = 0;
    CHECK_OK(ebm_sampler_get_energy_trace(sampler, trace, SAMPLE_STEPS, &length));
    CHECK(length == SAMPLE_STEPS);
    ebm_sampler_free(sampler);
    ebm_energy_free(well);
}

static void sharded_sampling(int mala) {
    static double shard[CHAINS * DIM], all[CHAINS * DIM];
    double trace_shard[SAMPLE_STEPS], trace_all[SAMPLE_STEPS];
    ebm_sampler_stats s_shard, s_all;
    int64_t share = CHAINS / size;
    sample(mala, (uint64_t)(rank * share), share, 1, shard, &s_shard, trace_shard);
    sample(mala, 0, CHAINS, 0, all, &s_all, trace_all);
    /* Bit for bit: this rank's chains are rows [rank * share, ...) of the one run. */
    int same = memcmp(shard, all + rank * share * DIM, (size_t)(share * DIM) * sizeof(double)) == 0;
    MPI_Allreduce(MPI_IN_PLACE, &same, 1, MPI_INT, MPI_LAND, comm);
    CHECK(same);
    /* Statistics through the all-reduce: those of the one run. */
    CHECK(s_shard.n_chains == CHAINS && s_shard.steps == SAMPLE_STEPS && s_shard.dim == DIM);
    CHECK(s_shard.non_finite_chains == s_all.non_finite_chains);
    if (mala) CHECK_NEAR(s_shard.mean_acceptance, s_all.mean_acceptance, 1e-12);
    else CHECK(isnan(s_shard.mean_acceptance) && isnan(s_all.mean_acceptance));
    CHECK_NEAR(s_shard.mean_energy, s_all.mean_energy, 1e-12 * fmax(1, fabs(s_all.mean_energy)));
    double worst = 0;
    for (int i = 0; i < SAMPLE_STEPS; i++) worst = fmax(worst, fabs(trace_shard[i] - trace_all[i]));
    CHECK(worst <= 1e-12);
    if (rank == 0)
        printf("     %-8s %d chains on %d ranks: samples identical, mean energy %.15f vs %.15f, "
               "acceptance %.6f vs %.6f, max trace difference %.1e\n",
               mala ? "MALA" : "Langevin", CHAINS, size, s_shard.mean_energy, s_all.mean_energy,
               s_shard.mean_acceptance, s_all.mean_acceptance, worst);
    /* Control: without first_chain every rank runs chains [0, share), so the shards are not
     * the one run's (on one rank there is nothing to shard). */
    sample(mala, 0, share, 1, shard, &s_shard, trace_shard);
    int differ = memcmp(shard, all + rank * share * DIM, (size_t)(share * DIM) * sizeof(double)) != 0;
    MPI_Allreduce(MPI_IN_PLACE, &differ, 1, MPI_INT, MPI_LOR, comm);
    CHECK(size == 1 || differ);
}

static void sharded_langevin(void) {
    sharded_sampling(0);
}

static void sharded_mala(void) {
    sharded_sampling(1);
}

/* The callback's own failure: an MPI error becomes EBM_ERR_CALLBACK with MPI's text. An
 * invalid communicator is refused by MPI before any communication, on every rank alike. */
static void mpi_errors_are_callback_errors(void) {
    ebm_energy *well = NULL;
    CHECK_OK(ebm_energy_double_well_new(1.0, 2.0, &well));
    ebm_langevin_params p = ebm_langevin_default_params();
    ebm_sampler *sampler = NULL;
    CHECK_OK(ebm_langevin_new(well, &p, &sampler));
    static MPI_Comm null_comm = MPI_COMM_NULL;
    CHECK_OK(ebm_sampler_set_allreduce(sampler, ebm_mpi_allreduce, &null_comm, NULL));
    CHECK_OK(ebm_sampler_init_f64(sampler, NULL, 4, DIM));
    ebm_sampler_stats stats;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    CHECK_FAILS(ebm_sampler_get_stats(sampler, &stats, sizeof stats), EBM_ERR_CALLBACK, "ebm_sampler_get_stats",
                "allreduce_fn: callback returned");
    CHECK(strstr(ebm_last_error_message(), "MPI_Allreduce: ") != NULL);
    /* Removing the all-reduce makes the statistics local again. */
    CHECK_OK(ebm_sampler_set_allreduce(sampler, NULL, NULL, NULL));
    CHECK_OK(ebm_sampler_get_stats(sampler, &stats, sizeof stats));
    CHECK(stats.n_chains == 4);
    ebm_sampler_free(sampler);
    ebm_energy_free(well);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    if (BATCH % size != 0 || CHAINS % size != 0) {
        if (rank == 0) fprintf(stderr, "test_mpi: the number of ranks must divide %d\n", BATCH);
        MPI_Finalize();
        return 2;
    }
    ebm_set_num_threads(1); /* one rank per core */
    /* Only rank 0 prints its results; every rank checks. */
    if (rank != 0 && !freopen("/dev/null", "w", stdout)) return 1;
    RUN(data_parallel_cd_data_started);
    RUN(data_parallel_cd_noise_started);
    RUN(data_parallel_score_matching);
    RUN(data_parallel_cd_float);
    RUN(without_allreduce_ranks_differ);
    RUN(failure_on_one_rank_stops_all);
    RUN(sharded_langevin);
    RUN(sharded_mala);
    RUN(mpi_errors_are_callback_errors);
    int failed = check_failures;
    MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_SUM, comm);
    if (rank == 0) printf("%d rank(s): %s\n", size, failed == 0 ? "all checks passed" : "FAILED");
    MPI_Finalize();
    return failed == 0 ? 0 : 1;
}
