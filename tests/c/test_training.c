/* Models, losses, optimizers, datasets and checkpoints through the C API: every function,
 * float and double, and every bad input. */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"

#define NO_ENERGY ((ebm_energy *)(uintptr_t)0x5e5e)

static ebm_energy *mlp(int64_t width, uint64_t seed, int32_t dtype) {
    int64_t hidden[2] = {width, width};
    ebm_mlp_params p = ebm_mlp_default_params();
    p.hidden = hidden;
    p.n_hidden = 2;
    p.seed = seed;
    p.dtype = dtype;
    ebm_energy *model = NULL;
    CHECK_OK(ebm_model_mlp_new(&p, &model));
    return model;
}

static int64_t parameter_count(const ebm_energy *model) {
    int64_t count = -1;
    CHECK_OK(ebm_model_parameter_count(model, &count));
    return count;
}

static void temp_path(char *buffer, size_t size, const char *name) {
    snprintf(buffer, size, "/tmp/torchebm-c-%ld-%s", (long)getpid(), name);
}

static void mlp_is_an_energy_with_parameters(void) {
    ebm_energy *model = mlp(8, 1, EBM_DTYPE_F32);
    CHECK(strcmp(ebm_energy_name(model), "mlp") == 0);
    int64_t dim = 0;
    CHECK_OK(ebm_energy_dim(model, &dim));
    CHECK(dim == 2);
    CHECK(parameter_count(model) == (2 * 8 + 8) + (8 * 8 + 8) + (8 + 1));
    double x[6] = {0, 0, 1, -1, 0.5, 2}, e[3], g[6];
    CHECK_OK(ebm_energy_eval_and_gradient_f64(model, x, 3, 2, e, g));
    /* Same seed, same weights; another seed, others. */
    ebm_energy *twin = mlp(8, 1, EBM_DTYPE_F32), *other = mlp(8, 2, EBM_DTYPE_F32);
    double e_twin[3], e_other[3];
    CHECK_OK(ebm_energy_eval_f64(twin, x, 3, 2, e_twin));
    CHECK_OK(ebm_energy_eval_f64(other, x, 3, 2, e_other));
    CHECK(memcmp(e, e_twin, sizeof e) == 0 && e[0] != e_other[0]);
    /* A sampler runs on it like on any energy. */
    ebm_langevin_params lp = ebm_langevin_default_params();
    ebm_sampler *s = NULL;
    CHECK_OK(ebm_langevin_new(model, &lp, &s));
    float samples[20];
    CHECK_OK(ebm_sampler_sample_f32(s, 10, 2, 5, samples));
    ebm_sampler_free(s), ebm_energy_free(model), ebm_energy_free(twin), ebm_energy_free(other);
}

static void parameters_and_gradients_round_trip(void) {
    ebm_energy *model = mlp(4, 3, EBM_DTYPE_F64);
    int64_t n = parameter_count(model);
    double *values = malloc(sizeof(double) * (size_t)n), *back = malloc(sizeof(double) * (size_t)n);
    float *values32 = malloc(sizeof(float) * (size_t)n);
    for (int64_t i = 0; i < n; i++) values[i] = 0.01 * (double)i - 0.2;
    CHECK_OK(ebm_model_set_parameters_f64(model, values, n));
    CHECK_OK(ebm_model_get_parameters_f64(model, back, n));
    CHECK(memcmp(values, back, sizeof(double) * (size_t)n) == 0);
    CHECK_OK(ebm_model_get_parameters_f32(model, values32, n));
    CHECK(values32[5] == (float)values[5]);
    CHECK_OK(ebm_model_set_parameters_f32(model, values32, n));
    CHECK_OK(ebm_model_set_gradients_f64(model, values, n));
    CHECK_OK(ebm_model_get_gradients_f64(model, back, n));
    CHECK(memcmp(values, back, sizeof(double) * (size_t)n) == 0);
    CHECK_OK(ebm_model_set_gradients_f32(model, values32, n));
    CHECK_OK(ebm_model_get_gradients_f32(model, values32, n));
    CHECK_OK(ebm_model_zero_grad(model));
    CHECK_OK(ebm_model_get_gradients_f64(model, back, n));
    for (int64_t i = 0; i < n; i++) CHECK(back[i] == 0);
    free(values), free(back), free(values32);
    ebm_energy_free(model);
}

