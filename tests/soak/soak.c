/* A bounded soak test of libtorchebm through its C API, linked as a user links it.
 *
 *   soak [SCALE]      (or SOAK_SCALE=SCALE soak; default 1)
 *
 * At scale 1: 10^6 energy create/evaluate/free cycles (analytic energies, a Gaussian mixture,
 * callback energies with user data, composites of those, failing constructions and failing
 * callbacks), then 10^4 sampler cycles (new, init, run a few steps, read samples and
 * diagnostics, reseed, free; every sampler kind on analytic, callback, composite and MLP
 * energies) and 10^4 training cycles (dataset, MLP, sampler, CD loss or score matching, SGD or
 * Adam, train steps, free in varying orders; now and then a model and a checkpoint saved and
 * loaded). The first tenth of every phase is a warm-up; the resident set size (RSS) is read
 * after it and at the end, and the program fails when it grew by 1% or more, or when its
 * anonymous part (the heap, without libtorch's ~200 MiB of mapped code, so a stricter
 * measure) did, or when any call failed unexpectedly, or when a callback's user data was not
 * released exactly once. */
#define _POSIX_C_SOURCE 200809L
#include <malloc.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "torchebm.h"

static long failures = 0;
/* SOAK_LEAK_CONTROL=1: a negative control that leaks every analytic energy handle, which
 * must make the soak fail (`make soak-control`). */
static int leak_control = 0;

#define OK(call)                                                                          \
    do {                                                                                  \
        ebm_status status_ = (call);                                                      \
        if (status_ != EBM_OK && failures++ < 20)                                         \
            fprintf(stderr, "%s:%d: %s returned %d: %s\n", __FILE__, __LINE__, #call,     \
                    (int)status_, ebm_last_error_message());                              \
    } while (0)

#define FAILS(call, expected)                                                             \
    do {                                                                                  \
        ebm_status status_ = (call);                                                      \
        if (status_ != (expected) && failures++ < 20)                                     \
            fprintf(stderr, "%s:%d: %s returned %d, expected %s\n", __FILE__, __LINE__,  \
                    #call, (int)status_, #expected);                                      \
    } while (0)

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The anonymous part of the resident set (heap, stacks: not libtorch's mapped code), bytes. */
static double rss_anon_bytes(void) {
    char line[256];
    double kib = -1;
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "RssAnon: %lf", &kib) == 1) break;
    if (f) fclose(f);
    return 1024.0 * kib;
}

/* Resident set size in bytes, after returning the allocator's free memory to the system so
 * that only memory in use (or fragmentation) counts. */
static double rss_bytes(void) {
#ifdef __GLIBC__
    malloc_trim(0);
#endif
    long pages_total = 0, pages_resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f || fscanf(f, "%ld %ld", &pages_total, &pages_resident) != 2) {
        fprintf(stderr, "cannot read /proc/self/statm\n");
        exit(2);
    }
    fclose(f);
    return (double)pages_resident * (double)sysconf(_SC_PAGESIZE);
}

/* ---- callback energies ---- */

typedef struct {
    double scale;
    int fail; /* the callback fails (with a message) when set */
} user_data;

static long user_data_live = 0, user_data_freed = 0;

static int32_t quadratic_energy(const double *x, int64_t n, int64_t dim, double *e, void *data) {
    const user_data *u = data;
    if (u->fail) {
        ebm_callback_set_error("soak: deliberate failure");
        return 7;
    }
    for (int64_t i = 0; i < n; i++) {
        double s = 0;
        for (int64_t j = 0; j < dim; j++) s += x[i * dim + j] * x[i * dim + j];
        e[i] = 0.5 * u->scale * s;
    }
    return 0;
}

static int32_t quadratic_gradient(const double *x, int64_t n, int64_t dim, double *e, double *g,
                                  void *data) {
    const user_data *u = data;
    for (int64_t i = 0; i < n; i++) {
        double s = 0;
        for (int64_t j = 0; j < dim; j++) {
            s += x[i * dim + j] * x[i * dim + j];
            g[i * dim + j] = u->scale * x[i * dim + j];
        }
        e[i] = 0.5 * u->scale * s;
    }
    return 0;
}

static void free_user_data(void *data) {
    user_data_live--, user_data_freed++;
    free(data);
}

