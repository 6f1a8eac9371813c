/* Hessian-vector products ebm_energy_hvp_f32/_f64: exact values for a Gaussian (H = Σ⁻¹) and
 * a double well (H = diag(4a(3x_i² − b))), the optional energy and gradient outputs, and
 * every error code. */
#include "check.h"

static int32_t square_energy(const double *x, int64_t n, int64_t dim, double *energy_out,
                             void *user_data) {
    (void)user_data;
    for (int64_t i = 0; i < n; i++) {
        energy_out[i] = 0;
        for (int64_t j = 0; j < dim; j++) energy_out[i] += x[i * dim + j] * x[i * dim + j];
    }
    return 0;
}

static void gaussian_is_exact(void) {
    /* cov = [[1, 0.5], [0.5, 2]]: precision = [[2, -0.5], [-0.5, 1]] / 1.75. */
    double mean[2] = {1, -2}, cov[4] = {1, 0.5, 0.5, 2};
    ebm_energy *e = NULL;
    CHECK_OK(ebm_energy_gaussian_new(mean, cov, 2, &e));
    double x[4] = {2, -2, 0.3, 4}, v[4] = {1, 0, -1, 3};
    double hv[4], energy[2], gradient[4];
    CHECK_OK(ebm_energy_hvp_f64(e, x, v, 2, 2, hv, energy, gradient));
    double want[4] = {2 / 1.75, -0.5 / 1.75, (-2 - 1.5) / 1.75, (0.5 + 3) / 1.75};
    for (int i = 0; i < 4; i++) CHECK_NEAR(hv[i], want[i], 1e-15);
    CHECK_NEAR(energy[0], 1 / 1.75, 1e-15);
    CHECK_NEAR(gradient[0], 2 / 1.75, 1e-15);
    CHECK_NEAR(gradient[1], -0.5 / 1.75, 1e-15);
    /* Energy and gradient outputs are optional. */
    double hv_only[4];
    CHECK_OK(ebm_energy_hvp_f64(e, x, v, 2, 2, hv_only, NULL, NULL));
    for (int i = 0; i < 4; i++) CHECK(hv_only[i] == hv[i]);
    float x32[4], v32[4], hv32[4];
    for (int i = 0; i < 4; i++) x32[i] = (float)x[i], v32[i] = (float)v[i];
    CHECK_OK(ebm_energy_hvp_f32(e, x32, v32, 2, 2, hv32, NULL, NULL));
    for (int i = 0; i < 4; i++) CHECK_NEAR(hv32[i], want[i], 1e-6);
    /* v may be x itself. */
    CHECK_OK(ebm_energy_hvp_f64(e, x, x, 2, 2, hv, NULL, NULL));
    CHECK_NEAR(hv[0], (2 * 2 - 0.5 * -2) / 1.75, 1e-15);
    ebm_energy_free(e);
}

static void double_well_closed_form(void) {
    double a = 1.5, b = 2;
    ebm_energy *e = NULL;
    CHECK_OK(ebm_energy_double_well_new(a, b, &e));
    double x[3] = {0.5, -1.25, 2}, v[3] = {1, -2, 0.25}, hv[3], energy[1], gradient[3];
    CHECK_OK(ebm_energy_hvp_f64(e, x, v, 1, 3, hv, energy, gradient));
    double want_e = 0;
    for (int j = 0; j < 3; j++) {
        double well = x[j] * x[j] - b;
        want_e += a * well * well;
        CHECK_NEAR(hv[j], 4 * a * (3 * x[j] * x[j] - b) * v[j], 1e-13);
        CHECK_NEAR(gradient[j], 4 * a * x[j] * well, 1e-13);
    }
    CHECK_NEAR(energy[0], want_e, 1e-13);
    float x32[3], v32[3], hv32[3], e32[1];
    for (int j = 0; j < 3; j++) x32[j] = (float)x[j], v32[j] = (float)v[j];
    CHECK_OK(ebm_energy_hvp_f32(e, x32, v32, 1, 3, hv32, e32, NULL));
    for (int j = 0; j < 3; j++) CHECK_NEAR(hv32[j], hv[j], 1e-5 * fabs(hv[j]));
    ebm_energy_free(e);
}

#define F64 "ebm_energy_hvp_f64"

