/* Neural models' precision and files: ebm_model_to_dtype (a float MLP in double precision),
 * ebm_model_load_state_dict (PyTorch state_dicts in safetensors), the documented layout of
 * ebm_model_save's files, and ebm_model_save's refusal of TorchScript modules.
 *
 * Argument: the directory written by tests/fixtures/make_state_dicts.py (default
 * build/models, or $TORCHEBM_TEST_FIXTURES): PyTorch's own files and energies. */
#define _POSIX_C_SOURCE 200809L /* mkstemp */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"

static const char *fixtures = "build/models";

/* tests/fixtures/make_state_dicts.py's POINTS. */
static const double points[8] = {0.5, -1.0, 2.0, 0.25, -0.3, 0.7, 0.0, 0.0};
enum { N_POINTS = 4 };

static const char *fixture(const char *name) {
    static char buffer[4096];
    snprintf(buffer, sizeof buffer, "%s/%s", fixtures, name);
    return buffer;
}

/* The N_POINTS energies PyTorch wrote into `name`. */
static void reference(const char *name, double out[N_POINTS]) {
    FILE *f = fopen(fixture(name), "r");
    CHECK(f != NULL);
    if (f == NULL) return;
    for (int i = 0; i < N_POINTS; i++) CHECK(fscanf(f, "%lf", &out[i]) == 1);
    fclose(f);
}

static ebm_mlp_params architecture(const int64_t *hidden, int64_t n_hidden, int32_t activation, int32_t dtype) {
    ebm_mlp_params p = ebm_mlp_default_params();
    p.input_dim = 2, p.hidden = hidden, p.n_hidden = n_hidden, p.activation = activation, p.dtype = dtype;
    return p;
}

static double max_difference(const double *a, const double *b, int n) {
    double worst = 0;
    for (int i = 0; i < n; i++) worst = fmax(worst, fabs(a[i] - b[i]));
    return worst;
}

/* E(x) = w2 . tanh(W1 x + b1) + b2 in double, from the flat parameters (W1 [h,2], b1, w2, b2). */
static double one_hidden_layer(const double *theta, int64_t h, const double *x) {
    const double *w1 = theta, *b1 = theta + 2 * h, *w2 = b1 + h, *b2 = w2 + h;
    double e = *b2;
    for (int64_t j = 0; j < h; j++) e += w2[j] * tanh(w1[2 * j] * x[0] + w1[2 * j + 1] * x[1] + b1[j]);
    return e;
}

/* A float MLP computes in float even through the _f64 functions (documented); its
 * ebm_model_to_dtype(F64) copy computes in double: 1e-12 from the closed form evaluated in
 * double with the same (float-valued) parameters. */
static void float_model_in_double(void) {
    const int64_t hidden[1] = {16};
    ebm_mlp_params p = architecture(hidden, 1, EBM_ACTIVATION_TANH, EBM_DTYPE_F32);
    p.seed = 7;
    ebm_energy *f32 = NULL, *f64 = NULL, *back = NULL;
    CHECK_OK(ebm_model_mlp_new(&p, &f32));
    CHECK_OK(ebm_model_to_dtype(f32, EBM_DTYPE_F64, &f64));
    int64_t count = 0;
    CHECK_OK(ebm_model_parameter_count(f64, &count));
    CHECK(count == 2 * 16 + 16 + 16 + 1);
    double theta[65], theta32[65];
    CHECK_OK(ebm_model_get_parameters_f64(f64, theta, count));
    CHECK_OK(ebm_model_get_parameters_f64(f32, theta32, count));
    CHECK(max_difference(theta, theta32, 65) == 0); /* float -> double is exact */
    double exact[N_POINTS], in_f32[N_POINTS], in_f64[N_POINTS];
    for (int i = 0; i < N_POINTS; i++) exact[i] = one_hidden_layer(theta, 16, points + 2 * i);
    CHECK_OK(ebm_energy_eval_f64(f32, points, N_POINTS, 2, in_f32));
    CHECK_OK(ebm_energy_eval_f64(f64, points, N_POINTS, 2, in_f64));
    CHECK(max_difference(in_f64, exact, N_POINTS) < 1e-12);
    /* The float model: float32 rounding, well above double's and below 1e-5. */
    CHECK(max_difference(in_f32, exact, N_POINTS) > 1e-10);
    CHECK(max_difference(in_f32, exact, N_POINTS) < 1e-5);
    /* The copy is independent: changing it leaves the original alone. */
    theta[0] += 1.0;
    CHECK_OK(ebm_model_set_parameters_f64(f64, theta, count));
    CHECK_OK(ebm_model_get_parameters_f64(f32, theta, count));
    CHECK(max_difference(theta, theta32, 65) == 0);
    /* Back to float: the same float values. */
    CHECK_OK(ebm_model_to_dtype(f64, EBM_DTYPE_F32, &back));
    CHECK_OK(ebm_model_get_parameters_f64(back, theta, count));
    CHECK(theta[0] == (double)(float)(theta32[0] + 1.0) && max_difference(theta + 1, theta32 + 1, 64) == 0);
    ebm_energy_free(f32), ebm_energy_free(f64), ebm_energy_free(back);
}