static void datasets_generate_deterministically(void) {
    for (int32_t kind = EBM_DATASET_GAUSSIAN_MIXTURE; kind <= EBM_DATASET_GRID; kind++) {
        ebm_dataset_params p = ebm_dataset_default_params(kind);
        p.seed = 9;
        float a[200], b[200];
        double c[200];
        CHECK_OK(ebm_dataset_generate_f32(&p, 100, a));
        CHECK_OK(ebm_dataset_generate_f32(&p, 100, b));
        CHECK_OK(ebm_dataset_generate_f64(&p, 100, c));
        CHECK(memcmp(a, b, sizeof a) == 0);
        for (int i = 0; i < 200; i++) CHECK(isfinite(a[i]) && isfinite(c[i]));
    }
    ebm_dataset_params eight = ebm_dataset_default_params(EBM_DATASET_EIGHT_GAUSSIANS);
    float x[2000];
    CHECK_OK(ebm_dataset_generate_f32(&eight, 1000, x));
    for (int i = 0; i < 1000; i++) CHECK_NEAR(sqrt(x[2 * i] * x[2 * i] + x[2 * i + 1] * x[2 * i + 1]), 2.0, 0.15);
}

/* Trains a small MLP for a few CD steps, in double and float, with every CD start. */
static void cd_training_steps_run_and_change_the_model(void) {
    float data32[256];
    double data64[256];
    ebm_dataset_params moons = ebm_dataset_default_params(EBM_DATASET_TWO_MOONS);
    CHECK_OK(ebm_dataset_generate_f32(&moons, 128, data32));
    for (int i = 0; i < 256; i++) data64[i] = data32[i];
    int32_t starts[3] = {EBM_CD_START_NOISE, EBM_CD_START_DATA, EBM_CD_START_PERSISTENT};
    for (int s = 0; s < 3; s++) {
        ebm_energy *model = mlp(16, 4, EBM_DTYPE_F32);
        ebm_langevin_params lp = ebm_langevin_default_params();
        lp.step_size = 0.05;
        lp.noise_scale = 0.1;
        ebm_sampler *sampler = NULL;
        CHECK_OK(ebm_langevin_new(model, &lp, &sampler));
        ebm_cd_params cp = ebm_cd_default_params();
        cp.k = 5;
        cp.start = starts[s];
        cp.buffer_size = 500;
        ebm_cd_loss *loss = NULL;
        CHECK_OK(ebm_cd_loss_new(model, sampler, &cp, &loss));
        ebm_adam_params ap = ebm_adam_default_params();
        ebm_optimizer *adam = NULL;
        CHECK_OK(ebm_optimizer_adam_new(model, &ap, &adam));
        int64_t n = parameter_count(model);
        float *before = malloc(sizeof(float) * (size_t)n), *after = malloc(sizeof(float) * (size_t)n);
        CHECK_OK(ebm_model_get_parameters_f32(model, before, n));
        double value = NAN;
        CHECK_OK(ebm_cd_loss_train_step_f32(loss, adam, data32, 128, 2, &value));
        CHECK(isfinite(value));
        CHECK_OK(ebm_cd_loss_train_step_f64(loss, adam, data64, 128, 2, NULL));
        CHECK_OK(ebm_optimizer_zero_grad(adam));
        CHECK_OK(ebm_cd_loss_compute_f64(loss, data64, 128, 2, &value));
        CHECK_OK(ebm_cd_loss_compute_f32(loss, data32, 128, 2, NULL));
        CHECK_OK(ebm_optimizer_step(adam));
        CHECK_OK(ebm_model_get_parameters_f32(model, after, n));
        CHECK(memcmp(before, after, sizeof(float) * (size_t)n) != 0);
        float negatives[256];
        double negatives64[256];
        int64_t negatives_n = 0, negatives_dim = 0;
        CHECK_OK(ebm_cd_loss_get_negatives_shape(loss, &negatives_n, &negatives_dim));
        CHECK(negatives_n == 128 && negatives_dim == 2);
        CHECK_OK(ebm_cd_loss_get_negatives_f32(loss, negatives, 128, 2));
        CHECK_OK(ebm_cd_loss_get_negatives_f64(loss, negatives64, 128, 2));
        CHECK(negatives[7] == (float)negatives64[7]);
        double lr = 0;
        int64_t steps = 0;
        CHECK_OK(ebm_optimizer_set_learning_rate(adam, 5e-4));
        CHECK_OK(ebm_optimizer_get_state(adam, &lr, &steps));
        CHECK(lr == 5e-4 && steps == 3);
        free(before), free(after);
        ebm_cd_loss_free(loss), ebm_optimizer_free(adam), ebm_sampler_free(sampler), ebm_energy_free(model);
    }
}

typedef struct {
    int64_t steps_seen;
    int freed;
} progress_count;

static int32_t count_progress(int64_t done, int64_t total, double mean_energy, void *user_data) {
    (void)done, (void)total, (void)mean_energy;
    ((progress_count *)user_data)->steps_seen++;
    return 0;
}