static void errors(void) {
    ebm_energy *e = NULL, *callback = NULL, *composite = NULL;
    CHECK_OK(ebm_energy_gaussian_new((double[]){0, 0}, (double[]){1, 0, 0, 1}, 2, &e));
    double x[4] = {1, 2, 3, 4}, v[4] = {1, 0, 0, 1}, hv[4], energy[2], gradient[4];

    CHECK_FAILS(ebm_energy_hvp_f64(NULL, x, v, 2, 2, hv, NULL, NULL), EBM_ERR_NULL_POINTER, F64, "energy");
    CHECK_FAILS(ebm_energy_hvp_f64(e, NULL, v, 2, 2, hv, NULL, NULL), EBM_ERR_NULL_POINTER, F64, "x");
    CHECK_FAILS(ebm_energy_hvp_f64(e, x, NULL, 2, 2, hv, NULL, NULL), EBM_ERR_NULL_POINTER, F64, "v");
    CHECK_FAILS(ebm_energy_hvp_f64(e, x, v, 2, 2, NULL, NULL, NULL), EBM_ERR_NULL_POINTER, F64, "hvp_out");
    CHECK_FAILS(ebm_energy_hvp_f32(NULL, NULL, NULL, 1, 2, NULL, NULL, NULL), EBM_ERR_NULL_POINTER,
                "ebm_energy_hvp_f32", "energy");
    CHECK_FAILS(ebm_energy_hvp_f64(e, x, v, -1, 2, hv, NULL, NULL), EBM_ERR_INVALID_ARGUMENT, F64, "n");
    CHECK_FAILS(ebm_energy_hvp_f64(e, x, v, 2, 0, hv, NULL, NULL), EBM_ERR_INVALID_ARGUMENT, F64, "dim");
    CHECK_FAILS(ebm_energy_hvp_f64(e, x, v, 1, 3, hv, NULL, NULL), EBM_ERR_DIMENSION_MISMATCH, F64, "dim");
    CHECK_FAILS(ebm_energy_hvp_f64(e, x, v, INT64_MAX, 2, hv, NULL, NULL), EBM_ERR_SIZE_OVERFLOW, F64, "n, dim");
    /* Outputs may not overlap the inputs or each other. */
    CHECK_FAILS(ebm_energy_hvp_f64(e, x, v, 2, 2, x, NULL, NULL), EBM_ERR_INVALID_ARGUMENT, F64, "overlaps");
    CHECK_FAILS(ebm_energy_hvp_f64(e, x, v, 2, 2, hv, NULL, v), EBM_ERR_INVALID_ARGUMENT, F64, "gradient_out");
    CHECK_FAILS(ebm_energy_hvp_f64(e, x, v, 2, 2, hv, hv + 1, NULL), EBM_ERR_INVALID_ARGUMENT, F64, "energy_out");
    CHECK_FAILS(ebm_energy_hvp_f64(e, x, v, 2, 2, (double *)((char *)hv + 1), NULL, NULL),
                EBM_ERR_INVALID_ARGUMENT, F64, "hvp_out");
    /* n = 0 does nothing, NULL buffers included. */
    CHECK_OK(ebm_energy_hvp_f64(e, NULL, NULL, 0, 2, NULL, NULL, NULL));
    CHECK_OK(ebm_energy_hvp_f64(e, x, v, 2, 2, hv, energy, gradient));
    /* Callback energies (and composites holding one) have no second derivatives. */
    CHECK_OK(ebm_energy_callback_new(2, square_energy, NULL, NULL, NULL, &callback));
    CHECK_FAILS(ebm_energy_hvp_f64(callback, x, v, 2, 2, hv, NULL, NULL), EBM_ERR_INVALID_ARGUMENT, F64,
                "energy: is a callback energy");
    CHECK(strstr(ebm_last_error_message(), "second derivatives") != NULL);
    CHECK_FAILS(ebm_energy_hvp_f64(callback, NULL, NULL, 0, 2, NULL, NULL, NULL), EBM_ERR_INVALID_ARGUMENT,
                F64, "energy");
    const ebm_energy *parts[2] = {e, callback};
    CHECK_OK(ebm_energy_composite_new(parts, 2, NULL, 0, &composite));
    float x32[4] = {1, 2, 3, 4}, hv32[4];
    CHECK_FAILS(ebm_energy_hvp_f32(composite, x32, x32, 2, 2, hv32, NULL, NULL), EBM_ERR_INVALID_ARGUMENT,
                "ebm_energy_hvp_f32", "energy");
    ebm_energy_free(composite);
    ebm_energy_free(callback);
    ebm_energy_free(e);
}

int main(void) {
    RUN(gaussian_is_exact);
    RUN(double_well_closed_form);
    RUN(errors);
    return CHECK_RESULT();
}