/* A callback energy in dimension 2 (with an analytic gradient or finite differences). */
static ebm_energy *callback_energy(uint64_t i, int fail) {
    user_data *u = malloc(sizeof *u);
    u->scale = 1.0 + (double)(i % 7);
    u->fail = fail;
    user_data_live++;
    ebm_energy *e = NULL;
    OK(ebm_energy_callback_new(2, quadratic_energy, (i % 2) ? quadratic_gradient : NULL, u,
                               free_user_data, &e));
    return e;
}

/* ---- energies ---- */

enum { N_POINTS = 8, DIM = 2, N_KINDS = 12 };

static ebm_energy *analytic_energy(uint64_t i) {
    ebm_energy *e = NULL;
    double mean[2] = {0.1, -0.2}, cov[4] = {1.5, 0.3, 0.3, 1.0};
    switch (i % 9) {
    case 0: OK(ebm_energy_gaussian_new(mean, cov, 2, &e)); break;
    case 1: OK(ebm_energy_double_well_new(1.0, 2.0, &e)); break;
    case 2: OK(ebm_energy_harmonic_new(1.5, &e)); break;
    case 3: OK(ebm_energy_rosenbrock_new(1.0, 100.0, &e)); break;
    case 4: OK(ebm_energy_ackley_new(20.0, 0.2, 6.283185307179586, &e)); break;
    case 5: OK(ebm_energy_rastrigin_new(10.0, &e)); break;
    case 6: OK(ebm_energy_himmelblau_new(&e)); break;
    case 7: OK(ebm_energy_booth_new(&e)); break;
    default: OK(ebm_energy_styblinski_tang_new(&e)); break;
    }
    return e;
}

static ebm_energy *mixture_energy(void) {
    double w[2] = {0.3, 0.7}, means[4] = {-1, 0, 1, 0}, covs[8] = {1, 0, 0, 1, 0.5, 0.1, 0.1, 0.5};
    ebm_energy *e = NULL;
    OK(ebm_energy_gaussian_mixture_new(w, means, covs, 2, 2, &e));
    return e;
}

/* A composite of an analytic, a callback and a mixture energy; the parts are released before
 * or after the composite. */
static ebm_energy *composite_energy(uint64_t i, ebm_energy *parts[3]) {
    parts[0] = analytic_energy(i / N_KINDS);
    parts[1] = callback_energy(i, 0);
    parts[2] = mixture_energy();
    double weights[3] = {1.0, 0.5, 0.25};
    ebm_energy *e = NULL;
    OK(ebm_energy_composite_new((const ebm_energy *const *)parts, 3, (i % 2) ? weights : NULL,
                                (i % 2) ? 3 : 0, &e));
    return e;
}

static void evaluate(const ebm_energy *e, uint64_t i) {
    double x[N_POINTS * DIM], energies[N_POINTS], grad[N_POINTS * DIM];
    float xf[N_POINTS * DIM], ef[N_POINTS], gf[N_POINTS * DIM];
    for (int k = 0; k < N_POINTS * DIM; k++) xf[k] = (float)(x[k] = sin(0.37 * (double)(k + i)));
    int64_t n = 1 + (int64_t)(i % N_POINTS);
    switch (i % 3) {
    case 0: OK(ebm_energy_eval_f64(e, x, n, DIM, energies)); break;
    case 1: OK(ebm_energy_gradient_f32(e, xf, n, DIM, gf)); break;
    default: OK(ebm_energy_eval_and_gradient_f64(e, x, n, DIM, energies, grad)); break;
    }
    OK(ebm_energy_eval_and_gradient_f32(e, xf, n, DIM, ef, gf));
    int64_t dim = 0;
    OK(ebm_energy_dim(e, &dim));
    if (!ebm_energy_name(e)) failures++;
}

