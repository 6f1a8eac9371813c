/* Every energy constructor and evaluation function, in float and double, at points where the
 * values are known in closed form. */
#include <stdlib.h>

#include "check.h"

#define SQRT2 1.4142135623730951

/* Evaluates one point of dimension dim (<= 8) through all six evaluation functions and checks
 * the energy and gradient against the expected values. */
static void check_point(const ebm_energy *energy, const double *x, int64_t dim, double want_e,
                        const double *want_g, double tol) {
    double e64 = NAN, e64b = NAN, g64[8], g64b[8];
    float x32[8], e32 = NAN, e32b = NAN, g32[8], g32b[8];
    for (int64_t j = 0; j < dim; j++) x32[j] = (float)x[j];
    CHECK_OK(ebm_energy_eval_f64(energy, x, 1, dim, &e64));
    CHECK_OK(ebm_energy_gradient_f64(energy, x, 1, dim, g64));
    CHECK_OK(ebm_energy_eval_and_gradient_f64(energy, x, 1, dim, &e64b, g64b));
    CHECK_OK(ebm_energy_eval_f32(energy, x32, 1, dim, &e32));
    CHECK_OK(ebm_energy_gradient_f32(energy, x32, 1, dim, g32));
    CHECK_OK(ebm_energy_eval_and_gradient_f32(energy, x32, 1, dim, &e32b, g32b));
    double scale = fabs(want_e) > 1 ? fabs(want_e) : 1;
    CHECK_NEAR(e64, want_e, tol * scale);
    CHECK(e64b == e64);
    CHECK_NEAR(e32, want_e, 1e-5 * scale);
    CHECK(e32b == e32);
    for (int64_t j = 0; j < dim; j++) {
        double gscale = fabs(want_g[j]) > 1 ? fabs(want_g[j]) : 1;
        CHECK_NEAR(g64[j], want_g[j], tol * gscale);
        CHECK(g64b[j] == g64[j]);
        CHECK_NEAR(g32[j], want_g[j], 1e-4 * gscale);
        CHECK(g32b[j] == g32[j]);
    }
}

static void check_name_and_dim(const ebm_energy *energy, const char *name, int64_t dim) {
    const char *got = ebm_energy_name(energy);
    CHECK(got != NULL && strcmp(got, name) == 0);
    int64_t got_dim = -1;
    CHECK_OK(ebm_energy_dim(energy, &got_dim));
    CHECK(got_dim == dim);
}

static void gaussian(void) {
    double mean[2] = {1, -2}, cov[4] = {1, 0.5, 0.5, 2};
    ebm_energy *e = NULL;
    CHECK_OK(ebm_energy_gaussian_new(mean, cov, 2, &e));
    check_name_and_dim(e, "gaussian", 2);
    /* precision = [[2, -0.5], [-0.5, 1]] / 1.75 */
    double x[2] = {2, -2}, g[2] = {2 / 1.75, -0.5 / 1.75};
    check_point(e, x, 2, 1 / 1.75, g, 1e-14);
    double zero[2] = {0, 0};
    check_point(e, mean, 2, 0, zero, 0);
    ebm_energy_free(e);
}

static void double_well_with_specification_defaults(void) {
    ebm_energy *e = NULL;
    CHECK_OK(ebm_energy_double_well_new(EBM_DOUBLE_WELL_DEFAULT_A, EBM_DOUBLE_WELL_DEFAULT_B, &e));
    check_name_and_dim(e, "double_well", 0);
    double well[3] = {SQRT2, -SQRT2, SQRT2}, zero[3] = {0, 0, 0};
    check_point(e, well, 3, 0, zero, 1e-14);
    double x[1] = {1}, g[1] = {4 * 1 * (1 - 2)};
    check_point(e, x, 1, 1, g, 1e-15); /* a (x^2 - b)^2 = 1 at x = 1 */
    ebm_energy_free(e);
}

static void double_well_as_torchebm_parametrises_it(void) {
    /* TorchEBM 0.8.9's DoubleWellModel(barrier_height=2, b=1) = 2 (x^2 - 1)^2: a = 2, b = 1. */
    ebm_energy *e = NULL;
    CHECK_OK(ebm_energy_double_well_new(2.0, 1.0, &e));
    double x[2] = {0, 2}, g[2] = {0, 2 * 4 * 2 * 3};
    check_point(e, x, 2, 2 * 1 + 2 * 9, g, 1e-15);
    ebm_energy_free(e);
}

static void harmonic(void) {
    ebm_energy *e = NULL;
    CHECK_OK(ebm_energy_harmonic_new(3.0, &e));
    check_name_and_dim(e, "harmonic", 0);
    double x[3] = {1, -2, 0.5}, g[3] = {3, -6, 1.5};
    check_point(e, x, 3, 1.5 * 5.25, g, 1e-15);
    ebm_energy_free(e);
}

