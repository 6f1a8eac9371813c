/* Regression tests for what an attacker found through the public C API (issue 9): sizes
 * without a real bound, unbounded requests, re-entrant callbacks, stale messages, files
 * written unsafely, models shared between threads, Ackley at the origin, and the n = 0
 * promises. Each test failed (crash, abort, hang or wrong result) before its fix. */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static char scratch_dir[256];

static void make_scratch_dir(void) {
    snprintf(scratch_dir, sizeof scratch_dir, "/tmp/torchebm-hardening-XXXXXX");
    CHECK(mkdtemp(scratch_dir) != NULL);
}

static void scratch_path(char *out, size_t size, const char *name) { snprintf(out, size, "%s/%s", scratch_dir, name); }

static int no_newline(const char *message) { return strchr(message, '\n') == NULL; }

/* --- sizes with a real bound ------------------------------------------------------------ */

static void gaussian_dimension_beyond_memory_is_refused_before_reading(void) {
    double mean[2] = {0, 0}, cov[4] = {1, 0, 0, 1};
    ebm_energy *e = NULL;
    /* dim = 2^29: dim*dim*8 bytes = 2^61 fits in isize but in no machine. */
    CHECK_FAILS(ebm_energy_gaussian_new(mean, cov, (int64_t)1 << 29, &e), EBM_ERR_SIZE_OVERFLOW,
                "ebm_energy_gaussian_new", "dim");
    CHECK(e == NULL);
    CHECK_FAILS(ebm_energy_gaussian_mixture_new(mean, mean, cov, (int64_t)1 << 20, (int64_t)1 << 20, &e),
                EBM_ERR_SIZE_OVERFLOW, "ebm_energy_gaussian_mixture_new", "n_components");
    ebm_energy *well = NULL;
    CHECK_OK(ebm_energy_double_well_new(1, 2, &well));
    double x[2] = {0, 0}, out[1];
    CHECK_FAILS(ebm_energy_eval_f64(well, x, (int64_t)1 << 40, (int64_t)1 << 20, out), EBM_ERR_SIZE_OVERFLOW,
                "ebm_energy_eval_f64", "n");
    /* Every counted buffer, not only n*dim ones: a mass array, parameter vectors. */
    ebm_hmc_params hp = ebm_hmc_default_params();
    double mass[2] = {1, 1};
    hp.mass = mass;
    hp.mass_len = (int64_t)1 << 60;
    ebm_sampler *s = NULL;
    CHECK_FAILS(ebm_hmc_new(well, &hp, &s), EBM_ERR_SIZE_OVERFLOW, "ebm_hmc_new", "mass");
    CHECK(s == NULL);
    ebm_mlp_params mp = ebm_mlp_default_params();
    int64_t hidden[1] = {4};
    mp.input_dim = 2;
    mp.hidden = hidden;
    mp.n_hidden = 1;
    ebm_energy *model = NULL;
    CHECK_OK(ebm_model_mlp_new(&mp, &model));
    CHECK_FAILS(ebm_model_set_parameters_f64(model, x, (int64_t)1 << 61), EBM_ERR_SIZE_OVERFLOW,
                "ebm_model_set_parameters_f64", "values");
    CHECK_FAILS(ebm_model_get_parameters_f64(model, out, (int64_t)1 << 61), EBM_ERR_SIZE_OVERFLOW,
                "ebm_model_get_parameters_f64", "out");
    ebm_energy_free(model);
    ebm_energy_free(well);
}