static void energy_cycle(uint64_t i) {
    ebm_energy *parts[3] = {NULL, NULL, NULL}, *e = NULL;
    switch (i % N_KINDS) {
    case 0: case 1: case 2: case 3: case 4: case 5: e = analytic_energy(i / N_KINDS + i); break;
    case 6: e = mixture_energy(); break;
    case 7: case 8: e = callback_energy(i, 0); break;
    case 9: e = composite_energy(i, parts); break;
    case 10: { /* a failing callback: an error status and message, every time */
        e = callback_energy(i, 1);
        double x[DIM] = {1, 2}, energy;
        FAILS(ebm_energy_eval_f64(e, x, 1, DIM, &energy), EBM_ERR_CALLBACK);
        break;
    }
    default: { /* failing constructions */
        double mean[2] = {0, 0}, bad_cov[4] = {1, 2, 2, 1};
        ebm_energy *never = NULL;
        FAILS(ebm_energy_gaussian_new(mean, bad_cov, 2, &never), EBM_ERR_NOT_POSITIVE_DEFINITE);
        FAILS(ebm_energy_callback_new(0, quadratic_energy, NULL, NULL, NULL, &never),
              EBM_ERR_INVALID_ARGUMENT);
        OK(ebm_energy_himmelblau_new(&e)); /* two-dimensional only */
        double x[3] = {0, 0, 0}, energy;
        FAILS(ebm_energy_eval_f64(e, x, 1, 3, &energy), EBM_ERR_DIMENSION_MISMATCH);
        break;
    }
    }
    if (i % N_KINDS != 10) evaluate(e, i);
    if (i % 2) { /* the parts first, then the composite that keeps them alive */
        for (int k = 0; k < 3; k++) ebm_energy_free(parts[k]);
        if (parts[0]) evaluate(e, i + 1);
        ebm_energy_free(e);
    } else {
        if (!(leak_control && i % N_KINDS < 6)) ebm_energy_free(e);
        for (int k = 0; k < 3; k++) ebm_energy_free(parts[k]);
    }
}

/* ---- samplers ---- */

static ebm_energy *mlp(uint64_t seed, int32_t dtype) {
    int64_t hidden[2] = {16, 16};
    ebm_mlp_params p = ebm_mlp_default_params();
    p.hidden = hidden;
    p.n_hidden = 2;
    p.seed = seed;
    p.dtype = dtype;
    ebm_energy *model = NULL;
    OK(ebm_model_mlp_new(&p, &model));
    return model;
}

static ebm_sampler *sampler_on(const ebm_energy *e, uint64_t i) {
    ebm_sampler *s = NULL;
    switch (i % 4) {
    case 0: {
        ebm_langevin_params p = ebm_langevin_default_params();
        p.seed = i;
        OK(ebm_langevin_new(e, &p, &s));
        break;
    }
    case 1: {
        ebm_mala_params p = ebm_mala_default_params();
        p.seed = i;
        OK(ebm_mala_new(e, &p, &s));
        break;
    }
    case 2: {
        ebm_hmc_params p = ebm_hmc_default_params();
        p.seed = i;
        OK(ebm_hmc_new(e, &p, &s));
        break;
    }
    default: {
        ebm_kinetic_langevin_params p = ebm_kinetic_langevin_default_params();
        p.seed = i;
        OK(ebm_kinetic_langevin_new(e, &p, &s));
        break;
    }
    }
    return s;
}

static void sampler_cycle(uint64_t i) {
    enum { CHAINS = 16 };
    ebm_energy *parts[3] = {NULL, NULL, NULL}, *e = NULL;
    switch ((i / 4) % 4) {
    case 0: e = analytic_energy(i / 16); break;
    case 1: e = callback_energy(i, 0); break;
    case 2: e = composite_energy(i, parts); break;
    default: e = mlp(i, (i % 2) ? EBM_DTYPE_F64 : EBM_DTYPE_F32); break;
    }
    ebm_sampler *s = sampler_on(e, i);
    double init[CHAINS * DIM], out64[CHAINS * DIM], rates[CHAINS];
    float out32[CHAINS * DIM];
    for (int k = 0; k < CHAINS * DIM; k++) init[k] = cos(0.7 * (double)(k + i));
    OK(ebm_sampler_init_f64(s, (i % 3) ? init : NULL, CHAINS, DIM));
    OK(ebm_sampler_run(s, 3));
    OK(ebm_sampler_get_samples_f64(s, out64, CHAINS, DIM));
    OK(ebm_sampler_get_samples_f32(s, out32, CHAINS, DIM));
    ebm_sampler_stats stats;
    OK(ebm_sampler_get_stats(s, &stats, sizeof stats));
    if (i % 4 == 1 || i % 4 == 2) OK(ebm_sampler_get_acceptance_rates(s, rates, CHAINS));
    OK(ebm_sampler_reseed(s, i + 1));
    OK(ebm_sampler_sample_f32(s, CHAINS, DIM, 2, out32));
    if (ebm_sampler_name(s) == NULL) failures++;
    /* The energy (and the composite's parts) first, or the sampler first. */
    if (i % 2) {
        for (int k = 0; k < 3; k++) ebm_energy_free(parts[k]);
        ebm_energy_free(e);
        OK(ebm_sampler_run(s, 1));
        ebm_sampler_free(s);
    } else {
        ebm_sampler_free(s);
        ebm_energy_free(e);
        for (int k = 0; k < 3; k++) ebm_energy_free(parts[k]);
    }
}