static void rosenbrock(void) {
    ebm_energy *e = NULL;
    CHECK_OK(ebm_energy_rosenbrock_new(EBM_ROSENBROCK_DEFAULT_A, EBM_ROSENBROCK_DEFAULT_B, &e));
    check_name_and_dim(e, "rosenbrock", 0);
    double minimum[3] = {1, 1, 1}, zero[3] = {0, 0, 0};
    check_point(e, minimum, 3, 0, zero, 0);
    double origin[2] = {0, 0}, g[2] = {-2, 0};
    check_point(e, origin, 2, 1, g, 1e-15);
    ebm_energy_free(e);
}

static void ackley(void) {
    ebm_energy *e = NULL;
    CHECK_OK(ebm_energy_ackley_new(EBM_ACKLEY_DEFAULT_A, EBM_ACKLEY_DEFAULT_B, EBM_ACKLEY_DEFAULT_C, &e));
    check_name_and_dim(e, "ackley", 0);
    double origin[2] = {0, 0}, zero[2] = {0, 0};
    check_point(e, origin, 2, 0, zero, 1e-14);
    /* At x = (1, 1): r = 1, cos(2 pi) = 1: E = -20 e^-0.2 - e + 20 + e. */
    double ones[2] = {1, 1}, g[2];
    double cone = 20 * 0.2 * exp(-0.2) / 2; /* a b e^{-b r} x_i / (d r), r = 1 */
    g[0] = g[1] = cone;                      /* the ripple term vanishes: sin(2 pi) = 0 */
    check_point(e, ones, 2, 20 - 20 * exp(-0.2), g, 1e-12);
    ebm_energy_free(e);
}

static void rastrigin(void) {
    ebm_energy *e = NULL;
    CHECK_OK(ebm_energy_rastrigin_new(EBM_RASTRIGIN_DEFAULT_A, &e));
    check_name_and_dim(e, "rastrigin", 0);
    double x[2] = {0, 0.5}, g[2] = {0, 1};
    check_point(e, x, 2, 20 + (0 - 10) + (0.25 + 10), g, 1e-13);
    ebm_energy_free(e);
}

static void himmelblau_and_booth(void) {
    ebm_energy *h = NULL, *b = NULL;
    CHECK_OK(ebm_energy_himmelblau_new(&h));
    CHECK_OK(ebm_energy_booth_new(&b));
    check_name_and_dim(h, "himmelblau", 2);
    check_name_and_dim(b, "booth", 2);
    double minimum[2] = {3, 2}, zero[2] = {0, 0};
    check_point(h, minimum, 2, 0, zero, 0);
    double origin[2] = {0, 0}, gh[2] = {-14, -22};
    check_point(h, origin, 2, 121 + 49, gh, 1e-15);
    double booth_min[2] = {1, 3}, gb[2] = {-34, -38};
    check_point(b, booth_min, 2, 0, zero, 0);
    check_point(b, origin, 2, 49 + 25, gb, 1e-15);
    ebm_energy_free(h);
    ebm_energy_free(b);
}

static void styblinski_tang(void) {
    ebm_energy *e = NULL;
    CHECK_OK(ebm_energy_styblinski_tang_new(&e));
    check_name_and_dim(e, "styblinski_tang", 0);
    double x[2] = {0, 1}, g[2] = {2.5, 2 - 16 + 2.5};
    check_point(e, x, 2, 0.5 * (1 - 16 + 5), g, 1e-15);
    ebm_energy_free(e);
}

static void gaussian_mixture(void) {
    /* Two unit Gaussians in 1-D at -1 and +1 with weights 1:3 (normalised to 1/4, 3/4). */
    double weights[2] = {1, 3}, means[2] = {-1, 1}, covs[2] = {1, 1};
    ebm_energy *e = NULL;
    CHECK_OK(ebm_energy_gaussian_mixture_new(weights, means, covs, 2, 1, &e));
    check_name_and_dim(e, "gaussian_mixture", 1);
    double x[1] = {0.5};
    double p1 = 0.25 * exp(-0.5 * 1.5 * 1.5), p2 = 0.75 * exp(-0.5 * 0.5 * 0.5);
    double norm = sqrt(2 * 3.14159265358979323846);
    double want_e = -log((p1 + p2) / norm);
    double g[1] = {(p1 * 1.5 + p2 * -0.5) / (p1 + p2)};
    check_point(e, x, 1, want_e, g, 1e-14);
    ebm_energy_free(e);
}