static void unbounded_requests_are_errors_not_aborts(void) {
    ebm_energy *well = NULL;
    CHECK_OK(ebm_energy_double_well_new(1, 2, &well));
    ebm_langevin_params lp = ebm_langevin_default_params();
    ebm_sampler *s = NULL;
    CHECK_OK(ebm_langevin_new(well, &lp, &s));
    /* 2^40 chains: per-chain state of 8 TiB and more. */
    CHECK_FAILS(ebm_sampler_init_f64(s, NULL, (int64_t)1 << 40, 1), EBM_ERR_OUT_OF_MEMORY, "ebm_sampler_init_f64",
                "n");
    CHECK_FAILS(ebm_sampler_init_f32(s, NULL, INT64_MAX, INT64_MAX), EBM_ERR_OUT_OF_MEMORY,
                "ebm_sampler_init_f32", "n");
    ebm_sampler_free(s);

    ebm_hmc_params hp = ebm_hmc_default_params();
    CHECK_OK(ebm_hmc_new(well, &hp, &s));
    CHECK_FAILS(ebm_sampler_init_f64(s, NULL, (int64_t)1 << 44, 1), EBM_ERR_OUT_OF_MEMORY, "ebm_sampler_init_f64",
                "n");
    double sample[2];
    CHECK_FAILS(ebm_sampler_sample_f64(s, (int64_t)1 << 30, 2, 1, sample), EBM_ERR_OUT_OF_MEMORY,
                "ebm_sampler_sample_f64", "n_samples");
    /* The sampler is still usable. */
    double start[4] = {1, -1, 0.5, 0.25};
    CHECK_OK(ebm_sampler_init_f64(s, start, 2, 2));
    CHECK_OK(ebm_sampler_run(s, 3));
    ebm_sampler_free(s);

    /* A CD loss asking for 2^50 negatives. */
    ebm_mlp_params mp = ebm_mlp_default_params();
    int64_t hidden[1] = {4};
    mp.input_dim = 2;
    mp.hidden = hidden;
    mp.n_hidden = 1;
    ebm_energy *model = NULL;
    CHECK_OK(ebm_model_mlp_new(&mp, &model));
    CHECK_OK(ebm_langevin_new(model, &lp, &s));
    ebm_cd_params cp = ebm_cd_default_params();
    cp.n_negatives = (int64_t)1 << 50;
    ebm_cd_loss *loss = NULL;
    CHECK_OK(ebm_cd_loss_new(model, s, &cp, &loss));
    double data[4] = {0, 1, 1, 0}, value = 0;
    CHECK_FAILS(ebm_cd_loss_compute_f64(loss, data, 2, 2, &value), EBM_ERR_OUT_OF_MEMORY, "ebm_cd_loss_compute_f64",
                "n_negatives");
    ebm_cd_loss_free(loss);
    cp = ebm_cd_default_params();
    cp.start = EBM_CD_START_PERSISTENT;
    cp.buffer_size = (int64_t)1 << 50;
    CHECK_OK(ebm_cd_loss_new(model, s, &cp, &loss));
    CHECK_FAILS(ebm_cd_loss_compute_f64(loss, data, 2, 2, &value), EBM_ERR_OUT_OF_MEMORY, "ebm_cd_loss_compute_f64",
                "buffer_size");
    ebm_cd_loss_free(loss);
    ebm_sampler_free(s);
    ebm_energy_free(model);
    ebm_energy_free(well);

    /* Thread counts: bounded by the CPUs this process may use. */
    int before = ebm_get_num_threads();
    CHECK_FAILS(ebm_set_num_threads(1 << 20), EBM_ERR_INVALID_ARGUMENT, "ebm_set_num_threads", "threads");
    CHECK_FAILS(ebm_set_num_threads(300), EBM_ERR_INVALID_ARGUMENT, "ebm_set_num_threads", "threads");
    CHECK(ebm_get_num_threads() == before);
    CHECK_OK(ebm_set_num_threads(1));
    CHECK_OK(ebm_set_num_threads(before));
}

static void dataset_counts_are_bounded(void) {
    float points[8];
    ebm_dataset_params p = ebm_dataset_default_params(EBM_DATASET_PINWHEEL);
    p.n_classes = (int64_t)1 << 40; /* hung */
    CHECK_FAILS(ebm_dataset_generate_f32(&p, 4, points), EBM_ERR_INVALID_ARGUMENT, "ebm_dataset_generate_f32",
                "n_classes");
    p.n_classes = EBM_DATASET_MAX_COMPONENTS;
    CHECK_OK(ebm_dataset_generate_f32(&p, 4, points));
    p = ebm_dataset_default_params(EBM_DATASET_GAUSSIAN_MIXTURE);
    p.n_components = INT64_MAX; /* panicked */
    CHECK_FAILS(ebm_dataset_generate_f32(&p, 4, points), EBM_ERR_INVALID_ARGUMENT, "ebm_dataset_generate_f32",
                "n_components");
    p.n_components = EBM_DATASET_MAX_COMPONENTS + 1;
    CHECK_FAILS(ebm_dataset_generate_f32(&p, 4, points), EBM_ERR_INVALID_ARGUMENT, "ebm_dataset_generate_f32",
                "n_components");
    p = ebm_dataset_default_params(EBM_DATASET_CHECKERBOARD);
    CHECK_FAILS(ebm_dataset_generate_f32(&p, (int64_t)1 << 50, NULL), EBM_ERR_SIZE_OVERFLOW,
                "ebm_dataset_generate_f32", "n");
    /* Found by fuzzing: a huge half-width left rejection sampling nothing to keep (hang). */
    double wide[36];
    p.range_limit = 1e23;
    CHECK_FAILS(ebm_dataset_generate_f64(&p, 18, wide), EBM_ERR_INVALID_ARGUMENT, "ebm_dataset_generate_f64",
                "range_limit");
    p.range_limit = 1e6;
    CHECK_OK(ebm_dataset_generate_f64(&p, 18, wide));
    /* Found by fuzzing: a parameter beyond float32 panicked inside tch. */
    p = ebm_dataset_default_params(EBM_DATASET_GRID);
    p.range_limit = 3.5e38;
    float grid[200];
    CHECK_FAILS(ebm_dataset_generate_f32(&p, 100, grid), EBM_ERR_INVALID_ARGUMENT, "ebm_dataset_generate_f32",
                "range_limit");
    double grid64[200];
    CHECK_OK(ebm_dataset_generate_f64(&p, 100, grid64));
    /* Found by fuzzing: the message for a grid whose size overflows panicked. */
    p.points_per_dim = INT64_MAX;
    CHECK_FAILS(ebm_dataset_generate_f64(&p, 100, grid64), EBM_ERR_LENGTH_MISMATCH, "ebm_dataset_generate_f64", "n");
}