/* ---- training ---- */

static char model_path[256], checkpoint_path[256];

static void training_cycle(uint64_t i) {
    enum { BATCH = 100 }; /* the grid dataset takes a square number of points */
    float data32[BATCH * DIM];
    double data64[BATCH * DIM];
    ebm_dataset_params dp = ebm_dataset_default_params((int32_t)(i % 8));
    dp.seed = i;
    OK(ebm_dataset_generate_f32(&dp, BATCH, data32));
    OK(ebm_dataset_generate_f64(&dp, BATCH, data64));

    ebm_energy *model = mlp(i, (i % 3 == 0) ? EBM_DTYPE_F64 : EBM_DTYPE_F32);
    ebm_optimizer *opt = NULL;
    if (i % 2) {
        ebm_adam_params ap = ebm_adam_default_params();
        OK(ebm_optimizer_adam_new(model, &ap, &opt));
    } else {
        ebm_sgd_params sp = ebm_sgd_default_params();
        OK(ebm_optimizer_sgd_new(model, &sp, &opt));
    }
    double value = 0, lr = 0;
    int64_t steps = 0;
    ebm_sampler *sampler = NULL;
    ebm_cd_loss *cd = NULL;
    ebm_score_matching *sm = NULL;
    if (i % 4 != 3) {
        ebm_langevin_params lp = ebm_langevin_default_params();
        lp.step_size = 0.05;
        lp.noise_scale = 0.1;
        lp.seed = i;
        OK(ebm_langevin_new(model, &lp, &sampler));
        ebm_cd_params cp = ebm_cd_default_params();
        cp.k = 2;
        cp.start = (int32_t)(i % 3);
        cp.buffer_size = 128;
        OK(ebm_cd_loss_new(model, sampler, &cp, &cd));
        OK(ebm_cd_loss_train_step_f32(cd, opt, data32, BATCH, DIM, &value));
        OK(ebm_cd_loss_train_step_f64(cd, opt, data64, BATCH, DIM, NULL));
        OK(ebm_optimizer_zero_grad(opt));
        OK(ebm_cd_loss_compute_f32(cd, data32, BATCH, DIM, &value));
        OK(ebm_optimizer_step(opt));
        float negatives[BATCH * DIM];
        OK(ebm_cd_loss_get_negatives_f32(cd, negatives, BATCH, DIM));
    } else {
        ebm_score_matching_params sp = ebm_score_matching_default_params();
        sp.method = (int32_t)((i / 4) % 3);
        OK(ebm_score_matching_new(model, &sp, &sm));
        OK(ebm_score_matching_train_step_f32(sm, opt, data32, BATCH, DIM, &value));
        OK(ebm_score_matching_compute_f64(sm, data64, BATCH, DIM, &value));
    }
    OK(ebm_optimizer_set_learning_rate(opt, 1e-3));
    OK(ebm_optimizer_get_state(opt, &lr, &steps));
    if (i % 100 == 7 && cd) { /* files: a model and a checkpoint, saved and loaded */
        ebm_energy *loaded = NULL;
        OK(ebm_model_save(model, model_path));
        OK(ebm_model_load(model_path, EBM_DEVICE_CPU, &loaded));
        OK(ebm_checkpoint_save(checkpoint_path, model, opt, cd));
        OK(ebm_checkpoint_load(checkpoint_path, model, opt, cd));
        ebm_energy_free(loaded);
    }
    /* Free in an order that depends on i (every handle keeps what it uses alive). */
    if (i % 2) {
        ebm_energy_free(model), ebm_sampler_free(sampler);
        ebm_cd_loss_free(cd), ebm_score_matching_free(sm), ebm_optimizer_free(opt);
    } else {
        ebm_optimizer_free(opt), ebm_cd_loss_free(cd), ebm_score_matching_free(sm);
        ebm_sampler_free(sampler), ebm_energy_free(model);
    }
}