static void composite_sums_with_weights_and_nests(void) {
    ebm_energy *dw = NULL, *harmonic = NULL, *inner = NULL, *outer = NULL, *plain = NULL;
    CHECK_OK(ebm_energy_double_well_new(1, 2, &dw));
    CHECK_OK(ebm_energy_harmonic_new(1, &harmonic));
    const ebm_energy *pair[2] = {dw, harmonic};
    CHECK_OK(ebm_energy_composite_new(pair, 2, NULL, 0, &plain));
    check_name_and_dim(plain, "composite", 0);
    double x[2] = {1, 0};
    /* dw: (1-2)^2 + (0-2)^2 = 5, grad (-4, 0); harmonic: 0.5, grad (1, 0) */
    double g_plain[2] = {-3, 0};
    check_point(plain, x, 2, 5.5, g_plain, 1e-15);

    double w_inner[1] = {2};
    const ebm_energy *just_dw[1] = {dw};
    CHECK_OK(ebm_energy_composite_new(just_dw, 1, w_inner, 1, &inner));
    const ebm_energy *nested[2] = {inner, harmonic};
    double w_outer[2] = {0.5, -4};
    CHECK_OK(ebm_energy_composite_new(nested, 2, w_outer, 2, &outer));
    double g_outer[2] = {0.5 * 2 * -4 - 4 * 1, 0};
    check_point(outer, x, 2, 0.5 * 2 * 5 - 4 * 0.5, g_outer, 1e-15);

    /* Parts may be freed before the composites that use them. */
    ebm_energy_free(dw);
    ebm_energy_free(harmonic);
    ebm_energy_free(inner);
    check_point(outer, x, 2, 0.5 * 2 * 5 - 4 * 0.5, g_outer, 1e-15);
    ebm_energy_free(outer);
    ebm_energy_free(plain);
}

static void batches_small_and_large_agree(void) {
    /* A 32-D Gaussian: 2000 points go through libtorch's BLAS, their first 4 through the host
     * kernel. */
    enum { N = 2000, DIM = 32, SMALL = 4 };
    double mean[DIM], cov[DIM * DIM];
    for (int i = 0; i < DIM; i++) {
        mean[i] = 0.1 * i;
        for (int j = 0; j < DIM; j++) cov[i * DIM + j] = (i == j ? 2.0 : 0.0) + (abs(i - j) == 1 ? 0.5 : 0.0);
    }
    ebm_energy *g = NULL;
    CHECK_OK(ebm_energy_gaussian_new(mean, cov, DIM, &g));
    double *x = malloc(sizeof(double) * N * DIM), *e = malloc(sizeof(double) * N), *grad = malloc(sizeof(double) * N * DIM);
    float *x32 = malloc(sizeof(float) * N * DIM), *e32 = malloc(sizeof(float) * N);
    for (int i = 0; i < N * DIM; i++) x32[i] = (float)(x[i] = sin(0.37 * i) * 3);
    CHECK_OK(ebm_energy_eval_and_gradient_f64(g, x, N, DIM, e, grad));
    CHECK_OK(ebm_energy_eval_f32(g, x32, N, DIM, e32));
    double e_small[SMALL], g_small[SMALL * DIM];
    CHECK_OK(ebm_energy_eval_and_gradient_f64(g, x, SMALL, DIM, e_small, g_small));
    for (int i = 0; i < SMALL; i++) {
        CHECK_NEAR(e_small[i], e[i], 1e-13 * (1 + fabs(e[i])));
        CHECK_NEAR(e32[i], e[i], 1e-5 * (1 + fabs(e[i])));
    }
    for (int i = 0; i < SMALL * DIM; i++) CHECK_NEAR(g_small[i], grad[i], 1e-13 * (1 + fabs(grad[i])));
    CHECK_NEAR(e32[N - 1], e[N - 1], 1e-5 * (1 + fabs(e[N - 1])));
    free(x), free(e), free(grad), free(x32), free(e32);
    ebm_energy_free(g);
}

static void zero_points_touch_nothing(void) {
    ebm_energy *e = NULL;
    CHECK_OK(ebm_energy_booth_new(&e));
    CHECK_OK(ebm_energy_eval_f64(e, NULL, 0, 2, NULL));
    CHECK_OK(ebm_energy_gradient_f32(e, NULL, 0, 2, NULL));
    CHECK_OK(ebm_energy_eval_and_gradient_f64(e, NULL, 0, 2, NULL, NULL));
    ebm_energy_free(e);
}

static void free_accepts_null(void) {
    ebm_energy_free(NULL);
    CHECK(ebm_energy_name(NULL) == NULL);
}

int main(void) {
    RUN(gaussian);
    RUN(double_well_with_specification_defaults);
    RUN(double_well_as_torchebm_parametrises_it);
    RUN(harmonic);
    RUN(rosenbrock);
    RUN(ackley);
    RUN(rastrigin);
    RUN(himmelblau_and_booth);
    RUN(styblinski_tang);
    RUN(gaussian_mixture);
    RUN(composite_sums_with_weights_and_nests);
    RUN(batches_small_and_large_agree);
    RUN(zero_points_touch_nothing);
    RUN(free_accepts_null);
    return CHECK_RESULT();
}