/* --- re-entrant callbacks ---------------------------------------------------------------- */

typedef struct {
    ebm_sampler *sampler;
    int calls;
    ebm_status stats, samples, set_progress, run;
    int name_is_langevin;
} reentry;

static int32_t reenter_progress(int64_t done, int64_t total, double mean_energy, void *user_data) {
    (void)done, (void)total, (void)mean_energy;
    reentry *r = user_data;
    r->calls++;
    ebm_sampler_stats stats;
    double samples[4];
    r->stats = ebm_sampler_get_stats(r->sampler, &stats, sizeof stats);
    r->samples = ebm_sampler_get_samples_f64(r->sampler, samples, 2, 2);
    r->set_progress = ebm_sampler_set_progress_callback(r->sampler, NULL, 1, NULL, NULL);
    r->run = ebm_sampler_run(r->sampler, 1);
    r->name_is_langevin = strcmp(ebm_sampler_name(r->sampler), "langevin") == 0;
    return 0;
}

static void progress_callback_calling_its_sampler_gets_busy(void) {
    ebm_energy *well = NULL;
    CHECK_OK(ebm_energy_double_well_new(1, 2, &well));
    ebm_langevin_params lp = ebm_langevin_default_params();
    ebm_sampler *s = NULL;
    CHECK_OK(ebm_langevin_new(well, &lp, &s));
    reentry r = {s, 0, 0, 0, 0, 0, 0};
    CHECK_OK(ebm_sampler_set_progress_callback(s, reenter_progress, 2, &r, NULL));
    double start[4] = {1, -1, 0.5, 0.25};
    CHECK_OK(ebm_sampler_init_f64(s, start, 2, 2));
    CHECK_OK(ebm_sampler_run(s, 4)); /* deadlocked before */
    CHECK(strcmp(ebm_last_error_message(), "") == 0);
    CHECK(r.calls == 2);
    CHECK(r.stats == EBM_ERR_BUSY && r.samples == EBM_ERR_BUSY && r.set_progress == EBM_ERR_BUSY &&
          r.run == EBM_ERR_BUSY && r.name_is_langevin);
    CHECK(strcmp(ebm_status_string(EBM_ERR_BUSY), "unknown status") != 0);
    /* Afterwards everything works again, and the callback is still installed. */
    ebm_sampler_stats stats;
    CHECK_OK(ebm_sampler_get_stats(s, &stats, sizeof stats));
    CHECK(stats.steps == 4);
    CHECK_OK(ebm_sampler_run(s, 2));
    CHECK(r.calls == 3);
    ebm_sampler_free(s);
    ebm_energy_free(well);
}

typedef struct {
    ebm_sampler *sampler;
    ebm_status inner;
    int calls;
} energy_reentry;

static int32_t reenter_energy(const double *x, int64_t n, int64_t dim, double *energy_out, void *user_data) {
    energy_reentry *r = user_data;
    if (r->sampler != NULL && r->calls++ == 0) {
        ebm_sampler_stats stats;
        r->inner = ebm_sampler_get_stats(r->sampler, &stats, sizeof stats);
    }
    for (int64_t i = 0; i < n; i++) {
        double e = 0;
        for (int64_t j = 0; j < dim; j++) e += 0.5 * x[i * dim + j] * x[i * dim + j];
        energy_out[i] = e;
    }
    return 0;
}

static void energy_callback_calling_its_sampler_gets_busy(void) {
    energy_reentry r = {NULL, EBM_OK, 0};
    ebm_energy *e = NULL;
    CHECK_OK(ebm_energy_callback_new(2, reenter_energy, NULL, &r, NULL, &e));
    ebm_mala_params mp = ebm_mala_default_params();
    ebm_sampler *s = NULL;
    CHECK_OK(ebm_mala_new(e, &mp, &s));
    double start[4] = {1, -1, 0.5, 0.25};
    CHECK_OK(ebm_sampler_init_f64(s, start, 2, 2));
    r.sampler = s;
    CHECK_OK(ebm_sampler_run(s, 3));
    CHECK(r.inner == EBM_ERR_BUSY);
    ebm_sampler_free(s);
    ebm_energy_free(e);
}

typedef struct {
    ebm_cd_loss *loss;
    ebm_energy *model;
    ebm_status compute, set_parameters;
} cd_reentry;

