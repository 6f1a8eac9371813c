/* Replica exchange through the C API: defaults, ladders, diagnostics, errors. The
 * statistical behaviour (occupancy of a double well) is tested in tests/tempering.rs and by
 * examples/c/parallel_tempering.c. */
#include <stdint.h>

#include "check.h"

static ebm_sampler *inner_mala(ebm_energy **energy) {
    CHECK_OK(ebm_energy_double_well_new(8.0, 1.0, energy));
    ebm_mala_params p = ebm_mala_default_params();
    p.step_size = 0.02;
    ebm_sampler *s = NULL;
    CHECK_OK(ebm_mala_new(*energy, &p, &s));
    return s;
}

static void test_defaults_and_diagnostics(void) {
    ebm_tempering_params p = ebm_tempering_default_params();
    CHECK(p.struct_size == sizeof p);
    CHECK(p.n_temperatures == 8 && p.max_temperature == 10.0 && p.swap_interval == 1);
    CHECK(p.temperatures == NULL && p.temperatures_len == 0);
    ebm_energy *e = NULL;
    ebm_sampler *inner = inner_mala(&e), *pt = NULL;
    CHECK_OK(ebm_parallel_tempering_new(inner, &p, &pt));
    CHECK(strcmp(ebm_sampler_name(pt), "parallel_tempering") == 0);
    double t[8], rates[7];
    int64_t k = 0;
    CHECK_OK(ebm_sampler_get_temperatures(pt, NULL, 0, &k));
    CHECK(k == 8);
    CHECK_OK(ebm_sampler_get_temperatures(pt, t, 8, &k));
    CHECK(t[0] == 1.0);
    CHECK_NEAR(t[7], 10.0, 1e-12);
    CHECK_NEAR(t[1], pow(10.0, 1.0 / 7), 1e-12);
    CHECK_FAILS(ebm_sampler_get_swap_acceptance(pt, rates, 7), EBM_ERR_INVALID_ARGUMENT,
                "ebm_sampler_get_swap_acceptance", "sampler");
    double start[4] = {1, 1, 1, 1}, x[4];
    CHECK_OK(ebm_sampler_sample_chain_f64(pt, start, 4, 1, 1, 1, x, NULL, 0));
    /* One round: the even pairs (0,1), (2,3), (4,5), (6,7) only. */
    CHECK_OK(ebm_sampler_get_swap_acceptance(pt, rates, 7));
    CHECK(!isnan(rates[0]) && isnan(rates[1]) && !isnan(rates[2]));
    CHECK_OK(ebm_sampler_run(pt, 1));
    CHECK_OK(ebm_sampler_get_swap_acceptance(pt, rates, 7));
    for (int k = 0; k < 7; k++) CHECK(rates[k] >= 0.0 && rates[k] <= 1.0);
    CHECK_FAILS(ebm_sampler_get_swap_acceptance(pt, rates, 8), EBM_ERR_LENGTH_MISMATCH,
                "ebm_sampler_get_swap_acceptance", "len");
    CHECK_FAILS(ebm_sampler_get_temperatures(pt, t, -1, &k), EBM_ERR_INVALID_ARGUMENT,
                "ebm_sampler_get_temperatures", "capacity");
    CHECK_FAILS(ebm_sampler_get_temperatures(pt, NULL, 8, &k), EBM_ERR_NULL_POINTER, "ebm_sampler_get_temperatures",
                "temperatures_out");
    CHECK_FAILS(ebm_sampler_get_temperatures(pt, t, 8, NULL), EBM_ERR_NULL_POINTER, "ebm_sampler_get_temperatures",
                "length_out");
    CHECK_FAILS(ebm_sampler_get_temperatures(inner, t, 8, &k), EBM_ERR_INVALID_ARGUMENT,
                "ebm_sampler_get_temperatures", "replica-exchange");
    ebm_sampler *nested = NULL;
    CHECK_FAILS(ebm_parallel_tempering_new(pt, &p, &nested), EBM_ERR_INVALID_ARGUMENT, "ebm_parallel_tempering_new",
                "inner");
    ebm_sampler_free(pt);
    ebm_sampler_free(inner);
    ebm_energy_free(e);
}

/* An explicit ladder multiplies the inner sampler's temperature. */
static void test_explicit_ladder(void) {
    ebm_energy *e = NULL;
    CHECK_OK(ebm_energy_harmonic_new(1.0, &e));
    ebm_hmc_params h = ebm_hmc_default_params();
    h.temperature = 2.0;
    ebm_sampler *inner = NULL, *pt = NULL;
    CHECK_OK(ebm_hmc_new(e, &h, &inner));
    double ladder[3] = {1.0, 2.0, 5.0}, t[3];
    int64_t k = 0;
    ebm_tempering_params p = ebm_tempering_default_params();
    p.temperatures = ladder;
    p.temperatures_len = 3;
    p.swap_interval = 4;
    CHECK_OK(ebm_parallel_tempering_new(inner, &p, &pt));
    CHECK_OK(ebm_sampler_get_temperatures(pt, t, 3, &k));
    CHECK(k == 3);
    CHECK(t[0] == 2.0 && t[1] == 4.0 && t[2] == 10.0);
    ebm_sampler_free(pt);
    ebm_sampler_free(inner);
    ebm_energy_free(e);
}

