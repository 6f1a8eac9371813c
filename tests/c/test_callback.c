/* User-defined energies from C callbacks: values, gradients (given or by finite differences),
 * failures, and the lifetime of user_data. */
#include <stdlib.h>

#include "check.h"

typedef struct {
    double stiffness;
    int energy_calls;
    int gradient_calls;
    int freed;
    int fail_with; /* nonzero: the callbacks return this */
} spring;

/* E(x) = k/2 |x|^2 + sum_i sin(x_i), grad = k x + cos(x). */
static int32_t spring_energy(const double *x, int64_t n, int64_t dim, double *energy_out, void *user_data) {
    spring *s = user_data;
    s->energy_calls++;
    if (s->fail_with) {
        ebm_callback_set_error("the spring snapped");
        return s->fail_with;
    }
    for (int64_t i = 0; i < n; i++) {
        double e = 0;
        for (int64_t j = 0; j < dim; j++) {
            double v = x[i * dim + j];
            e += 0.5 * s->stiffness * v * v + sin(v);
        }
        energy_out[i] = e;
    }
    return 0;
}

static int32_t spring_gradient(const double *x, int64_t n, int64_t dim, double *energy_out, double *gradient_out,
                               void *user_data) {
    spring *s = user_data;
    s->gradient_calls++;
    if (s->fail_with) return s->fail_with; /* no message: the error says only the code */
    s->energy_calls--; /* the energy part below is not a call of energy_fn */
    spring_energy(x, n, dim, energy_out, user_data);
    for (int64_t k = 0; k < n * dim; k++) gradient_out[k] = s->stiffness * x[k] + cos(x[k]);
    return 0;
}

static void release_spring(void *user_data) { ((spring *)user_data)->freed++; }

static void with_gradient_callback(void) {
    spring s = {2.0, 0, 0, 0, 0};
    ebm_energy *e = NULL;
    CHECK_OK(ebm_energy_callback_new(3, spring_energy, spring_gradient, &s, release_spring, &e));
    CHECK(strcmp(ebm_energy_name(e), "callback") == 0);
    int64_t dim = 0;
    CHECK_OK(ebm_energy_dim(e, &dim));
    CHECK(dim == 3);
    double x[6] = {0.1, -0.2, 0.3, 1, 2, 3}, energies[2], gradients[6];
    CHECK_OK(ebm_energy_eval_and_gradient_f64(e, x, 2, 3, energies, gradients));
    CHECK(s.gradient_calls == 1 && s.energy_calls == 0);
    CHECK_NEAR(energies[1], 14 + sin(1) + sin(2) + sin(3), 1e-14);
    for (int k = 0; k < 6; k++) CHECK(gradients[k] == 2.0 * x[k] + cos(x[k]));
    CHECK_OK(ebm_energy_eval_f64(e, x, 2, 3, energies));
    CHECK(s.energy_calls == 1);
    ebm_energy_free(e);
    CHECK(s.freed == 1);
}

static void without_gradient_callback_uses_finite_differences(void) {
    spring s = {0.5, 0, 0, 0, 0};
    ebm_energy *e = NULL;
    CHECK_OK(ebm_energy_callback_new(2, spring_energy, NULL, &s, NULL, &e));
    double x[8] = {0.1, -0.2, 1.5, 2.5, -3, 0, 7, -11}, gradients[8], energies[4];
    CHECK_OK(ebm_energy_eval_and_gradient_f64(e, x, 4, 2, energies, gradients));
    CHECK(s.energy_calls == 1); /* all probes in one batched call */
    for (int k = 0; k < 8; k++) CHECK_NEAR(gradients[k], 0.5 * x[k] + cos(x[k]), 1e-10);
    float xf[8], gf[8];
    for (int k = 0; k < 8; k++) xf[k] = (float)x[k];
    CHECK_OK(ebm_energy_gradient_f32(e, xf, 4, 2, gf));
    for (int k = 0; k < 8; k++) CHECK_NEAR(gf[k], 0.5 * xf[k] + cos(xf[k]), 1e-5);
    ebm_energy_free(e);
    CHECK(s.freed == 0); /* no free function was given */
}