static int32_t reenter_cd(int64_t done, int64_t total, double mean_energy, void *user_data) {
    (void)done, (void)total, (void)mean_energy;
    cd_reentry *r = user_data;
    double data[4] = {0, 1, 1, 0}, value;
    r->compute = ebm_cd_loss_compute_f64(r->loss, data, 2, 2, &value);
    int64_t count = 0;
    ebm_model_parameter_count(r->model, &count);
    double *values = calloc((size_t)count, sizeof *values);
    r->set_parameters = ebm_model_set_parameters_f64(r->model, values, count);
    free(values);
    return 0;
}

static void training_callbacks_calling_back_get_busy(void) {
    ebm_mlp_params mp = ebm_mlp_default_params();
    int64_t hidden[1] = {4};
    mp.input_dim = 2;
    mp.hidden = hidden;
    mp.n_hidden = 1;
    ebm_energy *model = NULL;
    CHECK_OK(ebm_model_mlp_new(&mp, &model));
    ebm_langevin_params lp = ebm_langevin_default_params();
    ebm_sampler *s = NULL;
    CHECK_OK(ebm_langevin_new(model, &lp, &s));
    ebm_cd_params cp = ebm_cd_default_params();
    ebm_cd_loss *loss = NULL;
    CHECK_OK(ebm_cd_loss_new(model, s, &cp, &loss));
    cd_reentry r = {loss, model, EBM_OK, EBM_OK};
    CHECK_OK(ebm_sampler_set_progress_callback(s, reenter_cd, 1, &r, NULL));
    ebm_adam_params ap = ebm_adam_default_params();
    ebm_optimizer *opt = NULL;
    CHECK_OK(ebm_optimizer_adam_new(model, &ap, &opt));
    double data[4] = {0, 1, 1, 0}, value = 0;
    CHECK_OK(ebm_cd_loss_train_step_f64(loss, opt, data, 2, 2, &value));
    CHECK(r.compute == EBM_ERR_BUSY);
    /* The step is reading the model: changing its parameters now would deadlock. */
    CHECK(r.set_parameters == EBM_ERR_BUSY);
    /* From a plain sampler run (nothing reads the model between steps) it may. */
    double start[4] = {1, -1, 0.5, 0.25};
    CHECK_OK(ebm_sampler_init_f64(s, start, 2, 2));
    CHECK_OK(ebm_sampler_run(s, 2));
    CHECK(r.set_parameters == EBM_OK);
    ebm_optimizer_free(opt);
    ebm_cd_loss_free(loss);
    ebm_sampler_free(s);
    ebm_energy_free(model);
}

/* --- messages ----------------------------------------------------------------------------- */

static int32_t failing_inner_call(const double *x, int64_t n, int64_t dim, double *energy_out, void *user_data) {
    (void)user_data;
    ebm_energy *junk = NULL;
    (void)ebm_energy_gaussian_new(NULL, NULL, 2, &junk); /* fails, sets this thread's message */
    for (int64_t i = 0; i < n; i++) energy_out[i] = x[i * dim];
    return 0;
}

static int32_t failing_with_lines(const double *x, int64_t n, int64_t dim, double *energy_out, void *user_data) {
    (void)x, (void)n, (void)dim, (void)energy_out, (void)user_data;
    ebm_callback_set_error("first line\nsecond line\r\n");
    return 3;
}

static void messages_are_one_line_whatever_a_callback_says(void) {
    /* Found by fuzzing: a callback's own message carried its newlines into the error. */
    ebm_energy *e = NULL;
    CHECK_OK(ebm_energy_callback_new(1, failing_with_lines, NULL, NULL, NULL, &e));
    double x[1] = {1}, out[1];
    CHECK_FAILS(ebm_energy_eval_f64(e, x, 1, 1, out), EBM_ERR_CALLBACK, "ebm_energy_eval_f64", "second line");
    CHECK(no_newline(ebm_last_error_message()) && strchr(ebm_last_error_message(), '\r') == NULL);
    ebm_energy_free(e);
}

static void success_leaves_the_message_empty(void) {
    ebm_energy *e = NULL;
    CHECK_OK(ebm_energy_callback_new(1, failing_inner_call, NULL, NULL, NULL, &e));
    double x[2] = {1, 2}, out[2];
    CHECK_OK(ebm_energy_eval_f64(e, x, 2, 1, out));
    CHECK(strcmp(ebm_last_error_message(), "") == 0);
    ebm_energy_free(e);
}

/* --- files -------------------------------------------------------------------------------- */

static void render_reports_unwritable_paths(void) {
    ebm_energy *well = NULL;
    CHECK_OK(ebm_energy_double_well_new(1, 2, &well));
    char path[400];
    scratch_path(path, sizeof path, "no/such/dir/landscape.png");
    CHECK_FAILS(ebm_render_png(well, NULL, 0, NULL, 0, -2, 2, -2, 2, 32, 0, path), EBM_ERR_IO, "ebm_render_png",
                "path");
    CHECK_FAILS(ebm_render_png(well, NULL, 0, NULL, 0, -2, 2, -2, 2, 32, 0, scratch_dir), EBM_ERR_IO,
                "ebm_render_png", "path"); /* a directory */
    scratch_path(path, sizeof path, "landscape.png");
    CHECK_OK(ebm_render_png(well, NULL, 0, NULL, 0, -2, 2, -2, 2, 32, 0, path));
    struct stat st;
    CHECK(stat(path, &st) == 0 && st.st_size > 64);
    ebm_energy_free(well);
}

