/* Bad input, one test per case: each gets its own status and a message naming the function
 * and the argument, and nothing is written through out-pointers. */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

/* A recognisable non-NULL value: *out must keep it when a constructor fails. */
#define SENTINEL ((ebm_energy *)(uintptr_t)0x5e5e)

static ebm_energy *double_well(void) {
    ebm_energy *e = NULL;
    CHECK_OK(ebm_energy_double_well_new(1, 2, &e));
    return e;
}

static ebm_energy *gaussian_2d(void) {
    double mean[2] = {0, 0}, cov[4] = {1, 0, 0, 1};
    ebm_energy *e = NULL;
    CHECK_OK(ebm_energy_gaussian_new(mean, cov, 2, &e));
    return e;
}

static void null_energy_handle(void) {
    double x[2] = {0, 0}, e[1], g[2];
    float xf[2] = {0, 0}, ef[1], gf[2];
    CHECK_FAILS(ebm_energy_eval_f64(NULL, x, 1, 2, e), EBM_ERR_NULL_POINTER, "ebm_energy_eval_f64", "energy");
    CHECK_FAILS(ebm_energy_eval_f32(NULL, xf, 1, 2, ef), EBM_ERR_NULL_POINTER, "ebm_energy_eval_f32", "energy");
    CHECK_FAILS(ebm_energy_gradient_f64(NULL, x, 1, 2, g), EBM_ERR_NULL_POINTER, "ebm_energy_gradient_f64", "energy");
    CHECK_FAILS(ebm_energy_gradient_f32(NULL, xf, 1, 2, gf), EBM_ERR_NULL_POINTER, "ebm_energy_gradient_f32",
                "energy");
    CHECK_FAILS(ebm_energy_eval_and_gradient_f64(NULL, x, 1, 2, e, g), EBM_ERR_NULL_POINTER,
                "ebm_energy_eval_and_gradient_f64", "energy");
    CHECK_FAILS(ebm_energy_eval_and_gradient_f32(NULL, xf, 1, 2, ef, gf), EBM_ERR_NULL_POINTER,
                "ebm_energy_eval_and_gradient_f32", "energy");
    int64_t dim;
    int32_t device;
    CHECK_FAILS(ebm_energy_dim(NULL, &dim), EBM_ERR_NULL_POINTER, "ebm_energy_dim", "energy");
    CHECK_FAILS(ebm_energy_get_device(NULL, &device), EBM_ERR_NULL_POINTER, "ebm_energy_get_device", "energy");
    CHECK_FAILS(ebm_energy_set_device(NULL, EBM_DEVICE_CPU), EBM_ERR_NULL_POINTER, "ebm_energy_set_device", "energy");
}

static void null_buffers(void) {
    ebm_energy *dw = double_well();
    double x[2] = {0, 0}, e[1], g[2];
    CHECK_FAILS(ebm_energy_eval_f64(dw, NULL, 1, 2, e), EBM_ERR_NULL_POINTER, "ebm_energy_eval_f64", "x");
    CHECK_FAILS(ebm_energy_eval_f64(dw, x, 1, 2, NULL), EBM_ERR_NULL_POINTER, "ebm_energy_eval_f64", "energy_out");
    CHECK_FAILS(ebm_energy_gradient_f64(dw, x, 1, 2, NULL), EBM_ERR_NULL_POINTER, "ebm_energy_gradient_f64",
                "gradient_out");
    CHECK_FAILS(ebm_energy_eval_and_gradient_f64(dw, x, 1, 2, e, NULL), EBM_ERR_NULL_POINTER,
                "ebm_energy_eval_and_gradient_f64", "gradient_out");
    CHECK_FAILS(ebm_energy_eval_and_gradient_f64(dw, x, 1, 2, NULL, g), EBM_ERR_NULL_POINTER,
                "ebm_energy_eval_and_gradient_f64", "energy_out");
    int64_t *no_dim = NULL;
    int32_t *no_device = NULL;
    CHECK_FAILS(ebm_energy_dim(dw, no_dim), EBM_ERR_NULL_POINTER, "ebm_energy_dim", "dim_out");
    CHECK_FAILS(ebm_energy_get_device(dw, no_device), EBM_ERR_NULL_POINTER, "ebm_energy_get_device", "device_out");
    ebm_energy_free(dw);
}

