// The C++ wrapper's no-exceptions mode, built with -fno-exceptions (and again with exceptions
// on but TORCHEBM_NO_EXCEPTIONS defined): every function returns torchebm::Status or
// torchebm::Result<T> instead of throwing; the values and errors are those of the C API.
#include <cmath>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "torchebm.hpp"
#include "check.hpp"

static_assert(TORCHEBM_EXCEPTIONS == 0, "no-exceptions mode");
static_assert(std::is_same_v<torchebm::Ret<void>, torchebm::Status>);
static_assert(std::is_same_v<decltype(torchebm::Energy::harmonic()), torchebm::Result<torchebm::Energy>>);

using torchebm::Energy;
using torchebm::Progress;
using torchebm::Sampler;

// The failure has `code` and its message contains `needle`.
static bool fails_with(const torchebm::Status& s, ebm_status code, const char* needle) {
  if (s.ok() || s.code() != code || s.message().find(needle) == std::string::npos) {
    std::fprintf(stderr, "got %d \"%s\", expected %d naming \"%s\"\n", (int)s.code(), s.message().c_str(), (int)code,
                 needle);
    return false;
  }
  return true;
}

static void values_through_results() {
  CHECK(torchebm::check_version().ok());
  torchebm::Result<torchebm::BuildInfo> info = torchebm::build_info();
  CHECK(info.ok() && std::strcmp(info->version, EBM_VERSION) == 0);

  torchebm::Result<Energy> made = Energy::double_well(1.0, 2.0);
  CHECK(made.ok() && made.status().message().empty());
  Energy well = std::move(made).value();
  std::vector<double> x = {1.5, -0.5};
  torchebm::Result<std::vector<double>> e = well.eval(x, 2);
  CHECK(e.ok());
  CHECK_NEAR((*e)[0], 0.0625 + 3.0625, 1e-12);
  double out = 0, c_out = 0;
  CHECK(well.eval(x.data(), 1, 2, &out).ok());
  CHECK(ebm_energy_eval_f64(well.get(), x.data(), 1, 2, &c_out) == EBM_OK && out == c_out);
  auto g = well.gradient(x, 2);
  CHECK(g.ok() && g.value()[0] == 4 * 1.5 * 0.25);
  auto h = well.hvp(x, x, 2);  // H = diag(4 (3 x_i^2 - 2)), along v = x
  CHECK(h.ok() && h.value()[0] == 4 * (3 * 2.25 - 2) * 1.5 && h.value()[1] == 4 * (3 * 0.25 - 2) * -0.5);
  CHECK(!well.hvp(x, std::vector<double>{1.0}, 2).ok());
  auto dim = well.dim();
  CHECK(dim.ok() && dim.value() == 0);

  auto sampler = Sampler::mala(well, torchebm::MalaParams().step_size(0.05).seed(3));
  CHECK(sampler.ok());
  auto samples = sampler->sample<double>(10, 2, 20);
  CHECK(samples.ok() && samples->size() == 20);
  auto stats = sampler->stats();
  CHECK(stats.ok() && stats->steps == 20 && stats->n_chains == 10);
  auto ais = torchebm::ais_estimate(well, 50, 1, torchebm::AisParams().n_temperatures(10).base_std(1.5));
  CHECK(ais.ok() && ais->log_weights.size() == 50 && std::isfinite(ais->result.log_z));
  CHECK(!torchebm::ais_estimate<float>(well, 1, 1).ok());
}