static void callback_reports_failure(void) {
    spring s = {1, 0, 0, 0, 3};
    ebm_energy *e = NULL;
    CHECK_OK(ebm_energy_callback_new(2, spring_energy, spring_gradient, &s, release_spring, &e));
    double x[2] = {0, 0}, energy[1], gradient[2];
    CHECK_FAILS(ebm_energy_eval_f64(e, x, 1, 2, energy), EBM_ERR_CALLBACK, "ebm_energy_eval_f64",
                "energy_fn: callback returned 3 (the spring snapped)");
    CHECK_FAILS(ebm_energy_gradient_f64(e, x, 1, 2, gradient), EBM_ERR_CALLBACK, "ebm_energy_gradient_f64",
                "gradient_fn: callback returned 3");
    CHECK(strstr(ebm_last_error_message(), "snapped") == NULL); /* the message does not leak between calls */
    s.fail_with = 0;
    CHECK_OK(ebm_energy_eval_f64(e, x, 1, 2, energy));
    ebm_energy_free(e);
    CHECK(s.freed == 1);
}

static void finite_differences_report_callback_failure(void) {
    spring s = {1, 0, 0, 0, -1};
    ebm_energy *e = NULL;
    CHECK_OK(ebm_energy_callback_new(2, spring_energy, NULL, &s, NULL, &e));
    double x[2] = {0, 0}, gradient[2];
    CHECK_FAILS(ebm_energy_gradient_f64(e, x, 1, 2, gradient), EBM_ERR_CALLBACK, "ebm_energy_gradient_f64",
                "energy_fn: callback returned -1");
    ebm_energy_free(e);
}

static void bad_constructor_arguments_leave_user_data_alone(void) {
    spring s = {1, 0, 0, 0, 0};
    ebm_energy *out = (ebm_energy *)&s;
    CHECK_FAILS(ebm_energy_callback_new(2, NULL, spring_gradient, &s, release_spring, &out), EBM_ERR_NULL_POINTER,
                "ebm_energy_callback_new", "energy_fn");
    CHECK_FAILS(ebm_energy_callback_new(0, spring_energy, NULL, &s, release_spring, &out), EBM_ERR_INVALID_ARGUMENT,
                "ebm_energy_callback_new", "dim");
    CHECK_FAILS(ebm_energy_callback_new(2, spring_energy, NULL, &s, release_spring, NULL), EBM_ERR_NULL_POINTER,
                "ebm_energy_callback_new", "out");
    CHECK(out == (ebm_energy *)&s);
    CHECK(s.freed == 0); /* on failure the caller keeps ownership of user_data */
}

static void user_data_lives_as_long_as_any_composite(void) {
    spring s = {1, 0, 0, 0, 0};
    ebm_energy *user = NULL, *harmonic = NULL, *sum = NULL;
    CHECK_OK(ebm_energy_callback_new(2, spring_energy, spring_gradient, &s, release_spring, &user));
    CHECK_OK(ebm_energy_harmonic_new(1, &harmonic));
    const ebm_energy *parts[2] = {user, harmonic};
    CHECK_OK(ebm_energy_composite_new(parts, 2, NULL, 0, &sum));
    ebm_energy_free(user);
    CHECK(s.freed == 0);
    double x[2] = {1, -1}, g[2];
    CHECK_OK(ebm_energy_gradient_f64(sum, x, 1, 2, g));
    CHECK_NEAR(g[0], 2 * 1 + cos(1), 1e-15);
    ebm_energy_free(sum);
    CHECK(s.freed == 1);
    ebm_energy_free(harmonic);
    CHECK(s.freed == 1);
}

int main(void) {
    RUN(with_gradient_callback);
    RUN(without_gradient_callback_uses_finite_differences);
    RUN(callback_reports_failure);
    RUN(finite_differences_report_callback_failure);
    RUN(bad_constructor_arguments_leave_user_data_alone);
    RUN(user_data_lives_as_long_as_any_composite);
    return CHECK_RESULT();
}