static void null_out_pointer_in_constructors(void) {
    double mean[1] = {0}, cov[1] = {1}, w[1] = {1};
    CHECK_FAILS(ebm_energy_gaussian_new(mean, cov, 1, NULL), EBM_ERR_NULL_POINTER, "ebm_energy_gaussian_new", "out");
    CHECK_FAILS(ebm_energy_double_well_new(1, 2, NULL), EBM_ERR_NULL_POINTER, "ebm_energy_double_well_new", "out");
    CHECK_FAILS(ebm_energy_harmonic_new(1, NULL), EBM_ERR_NULL_POINTER, "ebm_energy_harmonic_new", "out");
    CHECK_FAILS(ebm_energy_rosenbrock_new(1, 100, NULL), EBM_ERR_NULL_POINTER, "ebm_energy_rosenbrock_new", "out");
    CHECK_FAILS(ebm_energy_ackley_new(20, 0.2, 6.28, NULL), EBM_ERR_NULL_POINTER, "ebm_energy_ackley_new", "out");
    CHECK_FAILS(ebm_energy_rastrigin_new(10, NULL), EBM_ERR_NULL_POINTER, "ebm_energy_rastrigin_new", "out");
    CHECK_FAILS(ebm_energy_himmelblau_new(NULL), EBM_ERR_NULL_POINTER, "ebm_energy_himmelblau_new", "out");
    CHECK_FAILS(ebm_energy_booth_new(NULL), EBM_ERR_NULL_POINTER, "ebm_energy_booth_new", "out");
    CHECK_FAILS(ebm_energy_styblinski_tang_new(NULL), EBM_ERR_NULL_POINTER, "ebm_energy_styblinski_tang_new", "out");
    CHECK_FAILS(ebm_energy_gaussian_mixture_new(w, mean, cov, 1, 1, NULL), EBM_ERR_NULL_POINTER,
                "ebm_energy_gaussian_mixture_new", "out");
    ebm_energy *dw = double_well();
    const ebm_energy *parts[1] = {dw};
    CHECK_FAILS(ebm_energy_composite_new(parts, 1, NULL, 0, NULL), EBM_ERR_NULL_POINTER, "ebm_energy_composite_new",
                "out");
    ebm_energy_free(dw);
}

static void null_parameter_arrays(void) {
    double mean[2] = {0, 0}, cov[4] = {1, 0, 0, 1}, w[1] = {1};
    ebm_energy *out = SENTINEL;
    CHECK_FAILS(ebm_energy_gaussian_new(NULL, cov, 2, &out), EBM_ERR_NULL_POINTER, "ebm_energy_gaussian_new", "mean");
    CHECK_FAILS(ebm_energy_gaussian_new(mean, NULL, 2, &out), EBM_ERR_NULL_POINTER, "ebm_energy_gaussian_new", "cov");
    CHECK_FAILS(ebm_energy_gaussian_mixture_new(NULL, mean, cov, 1, 2, &out), EBM_ERR_NULL_POINTER,
                "ebm_energy_gaussian_mixture_new", "weights");
    CHECK_FAILS(ebm_energy_gaussian_mixture_new(w, NULL, cov, 1, 2, &out), EBM_ERR_NULL_POINTER,
                "ebm_energy_gaussian_mixture_new", "means");
    CHECK_FAILS(ebm_energy_gaussian_mixture_new(w, mean, NULL, 1, 2, &out), EBM_ERR_NULL_POINTER,
                "ebm_energy_gaussian_mixture_new", "covs");
    CHECK(out == SENTINEL);
}

static void negative_point_count(void) {
    ebm_energy *dw = double_well();
    double x[2] = {0, 0}, e[1], g[2];
    CHECK_FAILS(ebm_energy_eval_f64(dw, x, -1, 2, e), EBM_ERR_INVALID_ARGUMENT, "ebm_energy_eval_f64", "n");
    CHECK_FAILS(ebm_energy_gradient_f64(dw, x, -5, 2, g), EBM_ERR_INVALID_ARGUMENT, "ebm_energy_gradient_f64", "n");
    ebm_energy_free(dw);
}

