/* TorchScript energies that misbehave: no autograd graph, integer or wrongly shaped outputs,
 * writes into their input, corrupted archives, and errors raised inside the module. None may
 * crash the process, write into the caller's buffers, or give a multi-line message.
 *
 * Usage: test_torchscript [FIXTURES [--probe-all]]
 *   FIXTURES     the directory written by tests/fixtures/make_torchscript.py (default
 *                $TORCHEBM_TEST_FIXTURES, else build/torchscript)
 *   --probe-all  also load the good archive with two bytes changed at every position (slow) */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"

#define NO_ENERGY ((ebm_energy *)(uintptr_t)0x5e5e)

static const char *fixtures = "build/torchscript";

static void fixture(char *buffer, size_t size, const char *name) {
    snprintf(buffer, size, "%s/%s", fixtures, name);
}

static ebm_energy *load(const char *name) {
    char path[4096];
    fixture(path, sizeof path, name);
    ebm_energy *energy = NULL;
    CHECK_OK(ebm_model_torchscript_load(path, 2, EBM_DEVICE_CPU, &energy));
    return energy;
}

/* The last message is one line and contains `text`. */
static void check_message(const char *text) {
    const char *message = ebm_last_error_message();
    if (strchr(message, '\n') != NULL || strstr(message, text) == NULL) {
        fprintf(stderr, "message \"%s\" should be one line containing \"%s\"\n", message, text);
        check_failures++;
    }
}

static ebm_sampler *langevin(const ebm_energy *energy) {
    ebm_langevin_params params = ebm_langevin_default_params();
    ebm_sampler *sampler = NULL;
    CHECK_OK(ebm_langevin_new(energy, &params, &sampler));
    return sampler;
}

/* Issue 9.1: energies without an autograd graph used to crash in libtorch's backward. */
static void output_without_autograd_graph(void) {
    ebm_energy *detached = load("detached.pt");
    if (detached == NULL) return;
    double x[6] = {1, 2, 3, 4, -1, 0.5}, e[3], g[6];
    float xf[6] = {1, 2, 3, 4, -1, 0.5f}, gf[6];
    /* The energies themselves are fine. */
    CHECK_OK(ebm_energy_eval_f64(detached, x, 3, 2, e));
    CHECK_NEAR(e[0], 5, 1e-6);
    CHECK_FAILS(ebm_energy_gradient_f64(detached, x, 3, 2, g), EBM_ERR_TORCH, "ebm_energy_gradient_f64", "energy");
    check_message("autograd graph");
    CHECK_FAILS(ebm_energy_gradient_f32(detached, xf, 3, 2, gf), EBM_ERR_TORCH, "ebm_energy_gradient_f32", "energy");
    CHECK_FAILS(ebm_energy_eval_and_gradient_f64(detached, x, 3, 2, e, g), EBM_ERR_TORCH,
                "ebm_energy_eval_and_gradient_f64", "energy");
    ebm_sampler *sampler = langevin(detached);
    double chains[20] = {0};
    CHECK_FAILS(ebm_sampler_sample_f64(sampler, 10, 2, 5, chains), EBM_ERR_TORCH, "ebm_sampler_sample_f64",
                "energy");
    check_message("autograd graph");
    ebm_mala_params mp = ebm_mala_default_params();
    ebm_sampler *mala = NULL;
    CHECK_OK(ebm_mala_new(detached, &mp, &mala));
    CHECK(ebm_sampler_sample_f64(mala, 10, 2, 5, chains) == EBM_ERR_TORCH);
    check_message("autograd graph");
    ebm_sampler_free(mala), ebm_sampler_free(sampler), ebm_energy_free(detached);
}

/* Integer energies are refused on load; NaN energies are values, not crashes. */
static void integer_and_nan_outputs(void) {
    char path[4096];
    fixture(path, sizeof path, "integer_output.pt");
    ebm_energy *out = NO_ENERGY;
    CHECK_FAILS(ebm_model_torchscript_load(path, 2, EBM_DEVICE_CPU, &out), EBM_ERR_INVALID_ARGUMENT,
                "ebm_model_torchscript_load", "path");
    check_message("floating point");
    CHECK(out == NO_ENERGY);
    ebm_energy *nan = load("nan_output.pt");
    if (nan == NULL) return;
    double x[4] = {1, 2, 3, 4}, e[2], g[4];
    CHECK_OK(ebm_energy_eval_and_gradient_f64(nan, x, 2, 2, e, g));
    CHECK(isnan(e[0]) && isnan(e[1]) && isnan(g[0]));
    ebm_sampler *sampler = langevin(nan);
    double chains[20] = {0};
    ebm_status status = ebm_sampler_sample_f64(sampler, 10, 2, 5, chains);
    CHECK(status == EBM_OK || strchr(ebm_last_error_message(), '\n') == NULL);
    ebm_sampler_free(sampler), ebm_energy_free(nan);
}