static void test_bad_parameters(void) {
    ebm_energy *e = NULL;
    ebm_sampler *inner = inner_mala(&e), *pt = NULL;
    ebm_tempering_params p = ebm_tempering_default_params();
#define f "ebm_parallel_tempering_new"
    p.n_temperatures = 1;
    CHECK_FAILS(ebm_parallel_tempering_new(inner, &p, &pt), EBM_ERR_INVALID_ARGUMENT, f, "params.n_temperatures");
    p.n_temperatures = EBM_TEMPERING_MAX_REPLICAS + 1;
    CHECK_FAILS(ebm_parallel_tempering_new(inner, &p, &pt), EBM_ERR_INVALID_ARGUMENT, f, "params.n_temperatures");
    p.n_temperatures = INT64_MAX;
    CHECK_FAILS(ebm_parallel_tempering_new(inner, &p, &pt), EBM_ERR_INVALID_ARGUMENT, f, "params.n_temperatures");
    /* 65536 chains of dim 64 (32 MiB per array) fit once, not 1024 times (about 256 GiB with
     * the step's arrays): refused before anything is allocated. */
    p.n_temperatures = EBM_TEMPERING_MAX_REPLICAS;
    CHECK_OK(ebm_parallel_tempering_new(inner, &p, &pt));
    CHECK_FAILS(ebm_sampler_init_f64(pt, NULL, (int64_t)1 << 16, 64), EBM_ERR_OUT_OF_MEMORY, "ebm_sampler_init_f64",
                "n");
    ebm_sampler_free(pt);
    pt = NULL;
    p = ebm_tempering_default_params();
    p.max_temperature = 1.0;
    CHECK_FAILS(ebm_parallel_tempering_new(inner, &p, &pt), EBM_ERR_INVALID_ARGUMENT, f, "params.max_temperature");
    p.max_temperature = INFINITY;
    CHECK_FAILS(ebm_parallel_tempering_new(inner, &p, &pt), EBM_ERR_NON_FINITE, f, "params.max_temperature");
    p = ebm_tempering_default_params();
    p.swap_interval = 0;
    CHECK_FAILS(ebm_parallel_tempering_new(inner, &p, &pt), EBM_ERR_INVALID_ARGUMENT, f, "params.swap_interval");
    p = ebm_tempering_default_params();
    p.temperatures_len = 3;
    CHECK_FAILS(ebm_parallel_tempering_new(inner, &p, &pt), EBM_ERR_NULL_POINTER, f, "params.temperatures");
    double not_one[2] = {2.0, 3.0}, decreasing[3] = {1.0, 3.0, 2.0};
    p.temperatures = not_one;
    p.temperatures_len = 2;
    CHECK_FAILS(ebm_parallel_tempering_new(inner, &p, &pt), EBM_ERR_INVALID_ARGUMENT, f, "params.temperatures");
    p.temperatures = decreasing;
    p.temperatures_len = 3;
    CHECK_FAILS(ebm_parallel_tempering_new(inner, &p, &pt), EBM_ERR_INVALID_ARGUMENT, f, "params.temperatures");
    p.temperatures_len = 1;
    CHECK_FAILS(ebm_parallel_tempering_new(inner, &p, &pt), EBM_ERR_INVALID_ARGUMENT, f, "params.temperatures");
    p = ebm_tempering_default_params();
    p.struct_size = 8;
    CHECK_FAILS(ebm_parallel_tempering_new(inner, &p, &pt), EBM_ERR_INVALID_ARGUMENT, f, "params.struct_size");
    p = ebm_tempering_default_params();
    CHECK_FAILS(ebm_parallel_tempering_new(NULL, &p, &pt), EBM_ERR_NULL_POINTER, f, "inner");
    CHECK_FAILS(ebm_parallel_tempering_new(inner, NULL, &pt), EBM_ERR_NULL_POINTER, f, "params");
    CHECK_FAILS(ebm_parallel_tempering_new(inner, &p, NULL), EBM_ERR_NULL_POINTER, f, "out");
    CHECK(pt == NULL);
#undef f
    ebm_sampler_free(inner);
    ebm_energy_free(e);
}

int main(void) {
    RUN(test_defaults_and_diagnostics);
    RUN(test_explicit_ladder);
    RUN(test_bad_parameters);
    return CHECK_RESULT();
}