typedef struct {
    ebm_energy *model;
    const char *path;
    int failures;
} saver;

static void *save_repeatedly(void *arg) {
    saver *s = arg;
    for (int i = 0; i < 20; i++)
        if (ebm_model_save(s->model, s->path) != EBM_OK) s->failures++;
    return NULL;
}

static ebm_energy *small_mlp(uint64_t seed) {
    ebm_mlp_params mp = ebm_mlp_default_params();
    int64_t hidden[1] = {8};
    mp.input_dim = 2;
    mp.hidden = hidden;
    mp.n_hidden = 1;
    mp.seed = seed;
    ebm_energy *model = NULL;
    CHECK_OK(ebm_model_mlp_new(&mp, &model));
    return model;
}

static void saves_never_collide_nor_touch_user_files(void) {
    char v1[400], v2[400], user_file[400], target[400];
    scratch_path(v1, sizeof v1, "model.v1");
    scratch_path(v2, sizeof v2, "model.v2");
    scratch_path(user_file, sizeof user_file, "run.partial");
    scratch_path(target, sizeof target, "run.safetensors");
    ebm_energy *a = small_mlp(1), *b = small_mlp(2);
    saver sa = {a, v1, 0}, sb = {b, v2, 0};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, save_repeatedly, &sa);
    pthread_create(&tb, NULL, save_repeatedly, &sb);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    CHECK(sa.failures == 0 && sb.failures == 0);
    /* Each file holds its own model. */
    double x[2] = {0.3, -0.7}, ea, eb, la, lb;
    ebm_energy *loaded_a = NULL, *loaded_b = NULL;
    CHECK_OK(ebm_model_load(v1, EBM_DEVICE_CPU, &loaded_a));
    CHECK_OK(ebm_model_load(v2, EBM_DEVICE_CPU, &loaded_b));
    CHECK_OK(ebm_energy_eval_f64(a, x, 1, 2, &ea));
    CHECK_OK(ebm_energy_eval_f64(b, x, 1, 2, &eb));
    CHECK_OK(ebm_energy_eval_f64(loaded_a, x, 1, 2, &la));
    CHECK_OK(ebm_energy_eval_f64(loaded_b, x, 1, 2, &lb));
    CHECK(ea == la && eb == lb && ea != eb);
    /* A user's run.partial survives saving run.safetensors. */
    FILE *f = fopen(user_file, "w");
    CHECK(f != NULL);
    if (f) {
        fputs("the user's data", f);
        fclose(f);
    }
    CHECK_OK(ebm_model_save(a, target));
    char content[64] = {0};
    f = fopen(user_file, "r");
    CHECK(f != NULL);
    if (f) {
        CHECK(fgets(content, sizeof content, f) != NULL);
        fclose(f);
    }
    CHECK(strcmp(content, "the user's data") == 0);
    /* No temporary is left behind: exactly the five files written remain. */
    int entries = 0;
    DIR *dir = opendir(scratch_dir);
    struct dirent *entry;
    while (dir && (entry = readdir(dir)) != NULL)
        if (strcmp(entry->d_name, ".") && strcmp(entry->d_name, "..") && strcmp(entry->d_name, "landscape.png"))
            entries++;
    if (dir) closedir(dir);
    CHECK(entries == 4);
    ebm_energy_free(loaded_a);
    ebm_energy_free(loaded_b);
    ebm_energy_free(a);
    ebm_energy_free(b);
}

static void checkpoints_refuse_another_models_optimizer_both_ways(void) {
    char path[400];
    scratch_path(path, sizeof path, "checkpoint.safetensors");
    ebm_energy *model = small_mlp(3), *other = small_mlp(3);
    ebm_adam_params ap = ebm_adam_default_params();
    ebm_optimizer *mine = NULL, *theirs = NULL;
    CHECK_OK(ebm_optimizer_adam_new(model, &ap, &mine));
    CHECK_OK(ebm_optimizer_adam_new(other, &ap, &theirs));
    /* The message names the optimizer, the argument at fault (not a loss that was not passed). */
    CHECK_FAILS(ebm_checkpoint_save(path, model, theirs, NULL), EBM_ERR_INVALID_ARGUMENT, "ebm_checkpoint_save",
                "optimizer");
    CHECK(strstr(ebm_last_error_message(), "loss") == NULL);
    CHECK_OK(ebm_checkpoint_save(path, model, mine, NULL));
    CHECK_FAILS(ebm_checkpoint_load(path, model, theirs, NULL), EBM_ERR_INVALID_ARGUMENT, "ebm_checkpoint_load",
                "optimizer");
    CHECK_OK(ebm_checkpoint_load(path, model, mine, NULL));
    ebm_optimizer_free(mine);
    ebm_optimizer_free(theirs);
    ebm_energy_free(model);
    ebm_energy_free(other);
}