#define TO_DTYPE "ebm_model_to_dtype"
static void to_dtype_errors(void) {
    ebm_mlp_params p = architecture(NULL, 0, EBM_ACTIVATION_SILU, EBM_DTYPE_F32);
    ebm_energy *model = NULL, *well = NULL, *out = NULL, *scripted = NULL;
    CHECK_OK(ebm_model_mlp_new(&p, &model));
    CHECK_OK(ebm_energy_double_well_new(EBM_DOUBLE_WELL_DEFAULT_A, EBM_DOUBLE_WELL_DEFAULT_B, &well));
    CHECK_FAILS(ebm_model_to_dtype(NULL, EBM_DTYPE_F64, &out), EBM_ERR_NULL_POINTER, TO_DTYPE, "model");
    CHECK_FAILS(ebm_model_to_dtype(model, EBM_DTYPE_F64, NULL), EBM_ERR_NULL_POINTER, TO_DTYPE, "out");
    CHECK_FAILS(ebm_model_to_dtype(model, 7, &out), EBM_ERR_INVALID_ARGUMENT, TO_DTYPE, "dtype");
    CHECK_FAILS(ebm_model_to_dtype(well, EBM_DTYPE_F64, &out), EBM_ERR_INVALID_ARGUMENT, TO_DTYPE, "model");
    CHECK_OK(ebm_model_torchscript_load(fixture("scripted.pt"), 2, EBM_DEVICE_CPU, &scripted));
    CHECK_FAILS(ebm_model_to_dtype(scripted, EBM_DTYPE_F64, &out), EBM_ERR_INVALID_ARGUMENT, TO_DTYPE, "module.double()");
    CHECK(out == NULL);
    ebm_energy_free(model), ebm_energy_free(well), ebm_energy_free(scripted);
}

/* PyTorch's float64 nn.Sequential(Linear(2,8), Tanh, Linear(8,5), Tanh, Linear(5,1)) loads
 * in double and computes what PyTorch computed, to 1e-12; loaded in float, to float's
 * precision only. */
static void pytorch_state_dict_matches_pytorch(void) {
    const int64_t hidden[2] = {8, 5};
    ebm_mlp_params p = architecture(hidden, 2, EBM_ACTIVATION_TANH, EBM_DTYPE_F64);
    ebm_energy *f64 = NULL, *f32 = NULL;
    CHECK_OK(ebm_model_load_state_dict(fixture("sequential.safetensors"), &p, &f64));
    p.dtype = EBM_DTYPE_F32;
    CHECK_OK(ebm_model_load_state_dict(fixture("sequential.safetensors"), &p, &f32));
    double torch_energies[N_POINTS], e64[N_POINTS], e32[N_POINTS];
    reference("sequential.energies", torch_energies);
    CHECK_OK(ebm_energy_eval_f64(f64, points, N_POINTS, 2, e64));
    CHECK_OK(ebm_energy_eval_f64(f32, points, N_POINTS, 2, e32));
    CHECK(max_difference(e64, torch_energies, N_POINTS) < 1e-12);
    CHECK(max_difference(e32, torch_energies, N_POINTS) > 1e-10);
    CHECK(max_difference(e32, torch_energies, N_POINTS) < 1e-5);
    ebm_energy_free(f64), ebm_energy_free(f32);
}

