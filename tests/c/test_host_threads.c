/* The library inside a busy host: with one thread it starts no thread at all; a host task
 * runner (a toy job system) gets the parallel work, and even a runner that skips, repeats
 * or fails tasks gives the same results; results never depend on the thread count. */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "check.h"

/* Large enough that the library splits the work: 2^18 values and more. */
enum { CHAINS = 140000, DIM = 2, STEPS = 3, MLP_POINTS = 40000 };

static int thread_count(void) {
    DIR *dir = opendir("/proc/self/task");
    if (!dir) return -1;
    int count = 0;
    for (struct dirent *entry; (entry = readdir(dir));)
        if (entry->d_name[0] != '.') count++;
    closedir(dir);
    return count;
}

static ebm_energy *double_well(void) {
    ebm_energy *energy = NULL;
    CHECK_OK(ebm_energy_double_well_new(EBM_DOUBLE_WELL_DEFAULT_A, EBM_DOUBLE_WELL_DEFAULT_B, &energy));
    return energy;
}

static ebm_energy *mlp(void) {
    int64_t hidden[2] = {32, 32};
    ebm_mlp_params params = ebm_mlp_default_params();
    params.input_dim = DIM;
    params.hidden = hidden;
    params.n_hidden = 2;
    ebm_energy *model = NULL;
    CHECK_OK(ebm_model_mlp_new(&params, &model));
    return model;
}

/* CHAINS Langevin chains from N(0, I) after STEPS steps, and MLP energies and gradients
 * of MLP_POINTS points: the work that is split. */
static void work(ebm_energy *energy, ebm_energy *model, double *chains, double *energies, double *gradients) {
    ebm_langevin_params params = ebm_langevin_default_params();
    params.seed = 5;
    ebm_sampler *sampler = NULL;
    CHECK_OK(ebm_langevin_new(energy, &params, &sampler));
    CHECK_OK(ebm_sampler_sample_f64(sampler, CHAINS, DIM, STEPS, chains));
    ebm_sampler_free(sampler);
    CHECK_OK(ebm_energy_eval_and_gradient_f64(model, chains, MLP_POINTS, DIM, energies, gradients));
}

typedef struct {
    double *chains, *energies, *gradients;
} results;

static results new_results(void) {
    results r = {malloc(sizeof(double) * CHAINS * DIM), malloc(sizeof(double) * MLP_POINTS),
                 malloc(sizeof(double) * MLP_POINTS * DIM)};
    return r;
}

static int same_results(results a, results b) {
    return memcmp(a.chains, b.chains, sizeof(double) * CHAINS * DIM) == 0 &&
           memcmp(a.energies, b.energies, sizeof(double) * MLP_POINTS) == 0 &&
           memcmp(a.gradients, b.gradients, sizeof(double) * MLP_POINTS * DIM) == 0;
}

static void free_results(results r) {
    free(r.chains), free(r.energies), free(r.gradients);
}

/* --- A toy job system: two worker threads per call, pulling task indices. --- */

typedef enum { RUN_ALL, SKIP_ODD_AND_FAIL, RUN_TWICE, RUN_NOTHING } runner_mode;

typedef struct {
    runner_mode mode;
    atomic_long calls, tasks_run;
} runner_state;

typedef struct {
    ebm_task_fn task;
    void *task_data;
    int64_t n_tasks;
    atomic_long next;
    runner_state *state;
} job;

static void *worker(void *arg) {
    job *j = arg;
    for (int64_t i; (i = atomic_fetch_add(&j->next, 1)) < j->n_tasks;) {
        if (j->state->mode == SKIP_ODD_AND_FAIL && i % 2 == 1) continue;
        int repeats = j->state->mode == RUN_TWICE ? 2 : 1;
        for (int r = 0; r < repeats; r++) j->task(j->task_data, i);
        atomic_fetch_add(&j->state->tasks_run, 1);
    }
    return NULL;
}

static int32_t run_tasks(ebm_task_fn task, void *task_data, int64_t n_tasks, void *user_data) {
    runner_state *state = user_data;
    atomic_fetch_add(&state->calls, 1);
    if (state->mode == RUN_NOTHING) return 1;
    job j = {task, task_data, n_tasks, 0, state};
    pthread_t threads[2];
    for (int t = 0; t < 2; t++) pthread_create(&threads[t], NULL, worker, &j);
    for (int t = 0; t < 2; t++) pthread_join(threads[t], NULL);
    return state->mode == SKIP_ODD_AND_FAIL ? 3 : 0;
}

