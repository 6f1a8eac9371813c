/* Versions, build information, status texts, threads and devices. */
#include <stdlib.h>

#include "check.h"

static void header_and_library_versions_match(void) {
    CHECK(strcmp(ebm_version(), EBM_VERSION) == 0);
    CHECK(ebm_version_number() == EBM_VERSION_NUMBER);
    CHECK(EBM_VERSION_NUMBER == EBM_VERSION_MAJOR * 1000000 + EBM_VERSION_MINOR * 1000 + EBM_VERSION_PATCH);
    CHECK(strncmp(ebm_libtorch_version(), "2.13.", 5) == 0);
}

static void build_info_reports_versions_and_devices(void) {
    ebm_build_info info;
    memset(&info, 0, sizeof info);
    CHECK_OK(ebm_get_build_info(&info, sizeof info));
    CHECK(strcmp(info.version, EBM_VERSION) == 0);
    CHECK(strcmp(info.libtorch_version, ebm_libtorch_version()) == 0);
    CHECK(info.version_number == EBM_VERSION_NUMBER);
    CHECK(info.cuda_available == ebm_cuda_is_available());
    CHECK(info.cuda_device_count == ebm_cuda_device_count());
    CHECK(info.cuda_available == (info.cuda_device_count > 0));
    /* The PyPI libtorch is a CUDA build: its backend, loaded on demand, is in use (see
     * test_lazy_cuda.c, also for CPU-only libtorch builds). */
    CHECK(info.cuda_compiled);
    CHECK(info.num_threads == ebm_get_num_threads());
    CHECK(info.num_threads >= 1);
}

static void build_info_rejects_bad_arguments(void) {
    ebm_build_info info;
    CHECK_FAILS(ebm_get_build_info(NULL, sizeof info), EBM_ERR_NULL_POINTER, "ebm_get_build_info", "out");
    CHECK_FAILS(ebm_get_build_info(&info, sizeof info - 1), EBM_ERR_INVALID_ARGUMENT, "ebm_get_build_info",
                "out_size");
}

static void status_strings_are_distinct_and_static(void) {
    for (int a = 0; a <= EBM_ERR_REMOTE; a++) {
        CHECK(ebm_status_string(a) != NULL);
        CHECK(strcmp(ebm_status_string(a), "unknown status") != 0);
        for (int b = 0; b < a; b++) CHECK(strcmp(ebm_status_string(a), ebm_status_string(b)) != 0);
    }
    CHECK(strcmp(ebm_status_string(EBM_OK), "ok") == 0);
    CHECK(strcmp(ebm_status_string(-1), "unknown status") == 0);
    CHECK(strcmp(ebm_status_string(EBM_ERR_REMOTE + 1), "unknown status") == 0);
}

static void last_error_is_cleared_by_a_successful_call(void) {
    CHECK_FAILS(ebm_set_num_threads(0), EBM_ERR_INVALID_ARGUMENT, "ebm_set_num_threads", "threads");
    CHECK(strlen(ebm_last_error_message()) > 0);
    CHECK_OK(ebm_set_num_threads(ebm_get_num_threads()));
    CHECK(strcmp(ebm_last_error_message(), "") == 0);
}

static void thread_count_can_be_set(void) {
    int32_t before = ebm_get_num_threads();
    CHECK_OK(ebm_set_num_threads(1));
    CHECK(ebm_get_num_threads() == 1);
    CHECK_OK(ebm_set_num_threads(before));
    CHECK(ebm_get_num_threads() == before);
    CHECK_FAILS(ebm_set_num_threads(-3), EBM_ERR_INVALID_ARGUMENT, "ebm_set_num_threads", "threads");
}

static void device_selection_follows_availability(void) {
    ebm_energy *energy = NULL;
    CHECK_OK(ebm_energy_harmonic_new(EBM_HARMONIC_DEFAULT_K, &energy));
    int32_t device = 123;
    CHECK_OK(ebm_energy_get_device(energy, &device));
    CHECK(device == EBM_DEVICE_CPU);
    int32_t count = ebm_cuda_device_count();
    /* One past the last CUDA device never exists; on a machine without CUDA that is device 0. */
    CHECK_FAILS(ebm_energy_set_device(energy, count), EBM_ERR_DEVICE_UNAVAILABLE, "ebm_energy_set_device",
                "device");
    CHECK_FAILS(ebm_energy_set_device(energy, -2), EBM_ERR_INVALID_ARGUMENT, "ebm_energy_set_device", "device");
    CHECK_OK(ebm_energy_get_device(energy, &device));
    CHECK(device == EBM_DEVICE_CPU);
    if (count > 0) {
        CHECK_OK(ebm_energy_set_device(energy, 0));
        CHECK_OK(ebm_energy_get_device(energy, &device));
        CHECK(device == 0);
        double x[4] = {1, 2, 3, 4}, e[2], g[4];
        CHECK_OK(ebm_energy_eval_and_gradient_f64(energy, x, 2, 2, e, g));
        CHECK_NEAR(e[1], 12.5, 1e-12);
        CHECK_NEAR(g[3], 4.0, 1e-12);
    }
    CHECK_OK(ebm_energy_set_device(energy, EBM_DEVICE_CPU));
    ebm_energy_free(energy);
}

int main(void) {
    RUN(header_and_library_versions_match);
    RUN(build_info_reports_versions_and_devices);
    RUN(build_info_rejects_bad_arguments);
    RUN(status_strings_are_distinct_and_static);
    RUN(last_error_is_cleared_by_a_successful_call);
    RUN(thread_count_can_be_set);
    RUN(device_selection_follows_availability);
    return CHECK_RESULT();
}
