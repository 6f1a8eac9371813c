/* One energy evaluated from several threads at once; last-error messages are per thread. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdlib.h>

#include "check.h"

enum { THREADS = 4, N = 2048, DIM = 3, ROUNDS = 20 };

typedef struct {
    const ebm_energy *energy;
    const double *x;
    const double *expected;
    int mismatches;
} job;

static void *evaluate_repeatedly(void *arg) {
    job *j = arg;
    double *g = malloc(sizeof(double) * N * DIM);
    for (int r = 0; r < ROUNDS; r++) {
        /* Alternate the host kernel (few points) and libtorch (all points). */
        int64_t n = (r % 2) ? N : 16;
        if (ebm_energy_gradient_f64(j->energy, j->x, n, DIM, g) != EBM_OK) j->mismatches++;
        for (int64_t k = 0; k < n * DIM; k++)
            if (fabs(g[k] - j->expected[k]) > 1e-12 * (1 + fabs(j->expected[k]))) j->mismatches++;
    }
    free(g);
    return NULL;
}

static void concurrent_evaluations_agree(void) {
    double mean[3] = {1, 0, -1}, cov[9] = {2, 0.5, 0, 0.5, 1, 0.2, 0, 0.2, 1};
    ebm_energy *gauss = NULL, *dw = NULL, *sum = NULL;
    CHECK_OK(ebm_energy_gaussian_new(mean, cov, DIM, &gauss));
    CHECK_OK(ebm_energy_double_well_new(1, 2, &dw));
    const ebm_energy *parts[2] = {gauss, dw};
    CHECK_OK(ebm_energy_composite_new(parts, 2, NULL, 0, &sum));
    double *x = malloc(sizeof(double) * N * DIM), *expected = malloc(sizeof(double) * N * DIM);
    for (int k = 0; k < N * DIM; k++) x[k] = cos(1.7 * k);
    CHECK_OK(ebm_energy_gradient_f64(sum, x, N, DIM, expected));
    pthread_t threads[THREADS];
    job jobs[THREADS];
    for (int t = 0; t < THREADS; t++) {
        jobs[t] = (job){sum, x, expected, 0};
        CHECK(pthread_create(&threads[t], NULL, evaluate_repeatedly, &jobs[t]) == 0);
    }
    for (int t = 0; t < THREADS; t++) {
        CHECK(pthread_join(threads[t], NULL) == 0);
        CHECK(jobs[t].mismatches == 0);
    }
    free(x), free(expected);
    ebm_energy_free(gauss), ebm_energy_free(dw), ebm_energy_free(sum);
}

static void *fail_on_this_thread(void *arg) {
    (void)arg;
    ebm_set_num_threads(0);
    return strstr(ebm_last_error_message(), "ebm_set_num_threads: threads") ? (void *)1 : NULL;
}

static void last_error_is_per_thread(void) {
    CHECK_OK(ebm_set_num_threads(ebm_get_num_threads()));
    pthread_t other;
    void *saw_its_error = NULL;
    CHECK(pthread_create(&other, NULL, fail_on_this_thread, NULL) == 0);
    CHECK(pthread_join(other, &saw_its_error) == 0);
    CHECK(saw_its_error != NULL);
    CHECK(strcmp(ebm_last_error_message(), "") == 0); /* this thread's last call succeeded */
}

int main(void) {
    RUN(concurrent_evaluations_agree);
    RUN(last_error_is_per_thread);
    return CHECK_RESULT();
}