/* A module whose output shape depends on n passes the load probe (n = 2) and must be
 * caught at run time. */
static void output_shape_checked_at_run_time(void) {
    ebm_energy *energy = load("shape_depends_on_n.pt");
    if (energy == NULL) return;
    double x[6] = {1, 2, 3, 4, 5, 6}, e[3], g[6];
    CHECK_OK(ebm_energy_eval_f64(energy, x, 2, 2, e));
    CHECK_FAILS(ebm_energy_eval_f64(energy, x, 3, 2, e), EBM_ERR_TORCH, "ebm_energy_eval_f64", "energy");
    check_message("shape");
    CHECK_FAILS(ebm_energy_gradient_f64(energy, x, 3, 2, g), EBM_ERR_TORCH, "ebm_energy_gradient_f64", "energy");
    check_message("shape");
    ebm_sampler *sampler = langevin(energy);
    double chains[20] = {0};
    CHECK_FAILS(ebm_sampler_sample_f64(sampler, 10, 2, 5, chains), EBM_ERR_TORCH, "ebm_sampler_sample_f64",
                "energy");
    ebm_sampler_free(sampler), ebm_energy_free(energy);
}

/* Issue 9.2: a module writing into its input must not write into the caller's buffer, even
 * a read-only one. */
static void inplace_module_gets_a_private_copy(void) {
    ebm_energy *mul = load("inplace_mul.pt"), *add = load("inplace_add.pt");
    if (mul == NULL || add == NULL) {
        ebm_energy_free(mul), ebm_energy_free(add);
        return;
    }
    long page = sysconf(_SC_PAGESIZE);
    double *ro = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(ro != MAP_FAILED);
    if (ro == MAP_FAILED) return;
    const double values[4] = {1, 2, -3, 0.5};
    memcpy(ro, values, sizeof values);
    float *ro_f = (float *)(ro + 4);
    for (int i = 0; i < 4; i++) ro_f[i] = (float)values[i];
    CHECK(mprotect(ro, (size_t)page, PROT_READ) == 0);
    double e[2], g[4];
    float ef[2], gf[4];
    CHECK_OK(ebm_energy_eval_f64(mul, ro, 2, 2, e));
    CHECK_NEAR(e[0], 4 * (1 + 4), 1e-12);
    CHECK_NEAR(e[1], 4 * (9 + 0.25), 1e-12);
    CHECK_OK(ebm_energy_eval_and_gradient_f64(mul, ro, 2, 2, e, g));
    CHECK_NEAR(g[0], 8 * 1, 1e-12);
    CHECK_NEAR(g[2], 8 * -3, 1e-12);
    CHECK_OK(ebm_energy_gradient_f32(mul, ro_f, 2, 2, gf));
    CHECK_NEAR(gf[1], 8 * 2, 1e-5);
    CHECK_OK(ebm_energy_eval_f32(add, ro_f, 2, 2, ef));
    CHECK_NEAR(ef[0], 2 + 3, 1e-5);
    CHECK_OK(ebm_energy_gradient_f64(add, ro, 2, 2, g));
    CHECK(g[0] == 1 && g[3] == 1);
    CHECK(memcmp(ro, values, sizeof values) == 0);
    munmap(ro, (size_t)page);
    /* A writable buffer keeps its values too, and so does a sampler's state. */
    double x[4] = {1, 2, -3, 0.5};
    CHECK_OK(ebm_energy_eval_f64(add, x, 2, 2, e));
    CHECK_OK(ebm_energy_eval_and_gradient_f64(mul, x, 2, 2, e, g));
    CHECK(memcmp(x, values, sizeof values) == 0);
    ebm_sampler *sampler = langevin(add);
    double chains[20] = {0};
    CHECK_OK(ebm_sampler_sample_f64(sampler, 10, 2, 3, chains));
    ebm_sampler_free(sampler), ebm_energy_free(mul), ebm_energy_free(add);
}

static unsigned char *read_file(const char *path, long *size) {
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    if (f == NULL) return NULL;
    fseek(f, 0, SEEK_END);
    *size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *bytes = malloc((size_t)*size);
    CHECK(fread(bytes, 1, (size_t)*size, f) == (size_t)*size);
    fclose(f);
    return bytes;
}

static void write_file(const char *path, const unsigned char *bytes, long size) {
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f == NULL) return;
    CHECK(fwrite(bytes, 1, (size_t)size, f) == (size_t)size);
    fclose(f);
}