/* A float32 module holding its network as self.net (names net.0.weight, ...), SiLU. */
static void prefixed_state_dict(void) {
    const int64_t hidden[1] = {8};
    ebm_mlp_params p = architecture(hidden, 1, EBM_ACTIVATION_SILU, EBM_DTYPE_F32);
    ebm_energy *model = NULL;
    CHECK_OK(ebm_model_load_state_dict(fixture("prefixed.safetensors"), &p, &model));
    double torch_energies[N_POINTS], ours[N_POINTS];
    reference("prefixed.energies", torch_energies);
    CHECK_OK(ebm_energy_eval_f64(model, points, N_POINTS, 2, ours));
    CHECK(max_difference(ours, torch_energies, N_POINTS) < 1e-6);
    ebm_energy_free(model);
}

#define LOAD_SD "ebm_model_load_state_dict"
static void state_dict_errors_name_the_tensor(void) {
    const int64_t hidden[2] = {8, 5}, narrow[2] = {8, 6}, one[1] = {8}, bad_width[1] = {0};
    ebm_mlp_params p = architecture(hidden, 2, EBM_ACTIVATION_TANH, EBM_DTYPE_F64);
    ebm_energy *out = NULL;
    const char *sequential = fixture("sequential.safetensors");
    char path[4096];
    snprintf(path, sizeof path, "%s", sequential);
    CHECK_FAILS(ebm_model_load_state_dict(NULL, &p, &out), EBM_ERR_NULL_POINTER, LOAD_SD, "path");
    CHECK_FAILS(ebm_model_load_state_dict(path, NULL, &out), EBM_ERR_NULL_POINTER, LOAD_SD, "params");
    CHECK_FAILS(ebm_model_load_state_dict(path, &p, NULL), EBM_ERR_NULL_POINTER, LOAD_SD, "out");
    CHECK_FAILS(ebm_model_load_state_dict("/nonexistent/net.safetensors", &p, &out), EBM_ERR_IO, LOAD_SD, "path");
    p.hidden = bad_width, p.n_hidden = 1;
    CHECK_FAILS(ebm_model_load_state_dict(path, &p, &out), EBM_ERR_INVALID_ARGUMENT, LOAD_SD, "params.hidden");
    p.hidden = hidden, p.n_hidden = 2, p.spectral_norm = 1;
    CHECK_FAILS(ebm_model_load_state_dict(path, &p, &out), EBM_ERR_INVALID_ARGUMENT, LOAD_SD, "params.spectral_norm");
    p.spectral_norm = 0, p.dtype = 9;
    CHECK_FAILS(ebm_model_load_state_dict(path, &p, &out), EBM_ERR_INVALID_ARGUMENT, LOAD_SD, "params.dtype");
    p.dtype = EBM_DTYPE_F64;
    /* Shapes and layer counts against the architecture. */
    p.hidden = narrow;
    CHECK_FAILS(ebm_model_load_state_dict(path, &p, &out), EBM_ERR_DIMENSION_MISMATCH, LOAD_SD, "'2.weight' has shape [5, 8]");
    p.hidden = one, p.n_hidden = 1;
    CHECK_FAILS(ebm_model_load_state_dict(path, &p, &out), EBM_ERR_FORMAT, LOAD_SD, "3 linear layers (0, 2, 4)");
    p.input_dim = 3, p.hidden = hidden, p.n_hidden = 2;
    CHECK_FAILS(ebm_model_load_state_dict(path, &p, &out), EBM_ERR_DIMENSION_MISMATCH, LOAD_SD, "'0.weight' has shape [8, 2]");
    p.input_dim = 2, p.hidden = one, p.n_hidden = 1;
    /* Tensors that are not a plain MLP's, and files that are not safetensors. */
    CHECK_FAILS(ebm_model_load_state_dict(fixture("batchnorm.safetensors"), &p, &out), EBM_ERR_FORMAT, LOAD_SD,
                "'1.num_batches_tracked'");
    const int64_t four[1] = {4};
    p.hidden = four;
    CHECK_FAILS(ebm_model_load_state_dict(fixture("no_bias.safetensors"), &p, &out), EBM_ERR_FORMAT, LOAD_SD,
                "'2.bias' is missing");
    CHECK_FAILS(ebm_model_load_state_dict(fixture("sequential.pt"), &p, &out), EBM_ERR_FORMAT, LOAD_SD,
                "(torch.save's .pt format?), not safetensors: convert it");
    CHECK(out == NULL);
}

/* The file ebm_model_save writes has the layout its documentation gives: these tensor names
 * and metadata keys, readable as a plain state_dict under the prefix "layers.". */