static void non_positive_dimension(void) {
    ebm_energy *dw = double_well(), *out = SENTINEL;
    double x[2] = {0, 0}, e[1], one[1] = {1};
    CHECK_FAILS(ebm_energy_eval_f64(dw, x, 1, 0, e), EBM_ERR_INVALID_ARGUMENT, "ebm_energy_eval_f64", "dim");
    CHECK_FAILS(ebm_energy_eval_f64(dw, x, 1, -2, e), EBM_ERR_INVALID_ARGUMENT, "ebm_energy_eval_f64", "dim");
    CHECK_FAILS(ebm_energy_gaussian_new(one, one, 0, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_energy_gaussian_new", "dim");
    CHECK_FAILS(ebm_energy_gaussian_mixture_new(one, one, one, 1, 0, &out), EBM_ERR_INVALID_ARGUMENT,
                "ebm_energy_gaussian_mixture_new", "dim");
    CHECK_FAILS(ebm_energy_gaussian_mixture_new(one, one, one, 0, 1, &out), EBM_ERR_INVALID_ARGUMENT,
                "ebm_energy_gaussian_mixture_new", "n_components");
    CHECK(out == SENTINEL);
    ebm_energy_free(dw);
}

static void overflowing_sizes(void) {
    ebm_energy *dw = double_well(), *out = SENTINEL;
    double x[2] = {0, 0}, e[1], one[1] = {1};
    CHECK_FAILS(ebm_energy_eval_f64(dw, x, INT64_MAX / 2, 4, e), EBM_ERR_SIZE_OVERFLOW, "ebm_energy_eval_f64", "n, dim");
    /* n * dim fits in 64 bits but not once multiplied by sizeof(double). */
    CHECK_FAILS(ebm_energy_gradient_f64(dw, x, (int64_t)1 << 31, (int64_t)1 << 30, x), EBM_ERR_SIZE_OVERFLOW,
                "ebm_energy_gradient_f64", "n, dim");
    CHECK_FAILS(ebm_energy_gaussian_new(one, one, (int64_t)1 << 40, &out), EBM_ERR_SIZE_OVERFLOW,
                "ebm_energy_gaussian_new", "dim");
    CHECK(out == SENTINEL);
    ebm_energy_free(dw);
}

static void dimension_not_accepted_by_the_energy(void) {
    ebm_energy *gauss = gaussian_2d(), *himmelblau = NULL, *rosenbrock = NULL;
    CHECK_OK(ebm_energy_himmelblau_new(&himmelblau));
    CHECK_OK(ebm_energy_rosenbrock_new(1, 100, &rosenbrock));
    double x[3] = {0, 0, 0}, e[1];
    CHECK_FAILS(ebm_energy_eval_f64(gauss, x, 1, 3, e), EBM_ERR_DIMENSION_MISMATCH, "ebm_energy_eval_f64",
                "energy 'gaussian' needs dim 2, got dim 3");
    CHECK_FAILS(ebm_energy_eval_f64(himmelblau, x, 1, 3, e), EBM_ERR_DIMENSION_MISMATCH, "ebm_energy_eval_f64",
                "dim");
    CHECK_FAILS(ebm_energy_eval_f64(rosenbrock, x, 1, 1, e), EBM_ERR_DIMENSION_MISMATCH, "ebm_energy_eval_f64",
                "needs dim >= 2");
    ebm_energy_free(gauss), ebm_energy_free(himmelblau), ebm_energy_free(rosenbrock);
}

static void non_finite_parameters(void) {
    ebm_energy *out = SENTINEL;
    CHECK_FAILS(ebm_energy_double_well_new(NAN, 2, &out), EBM_ERR_NON_FINITE, "ebm_energy_double_well_new", "a");
    CHECK_FAILS(ebm_energy_double_well_new(1, INFINITY, &out), EBM_ERR_NON_FINITE, "ebm_energy_double_well_new", "b");
    CHECK_FAILS(ebm_energy_harmonic_new(-INFINITY, &out), EBM_ERR_NON_FINITE, "ebm_energy_harmonic_new", "k");
    CHECK_FAILS(ebm_energy_rosenbrock_new(1, NAN, &out), EBM_ERR_NON_FINITE, "ebm_energy_rosenbrock_new", "b");
    CHECK_FAILS(ebm_energy_ackley_new(20, 0.2, NAN, &out), EBM_ERR_NON_FINITE, "ebm_energy_ackley_new", "c");
    CHECK_FAILS(ebm_energy_rastrigin_new(NAN, &out), EBM_ERR_NON_FINITE, "ebm_energy_rastrigin_new", "a");
    double mean[2] = {0, NAN}, cov[4] = {1, 0, 0, 1}, good_mean[2] = {0, 0}, bad_cov[4] = {1, 0, 0, INFINITY};
    CHECK_FAILS(ebm_energy_gaussian_new(mean, cov, 2, &out), EBM_ERR_NON_FINITE, "ebm_energy_gaussian_new",
                "mean: element 1 is NaN");
    CHECK_FAILS(ebm_energy_gaussian_new(good_mean, bad_cov, 2, &out), EBM_ERR_NON_FINITE, "ebm_energy_gaussian_new",
                "cov: element 3 is inf");
    double w[1] = {NAN};
    CHECK_FAILS(ebm_energy_gaussian_mixture_new(w, good_mean, cov, 1, 2, &out), EBM_ERR_NON_FINITE,
                "ebm_energy_gaussian_mixture_new", "weights");
    CHECK(out == SENTINEL);
}

static void covariance_not_symmetric(void) {
    double mean[2] = {0, 0}, cov[4] = {1, 0.5, 0.3, 1};
    ebm_energy *out = SENTINEL;
    CHECK_FAILS(ebm_energy_gaussian_new(mean, cov, 2, &out), EBM_ERR_NOT_POSITIVE_DEFINITE, "ebm_energy_gaussian_new",
                "cov: not symmetric");
    CHECK(out == SENTINEL);
}

static void covariance_not_positive_definite(void) {
    double mean[2] = {0, 0}, indefinite[4] = {1, 2, 2, 1}, singular[4] = {1, 1, 1, 1};
    ebm_energy *out = SENTINEL;
    CHECK_FAILS(ebm_energy_gaussian_new(mean, indefinite, 2, &out), EBM_ERR_NOT_POSITIVE_DEFINITE,
                "ebm_energy_gaussian_new", "cov: not positive definite");
    CHECK_FAILS(ebm_energy_gaussian_new(mean, singular, 2, &out), EBM_ERR_NOT_POSITIVE_DEFINITE,
                "ebm_energy_gaussian_new", "cov");
    double w[2] = {1, 1}, means[4] = {0, 0, 1, 1}, covs[8] = {1, 0, 0, 1, -1, 0, 0, 1};
    CHECK_FAILS(ebm_energy_gaussian_mixture_new(w, means, covs, 2, 2, &out), EBM_ERR_NOT_POSITIVE_DEFINITE,
                "ebm_energy_gaussian_mixture_new", "covs: component 1");
    CHECK(out == SENTINEL);
}

static void mixture_weights_out_of_domain(void) {
    double means[2] = {0, 1}, covs[2] = {1, 1}, negative[2] = {1, -0.5}, zeros[2] = {0, 0};
    ebm_energy *out = SENTINEL;
    CHECK_FAILS(ebm_energy_gaussian_mixture_new(negative, means, covs, 2, 1, &out), EBM_ERR_INVALID_ARGUMENT,
                "ebm_energy_gaussian_mixture_new", "weights: element 1");
    CHECK_FAILS(ebm_energy_gaussian_mixture_new(zeros, means, covs, 2, 1, &out), EBM_ERR_INVALID_ARGUMENT,
                "ebm_energy_gaussian_mixture_new", "weights");
    CHECK(out == SENTINEL);
}

static void composite_weights_mismatched(void) {
    ebm_energy *dw = double_well(), *out = SENTINEL;
    const ebm_energy *parts[2] = {dw, dw};
    double w[3] = {1, 2, 3}, bad[2] = {1, NAN};
    CHECK_FAILS(ebm_energy_composite_new(parts, 2, w, 3, &out), EBM_ERR_LENGTH_MISMATCH, "ebm_energy_composite_new",
                "weights");
    CHECK_FAILS(ebm_energy_composite_new(parts, 2, w, 1, &out), EBM_ERR_LENGTH_MISMATCH, "ebm_energy_composite_new",
                "weights");
    CHECK_FAILS(ebm_energy_composite_new(parts, 2, w, 0, &out), EBM_ERR_LENGTH_MISMATCH, "ebm_energy_composite_new",
                "n_weights");
    CHECK_FAILS(ebm_energy_composite_new(parts, 2, NULL, 2, &out), EBM_ERR_NULL_POINTER, "ebm_energy_composite_new",
                "weights");
    CHECK_FAILS(ebm_energy_composite_new(parts, 2, w, -1, &out), EBM_ERR_INVALID_ARGUMENT, "ebm_energy_composite_new",
                "n_weights");
    CHECK_FAILS(ebm_energy_composite_new(parts, 2, bad, 2, &out), EBM_ERR_NON_FINITE, "ebm_energy_composite_new",
                "weights");
    CHECK(out == SENTINEL);
    ebm_energy_free(dw);
}

static void composite_parts_missing_or_incompatible(void) {
    ebm_energy *gauss = gaussian_2d(), *rosen = NULL, *out = SENTINEL;
    double mean[3] = {0, 0, 0}, cov[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    ebm_energy *gauss3 = NULL;
    CHECK_OK(ebm_energy_gaussian_new(mean, cov, 3, &gauss3));
    CHECK_OK(ebm_energy_rosenbrock_new(1, 100, &rosen));
    const ebm_energy *with_null[2] = {gauss, NULL};
    CHECK_FAILS(ebm_energy_composite_new(with_null, 2, NULL, 0, &out), EBM_ERR_NULL_POINTER,
                "ebm_energy_composite_new", "energies[1]");
    CHECK_FAILS(ebm_energy_composite_new(NULL, 2, NULL, 0, &out), EBM_ERR_NULL_POINTER, "ebm_energy_composite_new",
                "energies");
    CHECK_FAILS(ebm_energy_composite_new(with_null, 0, NULL, 0, &out), EBM_ERR_INVALID_ARGUMENT,
                "ebm_energy_composite_new", "n_energies");
    const ebm_energy *clash[3] = {rosen, gauss, gauss3};
    CHECK_FAILS(ebm_energy_composite_new(clash, 3, NULL, 0, &out), EBM_ERR_DIMENSION_MISMATCH,
                "ebm_energy_composite_new", "energy 2 ('gaussian') needs dim 3");
    CHECK(out == SENTINEL);
    ebm_energy_free(gauss), ebm_energy_free(gauss3), ebm_energy_free(rosen);
}

static void cuda_requested_where_none_exists(void) {
    ebm_energy *dw = double_well();
    int32_t missing = ebm_cuda_device_count(); /* one past the last device */
    CHECK_FAILS(ebm_energy_set_device(dw, missing), EBM_ERR_DEVICE_UNAVAILABLE, "ebm_energy_set_device", "device");
    CHECK_FAILS(ebm_energy_set_device(dw, 1000), EBM_ERR_DEVICE_UNAVAILABLE, "ebm_energy_set_device", "CUDA device 1000");
    int32_t device = 7;
    CHECK_OK(ebm_energy_get_device(dw, &device));
    CHECK(device == EBM_DEVICE_CPU); /* unchanged */
    ebm_energy_free(dw);
}

static void misaligned_buffers(void) {
    ebm_energy *dw = double_well();
    double storage[4] = {0, 0, 0, 0}, e[1];
    const double *misaligned = (const double *)((const char *)storage + 1);
    CHECK_FAILS(ebm_energy_eval_f64(dw, misaligned, 1, 2, e), EBM_ERR_INVALID_ARGUMENT, "ebm_energy_eval_f64",
                "x: is not aligned");
    ebm_energy_free(dw);
}

static void overlapping_buffers(void) {
    ebm_energy *dw = double_well();
    double buffer[6] = {1, 2, 3, 4, 5, 6}, g[4];
    CHECK_FAILS(ebm_energy_gradient_f64(dw, buffer, 2, 2, buffer + 1), EBM_ERR_INVALID_ARGUMENT,
                "ebm_energy_gradient_f64", "gradient_out: overlaps x");
    CHECK_FAILS(ebm_energy_eval_and_gradient_f64(dw, buffer, 1, 2, g + 1, g), EBM_ERR_INVALID_ARGUMENT,
                "ebm_energy_eval_and_gradient_f64", "gradient_out: overlaps energy_out");
    CHECK(buffer[0] == 1 && buffer[5] == 6); /* inputs untouched */
    ebm_energy_free(dw);
}

int main(void) {
    RUN(null_energy_handle);
    RUN(null_buffers);
    RUN(null_out_pointer_in_constructors);
    RUN(null_parameter_arrays);
    RUN(negative_point_count);
    RUN(non_positive_dimension);
    RUN(overflowing_sizes);
    RUN(dimension_not_accepted_by_the_energy);
    RUN(non_finite_parameters);
    RUN(covariance_not_symmetric);
    RUN(covariance_not_positive_definite);
    RUN(mixture_weights_out_of_domain);
    RUN(composite_weights_mismatched);
    RUN(composite_parts_missing_or_incompatible);
    RUN(cuda_requested_where_none_exists);
    RUN(misaligned_buffers);
    RUN(overlapping_buffers);
    return CHECK_RESULT();
}
