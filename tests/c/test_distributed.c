/* The all-reduce API in one process, without MPI (make test-mpi runs it across processes):
 * argument errors, ownership of user_data, a failing all-reduce, and that summing over a
 * single process (the identity) changes neither training nor statistics. */
#include <stdlib.h>

#include "check.h"

typedef struct {
    int calls;
    int freed;
    int fail;          /* return this code instead of 0 */
    size_t floats, doubles;
} reducer;

/* The sum over one process: the values as they are. */
static int32_t identity(void *values, size_t count, int32_t dtype, void *user_data) {
    reducer *r = user_data;
    r->calls++;
    if (values == NULL || count == 0) return 99;
    if (dtype == EBM_DTYPE_F32) r->floats += count;
    else if (dtype == EBM_DTYPE_F64) r->doubles += count;
    else return 98;
    if (r->fail) {
        ebm_callback_set_error("the network is down");
        return r->fail;
    }
    return 0;
}

static void release(void *user_data) { ((reducer *)user_data)->freed++; }

static ebm_energy *mlp(int32_t dtype) {
    static const int64_t hidden[1] = {8};
    ebm_mlp_params p = ebm_mlp_default_params();
    p.hidden = hidden;
    p.n_hidden = 1;
    p.dtype = dtype;
    p.seed = 4;
    ebm_energy *model = NULL;
    CHECK_OK(ebm_model_mlp_new(&p, &model));
    return model;
}

static void null_handles_are_refused(void) {
    reducer r = {0};
    CHECK_FAILS(ebm_optimizer_set_allreduce(NULL, identity, &r, release), EBM_ERR_NULL_POINTER,
                "ebm_optimizer_set_allreduce", "optimizer");
    CHECK_FAILS(ebm_sampler_set_allreduce(NULL, identity, &r, release), EBM_ERR_NULL_POINTER,
                "ebm_sampler_set_allreduce", "sampler");
    CHECK(r.freed == 0 && r.calls == 0); /* on failure user_data stays the caller's */
}

/* Train steps with and without the identity all-reduce: same losses and parameters; two
 * calls per step, the gradients in the model's precision. */
static void training_over_one_process_is_unchanged(void) {
    for (int32_t dtype = EBM_DTYPE_F32; dtype <= EBM_DTYPE_F64; dtype++) {
        double data[32 * 2], loss_alone = 0, loss_together = 0;
        ebm_dataset_params dp = ebm_dataset_default_params(EBM_DATASET_TWO_MOONS);
        CHECK_OK(ebm_dataset_generate_f64(&dp, 32, data));
        double params[2][64];
        int64_t count = 0;
        reducer r = {0};
        for (int together = 0; together < 2; together++) {
            ebm_energy *model = mlp(dtype);
            ebm_adam_params ap = ebm_adam_default_params();
            ebm_optimizer *opt = NULL;
            CHECK_OK(ebm_optimizer_adam_new(model, &ap, &opt));
            if (together) CHECK_OK(ebm_optimizer_set_allreduce(opt, identity, &r, release));
            ebm_score_matching_params sp = ebm_score_matching_default_params();
            ebm_score_matching *sm = NULL;
            CHECK_OK(ebm_score_matching_new(model, &sp, &sm));
            double *loss = together ? &loss_together : &loss_alone;
            for (int step = 0; step < 3; step++) CHECK_OK(ebm_score_matching_train_step_f64(sm, opt, data, 32, 2, loss));
            CHECK_OK(ebm_optimizer_step(opt)); /* a plain step: equal weights, two calls too */
            CHECK_OK(ebm_model_parameter_count(model, &count));
            CHECK(count <= 64);
            CHECK_OK(ebm_model_get_parameters_f64(model, params[together], count));
            ebm_score_matching_free(sm);
            ebm_optimizer_free(opt);
            ebm_energy_free(model);
        }
        CHECK(r.calls == 8 && r.freed == 1);
        CHECK(r.doubles == (size_t)(4 * 6 + (dtype == EBM_DTYPE_F64 ? 4 * count : 0)));
        CHECK(r.floats == (size_t)(dtype == EBM_DTYPE_F32 ? 4 * count : 0));
        CHECK(loss_alone == loss_together);
        for (int64_t i = 0; i < count; i++) CHECK_NEAR(params[1][i], params[0][i], 1e-12);
    }
}