static void saved_layout_is_the_documented_one(void) {
    const int64_t hidden[2] = {8, 5};
    ebm_mlp_params p = architecture(hidden, 2, EBM_ACTIVATION_TANH, EBM_DTYPE_F64);
    p.seed = 3;
    ebm_energy *model = NULL, *again = NULL;
    CHECK_OK(ebm_model_mlp_new(&p, &model));
    char path[] = "/tmp/torchebm-test-models-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    CHECK_OK(ebm_model_save(model, path));
    /* The JSON header: its length, then the header itself. */
    FILE *f = fopen(path, "rb");
    unsigned char length_bytes[8] = {0};
    CHECK(f != NULL && fread(length_bytes, 1, 8, f) == 8);
    uint64_t length = 0;
    for (int i = 7; i >= 0; i--) length = length << 8 | length_bytes[i];
    CHECK(length > 0 && length < 65536);
    char *header = calloc(length + 1, 1);
    CHECK(f != NULL && fread(header, 1, length, f) == length);
    if (f != NULL) fclose(f);
    const char *expected[] = {"\"layers.0.weight\":{\"dtype\":\"F64\",\"shape\":[8,2]",
                              "\"layers.1.weight\":{\"dtype\":\"F64\",\"shape\":[5,8]",
                              "\"layers.2.weight\":{\"dtype\":\"F64\",\"shape\":[1,5]",
                              "\"layers.2.bias\":{\"dtype\":\"F64\",\"shape\":[1]",
                              "\"format\":\"libtorchebm-mlp\"",
                              "\"format_version\":\"1\"",
                              "\"library_version\":\"" EBM_VERSION "\"",
                              "\"input_dim\":\"2\"",
                              "\"hidden\":\"8,5\"",
                              "\"activation\":\"tanh\"",
                              "\"spectral_norm\":\"false\"",
                              "\"dtype\":\"float64\""};
    for (size_t i = 0; i < sizeof expected / sizeof *expected; i++) {
        if (strstr(header, expected[i]) == NULL) {
            fprintf(stderr, "%s:%d: saved header lacks %s: %s\n", __FILE__, __LINE__, expected[i], header);
            check_failures++;
        }
    }
    free(header);
    CHECK_OK(ebm_model_load_state_dict(path, &p, &again));
    double a[N_POINTS], b[N_POINTS];
    CHECK_OK(ebm_energy_eval_f64(model, points, N_POINTS, 2, a));
    CHECK_OK(ebm_energy_eval_f64(again, points, N_POINTS, 2, b));
    CHECK(max_difference(a, b, N_POINTS) == 0);
    remove(path);
    ebm_energy_free(model), ebm_energy_free(again);
}

/* ebm_model_save cannot write a TorchScript module, and says what to do instead. */
static void torchscript_save_says_what_to_do(void) {
    ebm_energy *scripted = NULL;
    CHECK_OK(ebm_model_torchscript_load(fixture("scripted.pt"), 2, EBM_DEVICE_CPU, &scripted));
    CHECK_FAILS(ebm_model_save(scripted, "/tmp/torchebm-never-written.safetensors"), EBM_ERR_INVALID_ARGUMENT,
                "ebm_model_save", "model: is a TorchScript module");
    const char *message = ebm_last_error_message();
    CHECK(strstr(message, "ebm_model_get_parameters_") != NULL);
    CHECK(strstr(message, "vector_to_parameters") != NULL && strstr(message, "torch.jit.save") != NULL);
    CHECK(access("/tmp/torchebm-never-written.safetensors", F_OK) != 0);
    ebm_energy_free(scripted);
}

int main(int argc, char **argv) {
    if (argc > 1)
        fixtures = argv[1];
    else if (getenv("TORCHEBM_TEST_FIXTURES") != NULL)
        fixtures = getenv("TORCHEBM_TEST_FIXTURES");
    if (access(fixture("sequential.safetensors"), R_OK) != 0) {
        fprintf(stderr, "%s: no fixtures in %s (make %s/.complete)\n", argv[0], fixtures, fixtures);
        return 1;
    }
    RUN(float_model_in_double);
    RUN(to_dtype_errors);
    RUN(pytorch_state_dict_matches_pytorch);
    RUN(prefixed_state_dict);
    RUN(state_dict_errors_name_the_tensor);
    RUN(saved_layout_is_the_documented_one);
    RUN(torchscript_save_says_what_to_do);
    return CHECK_RESULT();
}
