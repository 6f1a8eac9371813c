// The install test's C++ program: built through find_package(torchebm) and
// torchebm::torchebm alone (tests/install/run.sh). Uses the C header from C++ and, when the
// wrapper is installed (TORCHEBM_TEST_CPP_WRAPPER), torchebm.hpp. Prints "install-cpp ok".
#include <torchebm.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

// torchebm::torchebm carries cxx_std_17 for the wrapper.
static_assert(__cplusplus >= 201703L, "torchebm::torchebm should compile C++ as C++17 or later");

#if TORCHEBM_TEST_CPP_WRAPPER
#include <torchebm.hpp>

#include <vector>
#endif

namespace {

int fail(const char *what) {
    std::fprintf(stderr, "install-cpp: %s: %s\n", what, ebm_last_error_message());
    return 1;
}

// The C API, straight from C++ (the header's extern "C" block).
int through_the_c_header() {
    ebm_energy *harmonic = nullptr;
    if (ebm_energy_harmonic_new(2.0, &harmonic) != EBM_OK) return fail("ebm_energy_harmonic_new");
    const double x[3] = {1.0, -2.0, 0.5};
    double e = 0;
    const ebm_status status = ebm_energy_eval_f64(harmonic, x, 1, 3, &e);
    ebm_energy_free(harmonic);
    if (status != EBM_OK) return fail("ebm_energy_eval_f64");
    // E = k/2 * |x|^2 = 5.25
    if (std::fabs(e - 5.25) > 1e-12) return fail("harmonic energy");
    return 0;
}

#if TORCHEBM_TEST_CPP_WRAPPER
// A handful of the wrapper's classes (exceptions mode): energies, a callable energy, a
// sampler, a model trained for a few steps, and an error as torchebm::Error.
int through_the_wrapper() {
    try {
        torchebm::check_version();
        const torchebm::Energy well = torchebm::Energy::double_well();
        if (std::fabs(well.eval(std::vector<double>{1.0, 0.0}, 2).at(0) - 5.0) > 1e-12) return fail("Energy::eval");

        const double k = 3.0;  // captured: the Energy owns a copy of the lambda
        const auto user = torchebm::Energy::from_callable(2, [k](const double *x, int64_t dim) {
            double e = 0;
            for (int64_t j = 0; j < dim; j++) e += 0.5 * k * x[j] * x[j];
            return e;
        });
        if (std::fabs(user.gradient(std::vector<double>{1.0, -2.0}, 2).at(1) + 6.0) > 1e-6) return fail("from_callable");

        auto mala = torchebm::Sampler::mala(well, torchebm::MalaParams().step_size(0.05).seed(3));
        const std::vector<double> samples = mala.sample<double>(200, 2, 200);
        double mean_abs = 0;
        for (double v : samples) mean_abs += std::fabs(v) / static_cast<double>(samples.size());
        if (samples.size() != 400 || std::fabs(mean_abs - 1.32) > 0.15) return fail("Sampler::sample");

        auto model = torchebm::Model::mlp(torchebm::MlpParams().hidden({16, 16}).seed(1));
        auto loss = torchebm::ScoreMatching::create(
            model, torchebm::ScoreMatchingParams().method(EBM_SCORE_MATCHING_DENOISING).noise_scale(0.1));
        auto adam = torchebm::Optimizer::adam(model);
        const std::vector<float> data =
            torchebm::generate_dataset<float>(torchebm::DatasetParams(EBM_DATASET_EIGHT_GAUSSIANS), 128);
        for (int step = 0; step < 5; step++) {
            if (!std::isfinite(loss.train_step(adam, data, 2))) return fail("ScoreMatching::train_step");
        }
        if (adam.state().steps != 5) return fail("Optimizer::state");

        try {
            (void)torchebm::Energy::himmelblau().eval(std::vector<double>{1.0, 2.0, 3.0}, 3);
            return fail("a dim-3 point for Himmelblau did not throw");
        } catch (const torchebm::Error &e) {
            if (e.status() != EBM_ERR_DIMENSION_MISMATCH) return fail(e.what());
        }
    } catch (const std::exception &e) {
        std::fprintf(stderr, "install-cpp: %s\n", e.what());
        return 1;
    }
    return 0;
}
#endif

}  // namespace

int main() {
    if (through_the_c_header() != 0) return 1;
#if TORCHEBM_TEST_CPP_WRAPPER
    if (through_the_wrapper() != 0) return 1;
    std::printf("install-cpp ok: libtorchebm %s (C API and torchebm.hpp)\n", ebm_version());
#else
    std::printf("install-cpp ok: libtorchebm %s (C API; torchebm.hpp not installed)\n", ebm_version());
#endif
    return 0;
}