static void release_progress(void *user_data) { ((progress_count *)user_data)->freed++; }

/* A CD loss keeps its sampler, and the sampler's progress callback, alive after
 * ebm_sampler_free: the callback keeps running and its user_data is released only with the
 * loss. */
static void a_loss_keeps_its_samplers_progress_callback_alive(void) {
    double data[64];
    ebm_dataset_params moons = ebm_dataset_default_params(EBM_DATASET_TWO_MOONS);
    CHECK_OK(ebm_dataset_generate_f64(&moons, 32, data));
    ebm_energy *model = mlp(8, 1, EBM_DTYPE_F64);
    ebm_langevin_params lp = ebm_langevin_default_params();
    ebm_sampler *sampler = NULL;
    CHECK_OK(ebm_langevin_new(model, &lp, &sampler));
    progress_count count = {0, 0};
    CHECK_OK(ebm_sampler_set_progress_callback(sampler, count_progress, 1, &count, release_progress));
    ebm_cd_params cp = ebm_cd_default_params();
    cp.k = 3;
    ebm_cd_loss *loss = NULL;
    CHECK_OK(ebm_cd_loss_new(model, sampler, &cp, &loss));
    ebm_sampler_free(sampler);
    ebm_energy_free(model);
    CHECK(count.freed == 0);
    CHECK_OK(ebm_cd_loss_compute_f64(loss, data, 32, 2, NULL));
    CHECK(count.steps_seen == 3);
    ebm_cd_loss_free(loss);
    CHECK(count.freed == 1);
}

static void score_matching_steps_run(void) {
    double data[256];
    ebm_dataset_params circle = ebm_dataset_default_params(EBM_DATASET_CIRCLE);
    CHECK_OK(ebm_dataset_generate_f64(&circle, 128, data));
    float data32[256];
    for (int i = 0; i < 256; i++) data32[i] = (float)data[i];
    int32_t methods[3] = {EBM_SCORE_MATCHING_EXACT, EBM_SCORE_MATCHING_SLICED, EBM_SCORE_MATCHING_DENOISING};
    for (int m = 0; m < 3; m++) {
        ebm_energy *model = mlp(16, 5, EBM_DTYPE_F64);
        ebm_score_matching_params p = ebm_score_matching_default_params();
        p.method = methods[m];
        p.n_projections = 2;
        p.projection = EBM_PROJECTION_GAUSSIAN;
        ebm_score_matching *loss = NULL;
        CHECK_OK(ebm_score_matching_new(model, &p, &loss));
        ebm_sgd_params sp = ebm_sgd_default_params();
        sp.momentum = 0.9;
        sp.nesterov = 1;
        sp.max_grad_norm = 1.0;
        ebm_optimizer *sgd = NULL;
        CHECK_OK(ebm_optimizer_sgd_new(model, &sp, &sgd));
        double value = NAN;
        CHECK_OK(ebm_score_matching_train_step_f64(loss, sgd, data, 128, 2, &value));
        CHECK(isfinite(value));
        CHECK_OK(ebm_score_matching_train_step_f32(loss, sgd, data32, 128, 2, NULL));
        CHECK_OK(ebm_score_matching_compute_f32(loss, data32, 128, 2, &value));
        CHECK_OK(ebm_score_matching_compute_f64(loss, data, 128, 2, &value));
        ebm_score_matching_free(loss), ebm_optimizer_free(sgd), ebm_energy_free(model);
    }
    /* An analytic energy gets its value: exact score matching of N(0, I) at x is |x|^2/2 - dim. */
    double zero[2] = {0, 0}, eye[4] = {1, 0, 0, 1}, point[2] = {1, 2}, value = 0;
    ebm_energy *gaussian = NULL;
    CHECK_OK(ebm_energy_gaussian_new(zero, eye, 2, &gaussian));
    ebm_score_matching_params p = ebm_score_matching_default_params();
    ebm_score_matching *sm = NULL;
    CHECK_OK(ebm_score_matching_new(gaussian, &p, &sm));
    CHECK_OK(ebm_score_matching_compute_f64(sm, point, 1, 2, &value));
    CHECK_NEAR(value, 2.5 - 2.0, 1e-12);
    ebm_score_matching_free(sm), ebm_energy_free(gaussian);
}

static void saved_models_reload_identically(void) {
    char path[256];
    temp_path(path, sizeof path, "model.safetensors");
    ebm_energy *model = mlp(8, 6, EBM_DTYPE_F32), *loaded = NULL;
    CHECK_OK(ebm_model_save(model, path));
    CHECK_OK(ebm_model_load(path, EBM_DEVICE_CPU, &loaded));
    double x[4] = {0.1, 0.2, -1, 3}, a[2], b[2];
    CHECK_OK(ebm_energy_eval_f64(model, x, 2, 2, a));
    CHECK_OK(ebm_energy_eval_f64(loaded, x, 2, 2, b));
    CHECK(a[0] == b[0] && a[1] == b[1]);
    remove(path);
    ebm_energy_free(model), ebm_energy_free(loaded);
}