static void one_thread_starts_no_thread(ebm_energy *energy, ebm_energy *model, results reference) {
    /* First in the process: nothing has started a thread yet. */
    CHECK_OK(ebm_set_num_threads(1));
    CHECK(ebm_get_num_threads() == 1);
    work(energy, model, reference.chains, reference.energies, reference.gradients);
    /* A CD train step too (of another model): libtorch's forward and backward run here. */
    ebm_energy *trained = mlp();
    ebm_langevin_params langevin = ebm_langevin_default_params();
    ebm_sampler *sampler = NULL;
    CHECK_OK(ebm_langevin_new(trained, &langevin, &sampler));
    ebm_cd_params cd = ebm_cd_default_params();
    ebm_cd_loss *loss = NULL;
    CHECK_OK(ebm_cd_loss_new(trained, sampler, &cd, &loss));
    ebm_adam_params adam = ebm_adam_default_params();
    ebm_optimizer *optimizer = NULL;
    CHECK_OK(ebm_optimizer_adam_new(trained, &adam, &optimizer));
    CHECK_OK(ebm_cd_loss_train_step_f64(loss, optimizer, reference.chains, 256, DIM, NULL));
    int threads = thread_count();
    if (threads != 1) fprintf(stderr, "%d threads after single-threaded work\n", threads);
    CHECK(threads == 1);
    ebm_optimizer_free(optimizer), ebm_cd_loss_free(loss), ebm_sampler_free(sampler), ebm_energy_free(trained);
}

static void results_do_not_depend_on_threads(ebm_energy *energy, ebm_energy *model, results reference) {
    results other = new_results();
    for (int threads = 2; threads <= 3; threads++) {
        /* More threads than CPUs are refused; use what this machine has. */
        if (ebm_set_num_threads(threads) != EBM_OK) continue;
        work(energy, model, other.chains, other.energies, other.gradients);
        CHECK(same_results(reference, other));
    }
    free_results(other);
}

static void host_runner_gets_the_work(ebm_energy *energy, ebm_energy *model, results reference) {
    CHECK_OK(ebm_set_num_threads(1)); /* the runner is used whatever the thread count */
    const runner_mode modes[] = {RUN_ALL, SKIP_ODD_AND_FAIL, RUN_TWICE, RUN_NOTHING};
    for (int m = 0; m < 4; m++) {
        runner_state state = {modes[m], 0, 0};
        CHECK_OK(ebm_set_task_runner(run_tasks, &state));
        results other = new_results();
        work(energy, model, other.chains, other.energies, other.gradients);
        CHECK_OK(ebm_set_task_runner(NULL, NULL));
        CHECK(same_results(reference, other));
        CHECK(atomic_load(&state.calls) > 0);
        if (modes[m] != RUN_NOTHING) CHECK(atomic_load(&state.tasks_run) > 0);
        free_results(other);
    }
    /* Removed again: no more calls. */
    runner_state unused = {RUN_ALL, 0, 0};
    CHECK_OK(ebm_set_task_runner(run_tasks, &unused));
    CHECK_OK(ebm_set_task_runner(NULL, NULL));
    results other = new_results();
    work(energy, model, other.chains, other.energies, other.gradients);
    CHECK(atomic_load(&unused.calls) == 0);
    CHECK(same_results(reference, other));
    free_results(other);
}

int main(void) {
    ebm_energy *energy = double_well(), *model = mlp();
    results reference = new_results();
    /* Order matters: the first test needs a process that never started a thread. */
    one_thread_starts_no_thread(energy, model, reference);
    printf("%s one_thread_starts_no_thread\n", check_failures ? "FAIL" : "ok  ");
    int before = check_failures;
    results_do_not_depend_on_threads(energy, model, reference);
    printf("%s results_do_not_depend_on_threads\n", before == check_failures ? "ok  " : "FAIL");
    before = check_failures;
    host_runner_gets_the_work(energy, model, reference);
    printf("%s host_runner_gets_the_work\n", before == check_failures ? "ok  " : "FAIL");
    free_results(reference);
    ebm_energy_free(energy), ebm_energy_free(model);
    return CHECK_RESULT();
}