/* Loads `bytes` from a scratch file: a module, or a one-line message naming path. */
static ebm_status load_bytes(const unsigned char *bytes, long size, int quiet) {
    char path[256];
    snprintf(path, sizeof path, "/tmp/torchebm-ts-%ld.pt", (long)getpid());
    write_file(path, bytes, size);
    ebm_energy *energy = NULL;
    ebm_status status = ebm_model_torchscript_load(path, 2, EBM_DEVICE_CPU, &energy);
    if (status == EBM_OK) {
        double x[4] = {1, 2, 3, 4}, e[2], g[4];
        (void)ebm_energy_eval_and_gradient_f64(energy, x, 2, 2, e, g);
        ebm_energy_free(energy);
    } else {
        const char *message = ebm_last_error_message();
        if (strchr(message, '\n') != NULL || strstr(message, "path") == NULL ||
            strncmp(message, "ebm_model_torchscript_load: ", 28) != 0) {
            fprintf(stderr, "message \"%s\" should be one line naming path\n", message);
            check_failures++;
        } else if (!quiet && status != EBM_ERR_FORMAT) {
            fprintf(stderr, "status %d: %s\n", (int)status, message);
        }
    }
    remove(path);
    return status;
}

/* Issue 9.3: corrupted archives are rejected before libtorch's deserializer sees them. */
static void corrupted_archives_are_rejected(void) {
    char path[4096];
    fixture(path, sizeof path, "good.pt");
    long size = 0;
    unsigned char *good = read_file(path, &size);
    if (good == NULL) return;
    unsigned char *copy = malloc((size_t)size);
    CHECK(load_bytes(good, size, 0) == EBM_OK);
    /* Truncated, emptied, not a zip. */
    CHECK(load_bytes(good, size - 1, 1) == EBM_ERR_FORMAT);
    CHECK(load_bytes(good, size / 2, 1) == EBM_ERR_FORMAT);
    CHECK(load_bytes(good, 10, 1) == EBM_ERR_FORMAT);
    CHECK(load_bytes((const unsigned char *)"not a zip file at all, just text\n", 33, 1) == EBM_ERR_FORMAT);
    /* Two changed bytes in each stored record's data, in the deflated code, in the central
     * directory's CRCs and offsets: all caught by the checks, with a message naming the
     * entry. */
    static const char *records[] = {"good/data.pkl", "good/constants.pkl", "good/version", "good/data/0"};
    for (size_t r = 0; r < sizeof records / sizeof *records; r++) {
        /* The local header's name, then its data after the name and the extra field. */
        const unsigned char *at = NULL;
        for (long i = 0; i + 30 < size && at == NULL; i++)
            if (memcmp(good + i, "PK\3\4", 4) == 0 && good[i + 26] == strlen(records[r]) &&
                memcmp(good + i + 30, records[r], strlen(records[r])) == 0)
                at = good + i;
        CHECK(at != NULL);
        if (at == NULL) continue;
        long data = (at - good) + 30 + at[26] + (at[28] | at[29] << 8);
        memcpy(copy, good, (size_t)size);
        copy[data] ^= 0x20, copy[data + 1] ^= 0x01;
        CHECK_FAILS(load_bytes(copy, size, 1), EBM_ERR_FORMAT, "ebm_model_torchscript_load", "path");
        check_message("CRC");
    }
    /* The last central directory entry's offset (the directory ends 22 bytes before EOF). */
    memcpy(copy, good, (size_t)size);
    copy[size - 22 - 1 - 40] ^= 0xff;
    CHECK(load_bytes(copy, size, 1) == EBM_ERR_FORMAT);
    /* The end record's directory offset, which must agree with the zip64 record's. */
    memcpy(copy, good, (size_t)size);
    copy[size - 22 + 16] ^= 0x04, copy[size - 22 + 17] ^= 0x01;
    CHECK(load_bytes(copy, size, 1) == EBM_ERR_FORMAT);
    /* Two bytes changed every 61 bytes (a prime stride, so every field of every header gets
     * hit over the run), the second at a pseudo-random place: no crash, and any failure is
     * one line naming path. */
    uint32_t state = 12345;
    int rejected = 0, loaded = 0;
    for (long p = 0; p < size; p += 61) {
        state = state * 1103515245u + 12345u;
        long q = (long)((state >> 8) % (uint32_t)size);
        memcpy(copy, good, (size_t)size);
        copy[p] ^= 0x5a, copy[q] ^= 0xa5;
        if (load_bytes(copy, size, 1) == EBM_OK)
            loaded++;
        else
            rejected++;
    }
    CHECK(rejected > 0);
    printf("     %d corrupted copies rejected, %d loaded (changes in unchecked bytes)\n", rejected, loaded);
    free(copy), free(good);
}