/* --- a model shared between threads ------------------------------------------------------- */

typedef struct {
    ebm_energy *model;
    const double *values[2];
    int64_t count;
    volatile int stop;
    int failures;
} shared_model;

static void *set_parameters_repeatedly(void *arg) {
    shared_model *m = arg;
    for (int i = 0; !m->stop; i++)
        if (ebm_model_set_parameters_f64(m->model, m->values[i % 2], m->count) != EBM_OK) m->failures++;
    return NULL;
}

static void evaluations_never_see_half_updated_parameters(void) {
    ebm_energy *model = small_mlp(4);
    int64_t count = 0;
    CHECK_OK(ebm_model_parameter_count(model, &count));
    double *low = malloc((size_t)count * sizeof *low), *high = malloc((size_t)count * sizeof *high);
    for (int64_t k = 0; k < count; k++) {
        low[k] = 0.1;
        high[k] = -0.2;
    }
    /* The energies of the two parameter vectors at a point, computed alone. */
    double x[2] = {0.5, -1.5}, e_low, e_high;
    CHECK_OK(ebm_model_set_parameters_f64(model, low, count));
    CHECK_OK(ebm_energy_eval_f64(model, x, 1, 2, &e_low));
    CHECK_OK(ebm_model_set_parameters_f64(model, high, count));
    CHECK_OK(ebm_energy_eval_f64(model, x, 1, 2, &e_high));
    CHECK(e_low != e_high);

    /* A sampler of the same model runs too: it must neither crash nor fail. */
    ebm_langevin_params lp = ebm_langevin_default_params();
    ebm_sampler *s = NULL;
    CHECK_OK(ebm_langevin_new(model, &lp, &s));
    CHECK_OK(ebm_sampler_init_f64(s, NULL, 64, 2));

    shared_model m = {model, {low, high}, count, 0, 0};
    pthread_t writer;
    pthread_create(&writer, NULL, set_parameters_repeatedly, &m);
    int torn = 0, evaluations = 0;
    for (int i = 0; i < 4000; i++) {
        double e;
        CHECK_OK(ebm_energy_eval_f64(model, x, 1, 2, &e));
        evaluations++;
        if (e != e_low && e != e_high) torn++;
        if (i % 200 == 0) CHECK_OK(ebm_sampler_run(s, 1));
    }
    m.stop = 1;
    pthread_join(writer, NULL);
    CHECK(m.failures == 0);
    if (torn) fprintf(stderr, "%d of %d evaluations saw a mix of parameters\n", torn, evaluations);
    CHECK(torn == 0);
    ebm_sampler_free(s);
    ebm_energy_free(model);
    free(low);
    free(high);
}

/* --- Ackley at the origin ----------------------------------------------------------------- */

static void ackley_gradient_at_and_near_the_origin(void) {
    ebm_energy *e = NULL;
    CHECK_OK(ebm_energy_ackley_new(EBM_ACKLEY_DEFAULT_A, EBM_ACKLEY_DEFAULT_B, EBM_ACKLEY_DEFAULT_C, &e));
    /* Many points, so that the libtorch path runs as well as the host loop. */
    enum { N = 4096 };
    static float xf[N * 2], gf[N * 2];
    static double xd[N * 2], gd[N * 2];
    for (int i = 0; i < N * 2; i++) xf[i] = 0, xd[i] = (i % 2 ? -0.3e-200 : 1e-200);
    CHECK_OK(ebm_energy_gradient_f32(e, xf, N, 2, gf));
    CHECK_OK(ebm_energy_gradient_f32(e, xf, 1, 2, gf + 2 * N - 2));
    for (int i = 0; i < N * 2; i++) CHECK(gf[i] == 0.0f);
    CHECK_OK(ebm_energy_gradient_f64(e, xd, N, 2, gd));
    /* x / r for the direction (1, -0.3) in dim 2: 1/sqrt(1.09/2). */
    double along = 1.0 / sqrt(1.09 / 2.0), expected = 20.0 * 0.2 / 2.0 * along;
    CHECK_NEAR(gd[0], expected, 1e-9);
    CHECK_NEAR(gd[1], -0.3 * expected, 1e-9);
    CHECK_NEAR(gd[2 * N - 2], expected, 1e-9);
    ebm_energy_free(e);
}

/* --- n = 0 through every function that takes a count ------------------------------------- */