static void checkpoints_resume_training_identically(void) {
    char path[256];
    temp_path(path, sizeof path, "checkpoint.safetensors");
    float data[256];
    ebm_dataset_params moons = ebm_dataset_default_params(EBM_DATASET_TWO_MOONS);
    CHECK_OK(ebm_dataset_generate_f32(&moons, 128, data));
    float *params[2] = {NULL, NULL};
    for (int run = 0; run < 2; run++) {
        ebm_energy *model = mlp(8, 7, EBM_DTYPE_F32);
        ebm_langevin_params lp = ebm_langevin_default_params();
        ebm_sampler *sampler = NULL;
        CHECK_OK(ebm_langevin_new(model, &lp, &sampler));
        ebm_cd_params cp = ebm_cd_default_params();
        cp.start = EBM_CD_START_PERSISTENT;
        cp.buffer_size = 300;
        ebm_cd_loss *loss = NULL;
        CHECK_OK(ebm_cd_loss_new(model, sampler, &cp, &loss));
        ebm_adam_params ap = ebm_adam_default_params();
        ebm_optimizer *adam = NULL;
        CHECK_OK(ebm_optimizer_adam_new(model, &ap, &adam));
        if (run == 0) {
            for (int i = 0; i < 3; i++) CHECK_OK(ebm_cd_loss_train_step_f32(loss, adam, data, 128, 2, NULL));
            CHECK_OK(ebm_checkpoint_save(path, model, adam, loss));
        } else {
            CHECK_OK(ebm_checkpoint_load(path, model, adam, loss));
        }
        for (int i = 0; i < 3; i++) CHECK_OK(ebm_cd_loss_train_step_f32(loss, adam, data, 128, 2, NULL));
        int64_t n = parameter_count(model);
        params[run] = malloc(sizeof(float) * (size_t)n);
        CHECK_OK(ebm_model_get_parameters_f32(model, params[run], n));
        if (run == 1) CHECK(memcmp(params[0], params[1], sizeof(float) * (size_t)n) == 0);
        ebm_cd_loss_free(loss), ebm_optimizer_free(adam), ebm_sampler_free(sampler), ebm_energy_free(model);
    }
    free(params[0]), free(params[1]);
    remove(path);
}

/* ---- bad input ---- */