static void a_failing_allreduce_is_a_callback_error(void) {
    ebm_energy *model = mlp(EBM_DTYPE_F64);
    ebm_adam_params ap = ebm_adam_default_params();
    ebm_optimizer *opt = NULL;
    CHECK_OK(ebm_optimizer_adam_new(model, &ap, &opt));
    reducer r = {.fail = 7};
    CHECK_OK(ebm_optimizer_set_allreduce(opt, identity, &r, release));
    ebm_score_matching_params sp = ebm_score_matching_default_params();
    ebm_score_matching *sm = NULL;
    CHECK_OK(ebm_score_matching_new(model, &sp, &sm));
    double data[8 * 2] = {0.1, 0.2, -0.3, 0.4, 0.5, -0.6, 0.7, 0.8, -0.9, 1.0, 1.1, -1.2, 1.3, 1.4, -1.5, 1.6};
    double before[64], after[64];
    int64_t count = 0;
    CHECK_OK(ebm_model_parameter_count(model, &count));
    CHECK_OK(ebm_model_get_parameters_f64(model, before, count));
    CHECK_FAILS(ebm_score_matching_train_step_f64(sm, opt, data, 8, 2, NULL), EBM_ERR_CALLBACK,
                "ebm_score_matching_train_step_f64", "allreduce_fn: callback returned 7 (the network is down)");
    CHECK_OK(ebm_model_get_parameters_f64(model, after, count));
    CHECK(memcmp(before, after, (size_t)count * sizeof(double)) == 0);
    /* Replacing it releases the old user_data; removing it makes training local again. */
    reducer r2 = {0};
    CHECK_OK(ebm_optimizer_set_allreduce(opt, identity, &r2, release));
    CHECK(r.freed == 1 && r2.freed == 0);
    CHECK_OK(ebm_optimizer_set_allreduce(opt, NULL, NULL, NULL));
    CHECK(r2.freed == 1);
    CHECK_OK(ebm_score_matching_train_step_f64(sm, opt, data, 8, 2, NULL));
    CHECK(r2.calls == 0);
    ebm_score_matching_free(sm);
    ebm_optimizer_free(opt);
    ebm_energy_free(model);
}

/* Statistics over one process are the local ones; the sampler owns its all-reduce's
 * user_data until freed. */
static void sampler_statistics_over_one_process(void) {
    ebm_energy *well = NULL;
    CHECK_OK(ebm_energy_double_well_new(1.0, 2.0, &well));
    ebm_mala_params p = ebm_mala_default_params();
    p.step_size = 0.1;
    ebm_sampler *s = NULL;
    CHECK_OK(ebm_mala_new(well, &p, &s));
    reducer r = {0};
    CHECK_OK(ebm_sampler_set_allreduce(s, identity, &r, release));
    ebm_sampler_stats stats;
    /* Chains not initialised: the local failure is reported after the agreement round. */
    CHECK_FAILS(ebm_sampler_get_stats(s, &stats, sizeof stats), EBM_ERR_INVALID_ARGUMENT, "ebm_sampler_get_stats",
                "sampler");
    CHECK(r.calls == 1);
    CHECK_OK(ebm_sampler_init_f64(s, NULL, 20, 2));
    CHECK_OK(ebm_sampler_run(s, 15));
    CHECK_OK(ebm_sampler_get_stats(s, &stats, sizeof stats));
    double trace[15];
    int64_t length = 0;
    CHECK_OK(ebm_sampler_get_energy_trace(s, trace, 15, &length));
    CHECK(r.calls == 4 && r.doubles == 13 + 13 + 4 + 30); /* stats: 11 scalars and 2 flags */
    ebm_sampler_stats local;
    double local_trace[15];
    CHECK_OK(ebm_sampler_set_allreduce(s, NULL, NULL, NULL));
    CHECK(r.freed == 1);
    CHECK_OK(ebm_sampler_get_stats(s, &local, sizeof local));
    CHECK_OK(ebm_sampler_get_energy_trace(s, local_trace, 15, &length));
    CHECK(stats.n_chains == local.n_chains && stats.mean_energy == local.mean_energy &&
          stats.mean_acceptance == local.mean_acceptance && stats.non_finite_chains == local.non_finite_chains);
    CHECK(memcmp(trace, local_trace, sizeof trace) == 0);
    reducer kept = {0};
    CHECK_OK(ebm_sampler_set_allreduce(s, identity, &kept, release));
    ebm_sampler_free(s);
    CHECK(kept.freed == 1 && kept.calls == 0); /* running never calls it; freeing releases it */
    ebm_energy_free(well);
}

int main(void) {
    RUN(null_handles_are_refused);
    RUN(training_over_one_process_is_unchanged);
    RUN(a_failing_allreduce_is_a_callback_error);
    RUN(sampler_statistics_over_one_process);
    return CHECK_RESULT();
}