static void errors_through_statuses() {
  auto bad = Energy::gaussian({0.0, 0.0}, {1.0, 2.0, 2.0, 1.0});
  CHECK(!bad && fails_with(bad.status(), EBM_ERR_NOT_POSITIVE_DEFINITE, "cov"));
  auto well = Energy::double_well();
  auto wrong = well->eval(std::vector<double>{1, 2, 3}, 2);
  CHECK(fails_with(wrong.status(), EBM_ERR_LENGTH_MISMATCH, "x: 3 values, not a multiple of dim 2"));
  torchebm::Status s = torchebm::set_num_threads(0);
  CHECK(fails_with(s, EBM_ERR_INVALID_ARGUMENT, "threads"));
  auto sampler = Sampler::langevin(*well);
  CHECK(fails_with(sampler->run(5), EBM_ERR_INVALID_ARGUMENT, "no chains"));
  CHECK(sampler->init_normal(4, 2).ok() && sampler->run(5).ok());
  CHECK(fails_with(Energy().dim().status(), EBM_ERR_NULL_POINTER, "energy"));
  CHECK(fails_with(torchebm::Model::load("/nonexistent/model.safetensors").status(), EBM_ERR_IO, "path"));
  CHECK(fails_with(torchebm::Model::load_state_dict("/nonexistent/net.safetensors", torchebm::MlpParams()).status(),
                   EBM_ERR_IO, "path"));
  CHECK(fails_with(torchebm::Model().to_dtype(EBM_DTYPE_F64).status(), EBM_ERR_NULL_POINTER, "model"));
}

static void callbacks_report_failures_by_status() {
  // Without exceptions a callable reports failure by returning a nonzero status.
  auto user = Energy::from_callable(1, [](const double* x, int64_t n, int64_t, double* out) {
    for (int64_t i = 0; i < n; i++) {
      if (x[i] < 0) {
        torchebm::callback_error("negative x");
        return 2;
      }
      out[i] = x[i] * x[i];
    }
    return 0;
  });
  CHECK(user.ok());
  auto good = user->eval(std::vector<double>{3.0}, 1);
  CHECK(good.ok() && good.value()[0] == 9.0);
  auto failed = user->eval(std::vector<double>{-1.0}, 1);
  CHECK(fails_with(failed.status(), EBM_ERR_CALLBACK, "callback returned 2 (negative x)"));

  auto well = Energy::double_well();
  auto sampler = Sampler::langevin(*well);
  int calls = 0;
  CHECK(sampler->set_progress_callback([&calls](int64_t done, int64_t, double) {
    calls++;
    return done < 4 ? Progress::Continue : Progress::Cancel;
  }, 2).ok());
  CHECK(sampler->init_normal(3, 1).ok());
  CHECK(fails_with(sampler->run(10), EBM_ERR_CANCELLED, "after 4 of 10"));
  CHECK(calls == 2);
  // An all-reduce returning a failure code: the collective call fails with it.
  CHECK(sampler->set_allreduce([](void*, size_t, int32_t) {
    torchebm::callback_error("no network");
    return 5;
  }).ok());
  CHECK(fails_with(sampler->stats().status(), EBM_ERR_CALLBACK, "callback returned 5 (no network)"));
  CHECK(sampler->clear_allreduce().ok() && sampler->stats().ok());
}

static void training_through_results() {
  auto model = torchebm::Model::mlp(torchebm::MlpParams().hidden({8}).seed(1));
  CHECK(model.ok());
  auto loss = torchebm::ScoreMatching::create(*model, torchebm::ScoreMatchingParams().method(EBM_SCORE_MATCHING_SLICED));
  auto adam = torchebm::Optimizer::adam(*model);
  auto data = torchebm::generate_dataset<float>(torchebm::DatasetParams(EBM_DATASET_TWO_MOONS), 64);
  CHECK(loss.ok() && adam.ok() && data.ok());
  auto value = loss->train_step(*adam, *data, 2);
  CHECK(value.ok() && std::isfinite(value.value()));
  auto state = adam->state();
  CHECK(state.ok() && state->steps == 1);
  CHECK(fails_with(model->set_parameters(std::vector<float>{1.0f}), EBM_ERR_LENGTH_MISMATCH, "values"));
}

int main() {
  RUN(values_through_results);
  RUN(errors_through_statuses);
  RUN(callbacks_report_failures_by_status);
  RUN(training_through_results);
  return check_result();
}
