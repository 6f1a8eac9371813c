/* Negative controls for `make test-asan`: each mode commits one deliberate error that the
 * sanitizer setup (flags, ASAN_OPTIONS, UBSAN_OPTIONS and tests/sanitize/lsan.supp) must
 * catch, so that the check cannot pass vacuously. `control MODE` exits 0 only if the error
 * went unnoticed.
 *
 *   heap-overflow     writes one element past a malloc'd input buffer, after using it with
 *                     the library
 *   use-after-free    reads an energy buffer after freeing it
 *   leak              drops the only reference to an energy handle: LeakSanitizer must see
 *                     the library's (Rust) allocations, i.e. the suppressions do not hide ours
 *   leak-user-data    a callback energy's user data leaked through a composite never freed
 *   ubsan             signed integer overflow in a callback the library calls
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torchebm.h"

static volatile int big = INT_MAX;

static int32_t overflowing_energy(const double *x, int64_t n, int64_t dim, double *e, void *data) {
    (void)dim, (void)data;
    for (int64_t i = 0; i < n; i++) e[i] = x[i * dim] + (double)(big + (int)(i + 1)); /* UB */
    return 0;
}

static ebm_energy *gaussian(void) {
    ebm_energy *energy = NULL;
    double mean[2] = {0, 0}, cov[4] = {1, 0, 0, 1};
    if (ebm_energy_gaussian_new(mean, cov, 2, &energy) != EBM_OK) {
        fprintf(stderr, "%s\n", ebm_last_error_message());
        exit(2);
    }
    return energy;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    volatile int64_t n = 4;
    if (strcmp(mode, "heap-overflow") == 0) {
        ebm_energy *energy = gaussian();
        double *x = malloc(sizeof(double) * (size_t)(n * 2)), e[4];
        for (int64_t k = 0; k < n * 2; k++) x[k] = (double)k;
        ebm_energy_eval_f64(energy, x, n, 2, e);
        x[n * 2] = e[0]; /* one past the end */
        free(x);
        ebm_energy_free(energy);
    } else if (strcmp(mode, "use-after-free") == 0) {
        ebm_energy *energy = gaussian();
        double *e = malloc(sizeof(double) * (size_t)n), x[8] = {0};
        ebm_energy_eval_f64(energy, x, n, 2, e);
        double *volatile stale = e;
        free(e);
        printf("%g\n", stale[1]);
        ebm_energy_free(energy);
    } else if (strcmp(mode, "leak") == 0) {
        ebm_energy *forgotten = gaussian();
        forgotten = NULL;
        (void)forgotten;
    } else if (strcmp(mode, "leak-user-data") == 0) {
        ebm_energy *callback = NULL, *sum = NULL;
        int *user_data = malloc(sizeof(int));
        if (ebm_energy_callback_new(2, overflowing_energy, NULL, user_data, free, &callback) != EBM_OK) return 2;
        const ebm_energy *parts[1] = {callback};
        if (ebm_energy_composite_new(parts, 1, NULL, 0, &sum) != EBM_OK) return 2;
        ebm_energy_free(callback); /* the composite keeps it, and is never freed */
        user_data = NULL;
        sum = NULL;
    } else if (strcmp(mode, "ubsan") == 0) {
        ebm_energy *callback = NULL;
        if (ebm_energy_callback_new(2, overflowing_energy, NULL, NULL, NULL, &callback) != EBM_OK) return 2;
        double x[8] = {0}, e[4];
        ebm_energy_eval_f64(callback, x, n, 2, e);
        ebm_energy_free(callback);
    } else {
        fprintf(stderr, "usage: %s heap-overflow|use-after-free|leak|leak-user-data|ubsan\n", argv[0]);
        return 2;
    }
    return 0;
}