static void bad_mlp_parameters(void) {
    ebm_energy *out = NO_ENERGY;
    ebm_mlp_params p = ebm_mlp_default_params();
    CHECK_FAILS(ebm_model_mlp_new(NULL, &out), EBM_ERR_NULL_POINTER, "ebm_model_mlp_new", "params");
    CHECK_FAILS(ebm_model_mlp_new(&p, NULL), EBM_ERR_NULL_POINTER, "ebm_model_mlp_new", "out");
    p.input_dim = 0;
    CHECK_FAILS(ebm_model_mlp_new(&p, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_model_mlp_new", "params.input_dim");
    p = ebm_mlp_default_params();
    p.n_hidden = 2;
    CHECK_FAILS(ebm_model_mlp_new(&p, &out), EBM_ERR_NULL_POINTER, "ebm_model_mlp_new", "params.hidden");
    int64_t widths[2] = {8, 0};
    p.hidden = widths;
    CHECK_FAILS(ebm_model_mlp_new(&p, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_model_mlp_new", "params.hidden: width 1");
    p = ebm_mlp_default_params();
    p.activation = 17;
    CHECK_FAILS(ebm_model_mlp_new(&p, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_model_mlp_new", "params.activation");
    p = ebm_mlp_default_params();
    p.dtype = 5;
    CHECK_FAILS(ebm_model_mlp_new(&p, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_model_mlp_new", "params.dtype");
    p = ebm_mlp_default_params();
    p.device = ebm_cuda_device_count();
    CHECK_FAILS(ebm_model_mlp_new(&p, &out), EBM_ERR_DEVICE_UNAVAILABLE, "ebm_model_mlp_new", "params.device");
    CHECK(out == NO_ENERGY);
}

static void parameters_of_energies_without_any(void) {
    ebm_energy *well = NULL;
    CHECK_OK(ebm_energy_double_well_new(1, 2, &well));
    int64_t count;
    double values[4];
    CHECK_FAILS(ebm_model_parameter_count(well, &count), EBM_ERR_INVALID_ARGUMENT, "ebm_model_parameter_count",
                "model: energy 'double_well' has no trainable parameters");
    CHECK_FAILS(ebm_model_get_parameters_f64(well, values, 4), EBM_ERR_INVALID_ARGUMENT,
                "ebm_model_get_parameters_f64", "model");
    ebm_adam_params ap = ebm_adam_default_params();
    ebm_optimizer *adam = NULL;
    CHECK_FAILS(ebm_optimizer_adam_new(well, &ap, &adam), EBM_ERR_INVALID_ARGUMENT, "ebm_optimizer_adam_new",
                "model: energy 'double_well' has no trainable parameters");
    ebm_sgd_params sp = ebm_sgd_default_params();
    CHECK_FAILS(ebm_optimizer_sgd_new(well, &sp, &adam), EBM_ERR_INVALID_ARGUMENT, "ebm_optimizer_sgd_new", "model");
    CHECK(adam == NULL);
    ebm_energy *model = mlp(4, 1, EBM_DTYPE_F32);
    int64_t n = parameter_count(model);
    double *wrong = calloc((size_t)n + 1, sizeof(double));
    CHECK_FAILS(ebm_model_set_parameters_f64(model, wrong, n + 1), EBM_ERR_LENGTH_MISMATCH,
                "ebm_model_set_parameters_f64", "values");
    wrong[3] = NAN;
    CHECK_FAILS(ebm_model_set_parameters_f64(model, wrong, n), EBM_ERR_NON_FINITE, "ebm_model_set_parameters_f64",
                "values: element 3");
    CHECK_FAILS(ebm_model_get_gradients_f64(model, wrong, n - 1), EBM_ERR_LENGTH_MISMATCH,
                "ebm_model_get_gradients_f64", "out");
    free(wrong);
    ebm_energy_free(well), ebm_energy_free(model);
}

static void bad_training_data(void) {
    ebm_energy *model = mlp(8, 1, EBM_DTYPE_F32);
    ebm_langevin_params lp = ebm_langevin_default_params();
    ebm_sampler *sampler = NULL;
    CHECK_OK(ebm_langevin_new(model, &lp, &sampler));
    ebm_cd_params cp = ebm_cd_default_params();
    ebm_cd_loss *loss = NULL;
    CHECK_OK(ebm_cd_loss_new(model, sampler, &cp, &loss));
    float data[9] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
    double value;
    CHECK_FAILS(ebm_cd_loss_compute_f32(loss, data, 3, 3, &value), EBM_ERR_DIMENSION_MISMATCH,
                "ebm_cd_loss_compute_f32", "energy 'mlp' needs dim 2, got dim 3");
    CHECK_FAILS(ebm_cd_loss_compute_f32(loss, data, 0, 2, &value), EBM_ERR_INVALID_ARGUMENT, "ebm_cd_loss_compute_f32",
                "n: a loss needs at least one data point");
    data[5] = NAN;
    CHECK_FAILS(ebm_cd_loss_compute_f32(loss, data, 4, 2, &value), EBM_ERR_NON_FINITE, "ebm_cd_loss_compute_f32",
                "data: element 5 (point 2)");
    CHECK_FAILS(ebm_cd_loss_compute_f32(loss, NULL, 4, 2, &value), EBM_ERR_NULL_POINTER, "ebm_cd_loss_compute_f32",
                "data");
    float negatives[8];
    CHECK_FAILS(ebm_cd_loss_get_negatives_f32(loss, negatives, 4, 2), EBM_ERR_INVALID_ARGUMENT,
                "ebm_cd_loss_get_negatives_f32", "loss: has not been computed yet");
    int64_t shape_n = -1, shape_dim = -1;
    CHECK_OK(ebm_cd_loss_get_negatives_shape(loss, &shape_n, &shape_dim));
    CHECK(shape_n == 0 && shape_dim == 0); /* before the first loss */
#define GET_NEGATIVES_SHAPE "ebm_cd_loss_get_negatives_shape"
    CHECK_FAILS(ebm_cd_loss_get_negatives_shape(NULL, &shape_n, &shape_dim), EBM_ERR_NULL_POINTER, GET_NEGATIVES_SHAPE,
                "loss");
    CHECK_FAILS(ebm_cd_loss_get_negatives_shape(loss, NULL, &shape_dim), EBM_ERR_NULL_POINTER, GET_NEGATIVES_SHAPE,
                "n_out");
    CHECK_FAILS(ebm_cd_loss_get_negatives_shape(loss, &shape_n, NULL), EBM_ERR_NULL_POINTER, GET_NEGATIVES_SHAPE,
                "dim_out");
    ebm_score_matching_params sp = ebm_score_matching_default_params();
    ebm_score_matching *sm = NULL;
    CHECK_OK(ebm_score_matching_new(model, &sp, &sm));
    CHECK_FAILS(ebm_score_matching_compute_f32(sm, data, 4, 2, &value), EBM_ERR_NON_FINITE,
                "ebm_score_matching_compute_f32", "data");
    ebm_score_matching_free(sm), ebm_cd_loss_free(loss), ebm_sampler_free(sampler), ebm_energy_free(model);
}

static void bad_loss_and_optimizer_configuration(void) {
    ebm_energy *model = mlp(8, 1, EBM_DTYPE_F32), *other = mlp(8, 2, EBM_DTYPE_F32);
    ebm_langevin_params lp = ebm_langevin_default_params();
    ebm_sampler *sampler = NULL, *other_sampler = NULL;
    CHECK_OK(ebm_langevin_new(model, &lp, &sampler));
    CHECK_OK(ebm_langevin_new(other, &lp, &other_sampler));
    ebm_cd_params cp = ebm_cd_default_params();
    ebm_cd_loss *loss = NULL;
    CHECK_FAILS(ebm_cd_loss_new(model, other_sampler, &cp, &loss), EBM_ERR_INVALID_ARGUMENT, "ebm_cd_loss_new",
                "sampler: samples energy 'mlp', not the model being trained");
    cp.k = 0;
    CHECK_FAILS(ebm_cd_loss_new(model, sampler, &cp, &loss), EBM_ERR_INVALID_ARGUMENT, "ebm_cd_loss_new", "params.k");
    cp = ebm_cd_default_params();
    cp.start = 9;
    CHECK_FAILS(ebm_cd_loss_new(model, sampler, &cp, &loss), EBM_ERR_INVALID_ARGUMENT, "ebm_cd_loss_new",
                "params.start");
    cp = ebm_cd_default_params();
    cp.start = EBM_CD_START_PERSISTENT;
    cp.reinit_fraction = 1.5;
    CHECK_FAILS(ebm_cd_loss_new(model, sampler, &cp, &loss), EBM_ERR_INVALID_ARGUMENT, "ebm_cd_loss_new",
                "params.reinit_fraction");
    cp = ebm_cd_default_params();
    cp.energy_reg_weight = NAN;
    CHECK_FAILS(ebm_cd_loss_new(model, sampler, &cp, &loss), EBM_ERR_NON_FINITE, "ebm_cd_loss_new",
                "params.energy_reg_weight");
    CHECK(loss == NULL);
    ebm_score_matching_params sp = ebm_score_matching_default_params();
    sp.method = EBM_SCORE_MATCHING_DENOISING;
    sp.noise_scale = 0;
    ebm_score_matching *sm = NULL;
    CHECK_FAILS(ebm_score_matching_new(model, &sp, &sm), EBM_ERR_INVALID_ARGUMENT, "ebm_score_matching_new",
                "params.noise_scale");
    sp = ebm_score_matching_default_params();
    sp.method = EBM_SCORE_MATCHING_SLICED;
    sp.n_projections = 0;
    CHECK_FAILS(ebm_score_matching_new(model, &sp, &sm), EBM_ERR_INVALID_ARGUMENT, "ebm_score_matching_new",
                "params.n_projections");
    ebm_adam_params ap = ebm_adam_default_params();
    ap.beta1 = 1.0;
    ebm_optimizer *opt = NULL;
    CHECK_FAILS(ebm_optimizer_adam_new(model, &ap, &opt), EBM_ERR_INVALID_ARGUMENT, "ebm_optimizer_adam_new",
                "params.beta1");
    ap = ebm_adam_default_params();
    ap.learning_rate = -1;
    CHECK_FAILS(ebm_optimizer_adam_new(model, &ap, &opt), EBM_ERR_INVALID_ARGUMENT, "ebm_optimizer_adam_new",
                "learning_rate");
    ebm_sgd_params sgd = ebm_sgd_default_params();
    sgd.nesterov = 1;
    CHECK_FAILS(ebm_optimizer_sgd_new(model, &sgd, &opt), EBM_ERR_INVALID_ARGUMENT, "ebm_optimizer_sgd_new",
                "params.nesterov");
    /* An optimizer of another model cannot drive this loss. */
    cp = ebm_cd_default_params();
    CHECK_OK(ebm_cd_loss_new(model, sampler, &cp, &loss));
    ap = ebm_adam_default_params();
    CHECK_OK(ebm_optimizer_adam_new(other, &ap, &opt));
    float data[4] = {0, 0, 1, 1};
    CHECK_FAILS(ebm_cd_loss_train_step_f32(loss, opt, data, 2, 2, NULL), EBM_ERR_INVALID_ARGUMENT,
                "ebm_cd_loss_train_step_f32", "optimizer: optimizes another model");
    CHECK_FAILS(ebm_optimizer_set_learning_rate(opt, NAN), EBM_ERR_NON_FINITE, "ebm_optimizer_set_learning_rate",
                "learning_rate");
    ebm_optimizer_free(opt);
    ebm_cd_loss_free(loss), ebm_sampler_free(sampler), ebm_sampler_free(other_sampler);
    ebm_energy_free(model), ebm_energy_free(other);
}

/* init_steps, add_noise_to_real and real_noise_scale were appended to ebm_cd_params: a caller
 * built before them passes the older struct_size and gets their defaults, whatever lies in
 * memory after its struct; any other smaller size is refused. */
static void cd_params_of_the_older_struct_size_are_accepted(void) {
    ebm_cd_params cp = ebm_cd_default_params();
    CHECK(cp.init_steps == 100 && cp.add_noise_to_real == 0 && cp.real_noise_scale == 1e-4);
    ebm_energy *model = mlp(8, 1, EBM_DTYPE_F32);
    ebm_langevin_params lp = ebm_langevin_default_params();
    ebm_sampler *sampler = NULL;
    CHECK_OK(ebm_langevin_new(model, &lp, &sampler));
    ebm_cd_loss *loss = NULL;
    const size_t older = offsetof(ebm_cd_params, init_steps);
    cp.struct_size = older;
    cp.init_steps = -1; /* past the older struct: not read */
    cp.real_noise_scale = -1;
    CHECK_OK(ebm_cd_loss_new(model, sampler, &cp, &loss));
    ebm_cd_loss_free(loss);
    loss = NULL;
    cp.k = 0; /* inside the older struct: read */
    CHECK_FAILS(ebm_cd_loss_new(model, sampler, &cp, &loss), EBM_ERR_INVALID_ARGUMENT, "ebm_cd_loss_new", "params.k");
    cp = ebm_cd_default_params();
    cp.struct_size = older + sizeof(int64_t);
    CHECK_FAILS(ebm_cd_loss_new(model, sampler, &cp, &loss), EBM_ERR_INVALID_ARGUMENT, "ebm_cd_loss_new",
                "params.struct_size");
    cp.struct_size = older - sizeof(uint64_t);
    CHECK_FAILS(ebm_cd_loss_new(model, sampler, &cp, &loss), EBM_ERR_INVALID_ARGUMENT, "ebm_cd_loss_new",
                "params.struct_size");
    cp = ebm_cd_default_params();
    cp.init_steps = -1;
    CHECK_FAILS(ebm_cd_loss_new(model, sampler, &cp, &loss), EBM_ERR_INVALID_ARGUMENT, "ebm_cd_loss_new",
                "params.init_steps");
    cp = ebm_cd_default_params();
    cp.add_noise_to_real = 1;
    cp.real_noise_scale = -0.1;
    CHECK_FAILS(ebm_cd_loss_new(model, sampler, &cp, &loss), EBM_ERR_INVALID_ARGUMENT, "ebm_cd_loss_new",
                "params.real_noise_scale");
    cp.real_noise_scale = NAN;
    CHECK_FAILS(ebm_cd_loss_new(model, sampler, &cp, &loss), EBM_ERR_NON_FINITE, "ebm_cd_loss_new",
                "params.real_noise_scale");
    CHECK(loss == NULL);
    ebm_sampler_free(sampler);
    ebm_energy_free(model);
}

static void bad_files(void) {
    char path[256], bad[256];
    temp_path(path, sizeof path, "good.safetensors");
    temp_path(bad, sizeof bad, "bad.safetensors");
    ebm_energy *out = NO_ENERGY;
    CHECK_FAILS(ebm_model_load("/nonexistent/dir/model.safetensors", EBM_DEVICE_CPU, &out), EBM_ERR_IO,
                "ebm_model_load", "path: cannot read");
    CHECK_FAILS(ebm_model_load(NULL, EBM_DEVICE_CPU, &out), EBM_ERR_NULL_POINTER, "ebm_model_load", "path");
    FILE *f = fopen(bad, "wb");
    fputs("not a safetensors file at all", f);
    fclose(f);
    CHECK_FAILS(ebm_model_load(bad, EBM_DEVICE_CPU, &out), EBM_ERR_FORMAT, "ebm_model_load", "path");
    /* A truncated file. */
    ebm_energy *model = mlp(8, 1, EBM_DTYPE_F32);
    CHECK_OK(ebm_model_save(model, path));
    f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *bytes = malloc((size_t)size);
    CHECK(fread(bytes, 1, (size_t)size, f) == (size_t)size);
    fclose(f);
    f = fopen(bad, "wb");
    fwrite(bytes, 1, (size_t)size / 2, f);
    fclose(f);
    CHECK_FAILS(ebm_model_load(bad, EBM_DEVICE_CPU, &out), EBM_ERR_FORMAT, "ebm_model_load", "path");
    CHECK(out == NO_ENERGY);
    /* A checkpoint of another architecture. */
    ebm_energy *wider = mlp(16, 1, EBM_DTYPE_F32);
    CHECK_OK(ebm_checkpoint_save(path, model, NULL, NULL));
    CHECK_FAILS(ebm_checkpoint_load(path, wider, NULL, NULL), EBM_ERR_FORMAT, "ebm_checkpoint_load", "path");
    /* A plain model file is not a checkpoint, and vice versa. */
    CHECK_FAILS(ebm_model_load(path, EBM_DEVICE_CPU, &out), EBM_ERR_FORMAT, "ebm_model_load", "format");
    CHECK_FAILS(ebm_model_save(model, "/nonexistent/dir/model.safetensors"), EBM_ERR_IO, "ebm_model_save", "path");
    /* TorchScript: not a module (not even a zip archive). */
    CHECK_FAILS(ebm_model_torchscript_load(bad, 2, EBM_DEVICE_CPU, &out), EBM_ERR_FORMAT,
                "ebm_model_torchscript_load", "path");
    CHECK_FAILS(ebm_model_torchscript_load(bad, 0, EBM_DEVICE_CPU, &out), EBM_ERR_INVALID_ARGUMENT,
                "ebm_model_torchscript_load", "dim");
    ebm_energy *well = NULL;
    CHECK_OK(ebm_energy_double_well_new(1, 2, &well));
    CHECK_FAILS(ebm_model_save(well, path), EBM_ERR_INVALID_ARGUMENT, "ebm_model_save", "model");
    free(bytes);
    remove(path), remove(bad);
    ebm_energy_free(model), ebm_energy_free(wider), ebm_energy_free(well);
}

static void bad_dataset_parameters(void) {
    ebm_dataset_params p = ebm_dataset_default_params(42);
    float out[20];
    CHECK_FAILS(ebm_dataset_generate_f32(&p, 10, out), EBM_ERR_INVALID_ARGUMENT, "ebm_dataset_generate_f32",
                "params.kind");
    p = ebm_dataset_default_params(EBM_DATASET_GRID);
    CHECK_FAILS(ebm_dataset_generate_f32(&p, 10, out), EBM_ERR_LENGTH_MISMATCH, "ebm_dataset_generate_f32", "n");
    p = ebm_dataset_default_params(EBM_DATASET_TWO_MOONS);
    p.noise = -1;
    CHECK_FAILS(ebm_dataset_generate_f32(&p, 10, out), EBM_ERR_INVALID_ARGUMENT, "ebm_dataset_generate_f32",
                "params.noise");
    p = ebm_dataset_default_params(EBM_DATASET_CHECKERBOARD);
    p.range_limit = 0.5;
    CHECK_FAILS(ebm_dataset_generate_f32(&p, 10, out), EBM_ERR_INVALID_ARGUMENT, "ebm_dataset_generate_f32",
                "params.range_limit");
    p = ebm_dataset_default_params(EBM_DATASET_CIRCLE);
    CHECK_FAILS(ebm_dataset_generate_f32(&p, 0, out), EBM_ERR_INVALID_ARGUMENT, "ebm_dataset_generate_f32", "n");
    CHECK_FAILS(ebm_dataset_generate_f32(NULL, 10, out), EBM_ERR_NULL_POINTER, "ebm_dataset_generate_f32", "params");
    CHECK_FAILS(ebm_dataset_generate_f32(&p, 10, NULL), EBM_ERR_NULL_POINTER, "ebm_dataset_generate_f32", "out");
}

int main(void) {
    RUN(mlp_is_an_energy_with_parameters);
    RUN(parameters_and_gradients_round_trip);
    RUN(datasets_generate_deterministically);
    RUN(cd_training_steps_run_and_change_the_model);
    RUN(a_loss_keeps_its_samplers_progress_callback_alive);
    RUN(score_matching_steps_run);
    RUN(saved_models_reload_identically);
    RUN(checkpoints_resume_training_identically);
    RUN(bad_mlp_parameters);
    RUN(parameters_of_energies_without_any);
    RUN(bad_training_data);
    RUN(bad_loss_and_optimizer_configuration);
    RUN(cd_params_of_the_older_struct_size_are_accepted);
    RUN(bad_files);
    RUN(bad_dataset_parameters);
    return CHECK_RESULT();
}