static void every_function_with_n_zero_does_what_the_header_says(void) {
    ebm_energy *well = NULL;
    CHECK_OK(ebm_energy_double_well_new(1, 2, &well));
    /* Evaluations: valid, nothing read or written, NULL buffers allowed. */
    CHECK_OK(ebm_energy_eval_f32(well, NULL, 0, 2, NULL));
    CHECK_OK(ebm_energy_eval_f64(well, NULL, 0, 2, NULL));
    CHECK_OK(ebm_energy_gradient_f32(well, NULL, 0, 2, NULL));
    CHECK_OK(ebm_energy_gradient_f64(well, NULL, 0, 2, NULL));
    CHECK_OK(ebm_energy_eval_and_gradient_f32(well, NULL, 0, 2, NULL, NULL));
    CHECK_OK(ebm_energy_eval_and_gradient_f64(well, NULL, 0, 2, NULL, NULL));
    char path[400];
    scratch_path(path, sizeof path, "empty.png");
    CHECK_OK(ebm_render_png(well, NULL, 0, NULL, 0, -1, 1, -1, 1, 16, 0, path));

    /* Starting chains, losses and datasets need n >= 1, named as in the header. */
    ebm_langevin_params lp = ebm_langevin_default_params();
    ebm_sampler *s = NULL;
    CHECK_OK(ebm_langevin_new(well, &lp, &s));
    CHECK_FAILS(ebm_sampler_init_f32(s, NULL, 0, 2), EBM_ERR_INVALID_ARGUMENT, "ebm_sampler_init_f32", "n");
    CHECK_FAILS(ebm_sampler_init_f64(s, NULL, 0, 2), EBM_ERR_INVALID_ARGUMENT, "ebm_sampler_init_f64", "n");
    CHECK_FAILS(ebm_sampler_sample_f32(s, 0, 2, 1, NULL), EBM_ERR_INVALID_ARGUMENT, "ebm_sampler_sample_f32",
                "n_samples");
    CHECK_FAILS(ebm_sampler_sample_f64(s, 0, 2, 1, NULL), EBM_ERR_INVALID_ARGUMENT, "ebm_sampler_sample_f64",
                "n_samples");
    CHECK_FAILS(ebm_sampler_sample_chain_f32(s, NULL, 0, 2, 1, 1, NULL, NULL, 0), EBM_ERR_INVALID_ARGUMENT,
                "ebm_sampler_sample_chain_f32", "n");
    CHECK_FAILS(ebm_sampler_sample_chain_f64(s, NULL, 0, 2, 1, 1, NULL, NULL, 0), EBM_ERR_INVALID_ARGUMENT,
                "ebm_sampler_sample_chain_f64", "n");
    CHECK_FAILS(ebm_sampler_step_f32(s, NULL, 0, 2), EBM_ERR_INVALID_ARGUMENT, "ebm_sampler_step_f32", "n");
    CHECK_FAILS(ebm_sampler_step_f64(s, NULL, 0, 2), EBM_ERR_INVALID_ARGUMENT, "ebm_sampler_step_f64", "n");
    /* Reading state needs the chains' own n. */
    double start[4] = {1, -1, 0.5, 0.25};
    CHECK_OK(ebm_sampler_init_f64(s, start, 2, 2));
    CHECK_FAILS(ebm_sampler_get_samples_f32(s, NULL, 0, 2), EBM_ERR_LENGTH_MISMATCH, "ebm_sampler_get_samples_f32",
                "n");
    CHECK_FAILS(ebm_sampler_get_samples_f64(s, NULL, 0, 2), EBM_ERR_LENGTH_MISMATCH, "ebm_sampler_get_samples_f64",
                "n");
    CHECK_FAILS(ebm_sampler_get_non_finite_chains(s, NULL, 0), EBM_ERR_LENGTH_MISMATCH,
                "ebm_sampler_get_non_finite_chains", "n");
    ebm_sampler_free(s);
    ebm_mala_params mp = ebm_mala_default_params();
    CHECK_OK(ebm_mala_new(well, &mp, &s));
    CHECK_OK(ebm_sampler_init_f64(s, start, 2, 2));
    CHECK_OK(ebm_sampler_run(s, 1));
    CHECK_FAILS(ebm_sampler_get_acceptance_rates(s, NULL, 0), EBM_ERR_LENGTH_MISMATCH,
                "ebm_sampler_get_acceptance_rates", "n");
    ebm_sampler_free(s);

    ebm_energy *model = small_mlp(5);
    CHECK_OK(ebm_langevin_new(model, &lp, &s));
    ebm_cd_params cp = ebm_cd_default_params();
    ebm_cd_loss *cd = NULL;
    CHECK_OK(ebm_cd_loss_new(model, s, &cp, &cd));
    ebm_score_matching_params sp = ebm_score_matching_default_params();
    ebm_score_matching *sm = NULL;
    CHECK_OK(ebm_score_matching_new(model, &sp, &sm));
    ebm_adam_params ap = ebm_adam_default_params();
    ebm_optimizer *opt = NULL;
    CHECK_OK(ebm_optimizer_adam_new(model, &ap, &opt));
    double value;
    CHECK_FAILS(ebm_cd_loss_compute_f32(cd, NULL, 0, 2, &value), EBM_ERR_INVALID_ARGUMENT,
                "ebm_cd_loss_compute_f32", "n");
    CHECK_FAILS(ebm_cd_loss_compute_f64(cd, NULL, 0, 2, &value), EBM_ERR_INVALID_ARGUMENT,
                "ebm_cd_loss_compute_f64", "n");
    CHECK_FAILS(ebm_score_matching_compute_f32(sm, NULL, 0, 2, &value), EBM_ERR_INVALID_ARGUMENT,
                "ebm_score_matching_compute_f32", "n");
    CHECK_FAILS(ebm_score_matching_compute_f64(sm, NULL, 0, 2, &value), EBM_ERR_INVALID_ARGUMENT,
                "ebm_score_matching_compute_f64", "n");
    CHECK_FAILS(ebm_cd_loss_train_step_f32(cd, opt, NULL, 0, 2, &value), EBM_ERR_INVALID_ARGUMENT,
                "ebm_cd_loss_train_step_f32", "n");
    CHECK_FAILS(ebm_cd_loss_train_step_f64(cd, opt, NULL, 0, 2, &value), EBM_ERR_INVALID_ARGUMENT,
                "ebm_cd_loss_train_step_f64", "n");
    CHECK_FAILS(ebm_score_matching_train_step_f32(sm, opt, NULL, 0, 2, &value), EBM_ERR_INVALID_ARGUMENT,
                "ebm_score_matching_train_step_f32", "n");
    CHECK_FAILS(ebm_score_matching_train_step_f64(sm, opt, NULL, 0, 2, &value), EBM_ERR_INVALID_ARGUMENT,
                "ebm_score_matching_train_step_f64", "n");
    double data[4] = {0, 1, 1, 0};
    CHECK_OK(ebm_cd_loss_compute_f64(cd, data, 2, 2, &value));
    CHECK_FAILS(ebm_cd_loss_get_negatives_f32(cd, NULL, 0, 2), EBM_ERR_LENGTH_MISMATCH,
                "ebm_cd_loss_get_negatives_f32", "n");
    CHECK_FAILS(ebm_cd_loss_get_negatives_f64(cd, NULL, 0, 2), EBM_ERR_LENGTH_MISMATCH,
                "ebm_cd_loss_get_negatives_f64", "n");
    ebm_dataset_params dp = ebm_dataset_default_params(EBM_DATASET_TWO_MOONS);
    CHECK_FAILS(ebm_dataset_generate_f32(&dp, 0, NULL), EBM_ERR_INVALID_ARGUMENT, "ebm_dataset_generate_f32", "n");
    CHECK_FAILS(ebm_dataset_generate_f64(&dp, 0, NULL), EBM_ERR_INVALID_ARGUMENT, "ebm_dataset_generate_f64", "n");
    CHECK(no_newline(ebm_last_error_message()));
    ebm_optimizer_free(opt);
    ebm_score_matching_free(sm);
    ebm_cd_loss_free(cd);
    ebm_sampler_free(s);
    ebm_energy_free(model);
    ebm_energy_free(well);
}

