/* The C API's thread-safety promises, under ThreadSanitizer (`make test-tsan`, built with the
 * TSan-instrumented library): one MLP model trained by one thread (CD steps with Adam) while
 * others evaluate it, sample it with their own samplers and read its parameters (the model's
 * parameter lock is parking_lot's, instrumented like the library); a sampler on a composite
 * with a callback part run by one thread while the others evaluate the composite; the CPU
 * thread count changed meanwhile. Each call must succeed, and TSan must report no race.
 *
 * Not here: two threads calling the same sampler, loss or optimizer at once. The library
 * serialises those with a std::sync::Mutex (src/exclusive.rs), and without -Zbuild-std the
 * std Mutex's contended path (lock_contended, futex wait) is uninstrumented: TSan misses the
 * acquire and reports every access made under the lock by the waiting thread as a race (a
 * false positive; seen on ebm_sampler_run against ebm_sampler_get_samples_f64). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torchebm.h"

enum { ROUNDS = 12, BATCH = 64, DIM = 2 };

static ebm_energy *model, *composite;
static ebm_sampler *shared_sampler;
static int failures;
static pthread_mutex_t failures_lock = PTHREAD_MUTEX_INITIALIZER;

static void check(ebm_status status, const char *what) {
    if (status == EBM_OK) return;
    pthread_mutex_lock(&failures_lock);
    failures++;
    fprintf(stderr, "%s returned %d: %s\n", what, (int)status, ebm_last_error_message());
    pthread_mutex_unlock(&failures_lock);
}

static int32_t bowl(const double *x, int64_t n, int64_t dim, double *e, void *data) {
    (void)data;
    for (int64_t i = 0; i < n; i++) {
        e[i] = 0;
        for (int64_t j = 0; j < dim; j++) e[i] += 0.5 * x[i * dim + j] * x[i * dim + j];
    }
    return 0;
}

static void *trainer(void *arg) {
    (void)arg;
    float data[BATCH * DIM];
    ebm_dataset_params dp = ebm_dataset_default_params(EBM_DATASET_EIGHT_GAUSSIANS);
    check(ebm_dataset_generate_f32(&dp, BATCH, data), "dataset");
    ebm_langevin_params lp = ebm_langevin_default_params();
    ebm_sampler *sampler = NULL;
    check(ebm_langevin_new(model, &lp, &sampler), "langevin_new");
    ebm_cd_params cp = ebm_cd_default_params();
    cp.k = 3;
    ebm_cd_loss *loss = NULL;
    check(ebm_cd_loss_new(model, sampler, &cp, &loss), "cd_loss_new");
    ebm_adam_params ap = ebm_adam_default_params();
    ebm_optimizer *adam = NULL;
    check(ebm_optimizer_adam_new(model, &ap, &adam), "adam_new");
    for (int r = 0; r < ROUNDS; r++) check(ebm_cd_loss_train_step_f32(loss, adam, data, BATCH, DIM, NULL), "train_step");
    ebm_cd_loss_free(loss), ebm_optimizer_free(adam), ebm_sampler_free(sampler);
    return NULL;
}

static void *evaluator(void *arg) {
    (void)arg;
    double x[BATCH * DIM], e[BATCH], g[BATCH * DIM];
    for (int k = 0; k < BATCH * DIM; k++) x[k] = sin(0.3 * k);
    int64_t n = 0;
    check(ebm_model_parameter_count(model, &n), "parameter_count");
    float *params = malloc(sizeof(float) * (size_t)n);
    for (int r = 0; r < ROUNDS; r++) {
        check(ebm_energy_eval_and_gradient_f64(model, x, BATCH, DIM, e, g), "model eval");
        check(ebm_model_get_parameters_f32(model, params, n), "get_parameters");
        check(ebm_energy_gradient_f64(composite, x, (r % 2) ? BATCH : 4, DIM, g), "composite gradient");
    }
    free(params);
    return NULL;
}

static void *own_sampler(void *arg) {
    ebm_mala_params p = ebm_mala_default_params();
    p.seed = (uint64_t)(uintptr_t)arg;
    ebm_sampler *s = NULL;
    check(ebm_mala_new(model, &p, &s), "mala_new");
    check(ebm_sampler_init_f64(s, NULL, 32, DIM), "init");
    for (int r = 0; r < ROUNDS; r++) check(ebm_sampler_run(s, 2), "own run");
    ebm_sampler_free(s);
    return NULL;
}

static void *same_sampler(void *arg) {
    (void)arg;
    double out[32 * DIM];
    for (int r = 0; r < ROUNDS; r++) {
        check(ebm_sampler_run(shared_sampler, 2), "shared run");
        check(ebm_sampler_get_samples_f64(shared_sampler, out, 32, DIM), "shared get_samples");
    }
    return NULL;
}

/* `threads control`: a deliberate data race (a plain counter written by two threads between
 * evaluations), which TSan must report with the same suppressions. */
static long racy_counter;

static void *racer(void *arg) {
    (void)arg;
    double x[4 * DIM] = {0}, e[4];
    for (int r = 0; r < ROUNDS; r++) {
        check(ebm_energy_eval_f64(composite, x, 4, DIM, e), "racer eval");
        racy_counter++;
    }
    return NULL;
}

static void *thread_count(void *arg) {
    (void)arg;
    for (int r = 0; r < ROUNDS; r++) check(ebm_set_num_threads(1 + r % 2), "set_num_threads");
    return NULL;
}

int main(int argc, char **argv) {
    int control = argc > 1 && strcmp(argv[1], "control") == 0;
    int64_t hidden[2] = {16, 16};
    ebm_mlp_params mp = ebm_mlp_default_params();
    mp.hidden = hidden;
    mp.n_hidden = 2;
    check(ebm_model_mlp_new(&mp, &model), "mlp_new");
    ebm_energy *parts[2] = {NULL, NULL};
    check(ebm_energy_callback_new(DIM, bowl, NULL, NULL, NULL, &parts[0]), "callback_new");
    check(ebm_energy_double_well_new(1, 2, &parts[1]), "double_well_new");
    check(ebm_energy_composite_new((const ebm_energy *const *)parts, 2, NULL, 0, &composite), "composite_new");
    ebm_langevin_params lp = ebm_langevin_default_params();
    check(ebm_langevin_new(composite, &lp, &shared_sampler), "shared langevin_new");
    check(ebm_sampler_init_f64(shared_sampler, NULL, 32, DIM), "shared init");

    void *(*jobs[])(void *) = {trainer, evaluator, evaluator, own_sampler, own_sampler, same_sampler, thread_count};
    void *(*controls[])(void *) = {racer, racer};
    int JOBS = control ? 2 : (int)(sizeof jobs / sizeof jobs[0]);
    if (control) memcpy(jobs, controls, sizeof controls);
    pthread_t threads[8];
    for (int t = 0; t < JOBS; t++)
        if (pthread_create(&threads[t], NULL, jobs[t], (void *)(uintptr_t)(t + 1)) != 0) return 2;
    for (int t = 0; t < JOBS; t++) pthread_join(threads[t], NULL);

    ebm_sampler_free(shared_sampler);
    ebm_energy_free(composite), ebm_energy_free(parts[0]), ebm_energy_free(parts[1]), ebm_energy_free(model);
    printf("%s: %d failed calls%s\n", failures ? "FAIL" : "ok", failures, control ? " (control)" : "");
    return failures != 0;
}