/* ---- driver ---- */

typedef struct {
    const char *name;
    void (*cycle)(uint64_t);
    uint64_t cycles;
} phase;

int main(int argc, char **argv) {
    const char *scale_text = argc > 1 ? argv[1] : getenv("SOAK_SCALE");
    double scale = scale_text ? atof(scale_text) : 1.0;
    if (!(scale > 0)) {
        fprintf(stderr, "usage: %s [SCALE > 0]  (or SOAK_SCALE)\n", argv[0]);
        return 2;
    }
    leak_control = getenv("SOAK_LEAK_CONTROL") && atoi(getenv("SOAK_LEAK_CONTROL"));
    snprintf(model_path, sizeof model_path, "/tmp/torchebm-soak-%ld.safetensors", (long)getpid());
    snprintf(checkpoint_path, sizeof checkpoint_path, "/tmp/torchebm-soak-%ld.ckpt", (long)getpid());
    phase phases[3] = {
        {"energy", energy_cycle, (uint64_t)(1e6 * scale + 0.5)},
        {"sampler", sampler_cycle, (uint64_t)(1e4 * scale + 0.5)},
        {"training", training_cycle, (uint64_t)(1e4 * scale + 0.5)},
    };
    for (int p = 0; p < 3; p++)
        if (phases[p].cycles < 40) phases[p].cycles = 40;

    /* Warm-up: the first tenth of every phase (libtorch's and the allocator's one-time
     * growth happens here). */
    double start = now();
    for (int p = 0; p < 3; p++)
        for (uint64_t i = 0; i < phases[p].cycles / 10; i++) phases[p].cycle(i);
    double warm = now(), rss_before = rss_bytes(), anon_before = rss_anon_bytes();
    printf("soak: scale %g%s, warm-up %.1f s, RSS after warm-up %.1f MiB (anonymous %.1f MiB)\n",
           scale, leak_control ? " (LEAK CONTROL)" : "", warm - start, rss_before / 1048576.0,
           anon_before / 1048576.0);
    fflush(stdout);

    uint64_t total = 0;
    for (int p = 0; p < 3; p++) {
        double t0 = now();
        for (uint64_t i = phases[p].cycles / 10; i < phases[p].cycles; i++) phases[p].cycle(i);
        printf("soak: %-8s %8llu cycles, after the warm-up %7.1f s (%.1f us/cycle), RSS %.1f MiB\n", phases[p].name,
               (unsigned long long)phases[p].cycles, now() - t0,
               1e6 * (now() - t0) / (double)(phases[p].cycles - phases[p].cycles / 10),
               rss_bytes() / 1048576.0);
        fflush(stdout);
        total += phases[p].cycles;
    }
    double rss_after = rss_bytes(), growth = 100.0 * (rss_after - rss_before) / rss_before;
    double anon_after = rss_anon_bytes();
    remove(model_path), remove(checkpoint_path);
    printf("soak: %llu cycles in %.1f s; RSS %.1f -> %.1f MiB (%+.2f%%), anonymous %.1f -> %.1f MiB "
           "(%+.2f%%); user data freed %ld, live %ld; %ld failed calls\n",
           (unsigned long long)total, now() - start, rss_before / 1048576.0, rss_after / 1048576.0,
           growth, anon_before / 1048576.0, anon_after / 1048576.0,
           100.0 * (anon_after - anon_before) / anon_before, user_data_freed, user_data_live, failures);
    int ok = 1;
    double anon_growth = 100.0 * (anon_after - anon_before) / anon_before;
    if (growth >= 1.0) fprintf(stderr, "soak: FAILED: RSS grew by %.2f%% (>= 1%%)\n", growth), ok = 0;
    if (anon_growth >= 1.0)
        fprintf(stderr, "soak: FAILED: anonymous RSS grew by %.2f%% (>= 1%%)\n", anon_growth), ok = 0;
    if (user_data_live != 0) fprintf(stderr, "soak: FAILED: %ld user data not freed\n", user_data_live), ok = 0;
    if (failures) fprintf(stderr, "soak: FAILED: %ld calls failed\n", failures), ok = 0;
    if (ok) printf("soak: passed\n");
    return ok ? 0 : 1;
}