static void remove_scratch_dir(void) {
    DIR *dir = opendir(scratch_dir);
    struct dirent *entry;
    char path[600];
    while (dir && (entry = readdir(dir)) != NULL) {
        if (!strcmp(entry->d_name, ".") || !strcmp(entry->d_name, "..")) continue;
        snprintf(path, sizeof path, "%s/%s", scratch_dir, entry->d_name);
        unlink(path);
    }
    if (dir) closedir(dir);
    rmdir(scratch_dir);
}

/* With an argument, runs only the test of that name (to show one regression alone). */
#define RUN_SELECTED(test)                                                               \
    do {                                                                                 \
        if (argc < 2 || strcmp(argv[1], #test) == 0) RUN(test);                          \
    } while (0)

int main(int argc, char **argv) {
    make_scratch_dir();
    RUN_SELECTED(gaussian_dimension_beyond_memory_is_refused_before_reading);
    RUN_SELECTED(unbounded_requests_are_errors_not_aborts);
    RUN_SELECTED(dataset_counts_are_bounded);
    RUN_SELECTED(progress_callback_calling_its_sampler_gets_busy);
    RUN_SELECTED(energy_callback_calling_its_sampler_gets_busy);
    RUN_SELECTED(training_callbacks_calling_back_get_busy);
    RUN_SELECTED(success_leaves_the_message_empty);
    RUN_SELECTED(messages_are_one_line_whatever_a_callback_says);
    RUN_SELECTED(render_reports_unwritable_paths);
    RUN_SELECTED(saves_never_collide_nor_touch_user_files);
    RUN_SELECTED(checkpoints_refuse_another_models_optimizer_both_ways);
    RUN_SELECTED(evaluations_never_see_half_updated_parameters);
    RUN_SELECTED(ackley_gradient_at_and_near_the_origin);
    RUN_SELECTED(every_function_with_n_zero_does_what_the_header_says);
    remove_scratch_dir();
    return CHECK_RESULT();
}