/* Archives that are well-formed zips but not valid modules: libtorch rejects them, and its
 * message is one line. */
static void invalid_contents_give_one_line(void) {
    static const char *names[] = {"bad_pickle.pt", "bad_code.pt", "tensor.pt"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char path[4096];
        fixture(path, sizeof path, names[i]);
        ebm_energy *out = NO_ENERGY;
        ebm_status status = ebm_model_torchscript_load(path, 2, EBM_DEVICE_CPU, &out);
        CHECK(status == EBM_ERR_INVALID_ARGUMENT || status == EBM_ERR_FORMAT);
        CHECK(out == NO_ENERGY);
        check_message("path");
    }
}

/* Issue 9.4: errors raised inside the module come back as one line with the real reason. */
static void module_errors_are_one_line(void) {
    ebm_energy *raises = load("raises_on_run.pt"), *mismatch = load("shape_mismatch_on_run.pt");
    if (raises == NULL || mismatch == NULL) {
        ebm_energy_free(raises), ebm_energy_free(mismatch);
        return;
    }
    double x[6] = {1, 2, 3, 4, 5, 6}, e[3], g[6];
    CHECK_OK(ebm_energy_eval_f64(raises, x, 2, 2, e));
    CHECK_FAILS(ebm_energy_eval_f64(raises, x, 3, 2, e), EBM_ERR_TORCH, "ebm_energy_eval_f64", "energy");
    check_message("boom: this module only takes 2 points");
    CHECK_FAILS(ebm_energy_gradient_f64(raises, x, 3, 2, g), EBM_ERR_TORCH, "ebm_energy_gradient_f64", "energy");
    check_message("boom: this module only takes 2 points");
    CHECK_FAILS(ebm_energy_eval_f64(mismatch, x, 3, 2, e), EBM_ERR_TORCH, "ebm_energy_eval_f64", "energy");
    check_message("must match the size");
    CHECK(strstr(ebm_last_error_message(), "Exception raised from") == NULL);
    /* The load probe: (2, 3) + (5, 7) fails inside the module. */
    char path[4096];
    fixture(path, sizeof path, "shape_mismatch_on_run.pt");
    ebm_energy *out = NO_ENERGY;
    CHECK_FAILS(ebm_model_torchscript_load(path, 3, EBM_DEVICE_CPU, &out), EBM_ERR_DIMENSION_MISMATCH,
                "ebm_model_torchscript_load", "dim");
    check_message("must match the size");
    CHECK(out == NO_ENERGY);
    ebm_energy_free(raises), ebm_energy_free(mismatch);
}

/* Every position of the good archive, each with a second byte changed elsewhere. */
static void probe_all_positions(void) {
    char path[4096];
    fixture(path, sizeof path, "good.pt");
    long size = 0;
    unsigned char *good = read_file(path, &size);
    if (good == NULL) return;
    unsigned char *copy = malloc((size_t)size);
    uint32_t state = 777;
    int rejected = 0, loaded = 0;
    for (int round = 0; round < 4; round++)
        for (long p = 0; p < size; p++) {
            state = state * 1103515245u + 12345u;
            long q = (long)((state >> 8) % (uint32_t)size);
            memcpy(copy, good, (size_t)size);
            copy[p] ^= (unsigned char)(1 + (state >> 3) % 255), copy[q] ^= (unsigned char)(1 + (state >> 13) % 255);
            if (load_bytes(copy, size, 1) == EBM_OK)
                loaded++;
            else
                rejected++;
        }
    printf("     probe: %d rejected, %d loaded, no crash\n", rejected, loaded);
    free(copy), free(good);
}

int main(int argc, char **argv) {
    if (argc > 1)
        fixtures = argv[1];
    else if (getenv("TORCHEBM_TEST_FIXTURES") != NULL)
        fixtures = getenv("TORCHEBM_TEST_FIXTURES");
    char path[4096];
    fixture(path, sizeof path, "good.pt");
    if (access(path, R_OK) != 0) {
        fprintf(stderr, "%s: no fixtures in %s (make %s/.complete)\n", argv[0], fixtures, fixtures);
        return 1;
    }
    RUN(output_without_autograd_graph);
    RUN(integer_and_nan_outputs);
    RUN(output_shape_checked_at_run_time);
    RUN(inplace_module_gets_a_private_copy);
    RUN(corrupted_archives_are_rejected);
    RUN(invalid_contents_give_one_line);
    RUN(module_errors_are_one_line);
    if (argc > 2 && strcmp(argv[2], "--probe-all") == 0) RUN(probe_all_positions);
    return CHECK_RESULT();
}
