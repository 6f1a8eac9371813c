// The C++ wrapper (bindings/cpp/torchebm.hpp) in exceptions mode: every class against the C
// API and closed forms, errors as torchebm::Error, callbacks, RAII and moves. Compiled as
// C++17 and again as C++20, where the std::span overloads are tested too.
//
// Usage: test_wrapper [scratch_dir]   (default /tmp)
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "torchebm.hpp"
#include "check.hpp"

using torchebm::Energy;
using torchebm::Error;
using torchebm::Model;
using torchebm::Progress;
using torchebm::Sampler;

static_assert(TORCHEBM_EXCEPTIONS == 1, "this test is the exceptions mode");

static std::string scratch = "/tmp";
static const double M_PI_VALUE = 3.14159265358979323846;

// Evaluates expr, which must throw torchebm::Error with `status` and a message containing `needle`.
#define CHECK_THROWS(expr, expected_status, needle)                                                    \
  do {                                                                                        \
    bool thrown_ = false;                                                                     \
    try {                                                                                     \
      (void)(expr);                                                                           \
    } catch (const Error& e_) {                                                               \
      thrown_ = true;                                                                         \
      if (e_.status() != (expected_status) || std::strstr(e_.what(), needle) == nullptr) {             \
        std::fprintf(stderr, "%s:%d: %s threw %d \"%s\", expected %s naming \"%s\"\n",         \
                     __FILE__, __LINE__, #expr, (int)e_.status(), e_.what(), #expected_status, needle); \
        check_failures++;                                                                     \
      }                                                                                       \
    }                                                                                         \
    if (!thrown_) {                                                                           \
      std::fprintf(stderr, "%s:%d: %s did not throw\n", __FILE__, __LINE__, #expr);           \
      check_failures++;                                                                       \
    }                                                                                         \
  } while (0)

template <class H>
constexpr bool move_only = !std::is_copy_constructible_v<H> && !std::is_copy_assignable_v<H> &&
                           std::is_nothrow_move_constructible_v<H> && std::is_nothrow_move_assignable_v<H>;
static_assert(move_only<Energy> && move_only<Model> && move_only<Sampler> && move_only<torchebm::CdLoss> &&
              move_only<torchebm::ScoreMatching> && move_only<torchebm::Optimizer>);
static_assert(std::is_base_of_v<std::runtime_error, Error>);

static void versions_and_build_info() {
  torchebm::check_version();
  CHECK(std::strcmp(torchebm::version(), EBM_VERSION) == 0);
  CHECK(std::strcmp(torchebm::header_version(), torchebm::version()) == 0);
  CHECK(torchebm::version_number() == EBM_VERSION_NUMBER);
  torchebm::BuildInfo info = torchebm::build_info();
  CHECK(std::strcmp(info.version, torchebm::version()) == 0);
  CHECK(std::strcmp(info.libtorch_version, torchebm::libtorch_version()) == 0);
  CHECK(info.cuda_device_count == torchebm::cuda_device_count());
  CHECK(torchebm::cuda_available() == (torchebm::cuda_device_count() > 0));
  int32_t threads = torchebm::num_threads();
  torchebm::set_num_threads(2);
  CHECK(torchebm::num_threads() == 2);
  torchebm::set_num_threads(threads);
  CHECK_THROWS(torchebm::set_num_threads(0), EBM_ERR_INVALID_ARGUMENT, "threads");
  // A host task runner (here: every task on the calling thread, in order) gets the work of
  // a large batch; the results equal the library's own.
  static int runner_calls = 0;
  ebm_task_runner_fn serial = [](ebm_task_fn task, void* data, int64_t n, void*) -> int32_t {
    runner_calls++;
    for (int64_t i = 0; i < n; i++) task(data, i);
    return 0;
  };
  Energy well = Energy::double_well();
  std::vector<double> x(2 * 150000);
  for (size_t i = 0; i < x.size(); i++) x[i] = std::sin(0.37 * static_cast<double>(i));
  std::vector<double> own = well.eval(x, 2);
  torchebm::set_task_runner(serial, nullptr);
  std::vector<double> hosted = well.eval(x, 2);
  torchebm::set_task_runner(nullptr, nullptr);
  CHECK(runner_calls > 0);
  CHECK(own == hosted);
  CHECK(std::strcmp(torchebm::status_string(EBM_ERR_CALLBACK), ebm_status_string(EBM_ERR_CALLBACK)) == 0);
}

static void analytic_energies_match_closed_forms_and_c() {
  Energy well = Energy::double_well(1.0, 2.0);
  CHECK(std::strcmp(well.name(), "double_well") == 0);
  CHECK(well.dim() == 0);
  CHECK(well.device() == EBM_DEVICE_CPU);
  std::vector<double> x = {1.5, -0.5, 0.0, 2.0};  // two points of dim 2
  std::vector<double> e = well.eval(x, 2);
  CHECK(e.size() == 2);
  CHECK_NEAR(e[0], std::pow(1.5 * 1.5 - 2, 2) + std::pow(0.25 - 2, 2), 1e-12);
  CHECK_NEAR(e[1], 4 + 4, 1e-12);
  std::vector<double> g = well.gradient(x, 2);
  for (size_t k = 0; k < x.size(); k++) CHECK_NEAR(g[k], 4 * x[k] * (x[k] * x[k] - 2), 1e-12);
  auto both = well.eval_and_gradient(x, 2);
  CHECK(both.energy == e && both.gradient == g);
  // The pointer overloads and the C API agree exactly.
  double ec[2], gc[4], ep[2];
  CHECK(ebm_energy_eval_and_gradient_f64(well.get(), x.data(), 2, 2, ec, gc) == EBM_OK);
  well.eval(x.data(), 2, 2, ep);
  CHECK(ec[0] == e[0] && ec[1] == e[1] && ep[0] == e[0] && gc[3] == g[3]);
  // float: the same as the C float path.
  std::vector<float> xf = {1.5f, -0.5f};
  float ef_c, gf_c[2], gf[2], ef;
  CHECK(ebm_energy_eval_and_gradient_f32(well.get(), xf.data(), 1, 2, &ef_c, gf_c) == EBM_OK);
  CHECK(well.eval(xf, 2)[0] == ef_c);
  well.eval_and_gradient(xf.data(), 1, 2, &ef, gf);
  CHECK(ef == ef_c && gf[0] == gf_c[0] && gf[1] == gf_c[1]);
  well.gradient(xf.data(), 1, 2, gf);
  CHECK(gf[1] == gf_c[1]);

  // Every other analytic energy, against the C API on the same points.
  std::vector<double> p = {0.3, -1.2};
  auto same_as_c = [&](const Energy& energy, const char* name) {
    double expected = 0;
    CHECK(ebm_energy_eval_f64(energy.get(), p.data(), 1, 2, &expected) == EBM_OK);
    CHECK(energy.eval(p, 2)[0] == expected);
    CHECK(std::strcmp(energy.name(), name) == 0);
  };
  same_as_c(Energy::harmonic(3.0), "harmonic");
  CHECK_NEAR(Energy::harmonic(3.0).eval(p, 2)[0], 1.5 * (0.09 + 1.44), 1e-12);
  same_as_c(Energy::rosenbrock(), "rosenbrock");
  same_as_c(Energy::ackley(), "ackley");
  same_as_c(Energy::rastrigin(), "rastrigin");
  same_as_c(Energy::himmelblau(), "himmelblau");
  same_as_c(Energy::booth(), "booth");
  CHECK_NEAR(Energy::booth().eval(p, 2)[0], std::pow(0.3 - 2.4 - 7, 2) + std::pow(0.6 - 1.2 - 5, 2), 1e-12);
  same_as_c(Energy::styblinski_tang(), "styblinski_tang");
  Energy gauss = Energy::gaussian({1.0, -1.0}, {2.0, 0.0, 0.0, 4.0});
  same_as_c(gauss, "gaussian");
  CHECK_NEAR(gauss.eval(p, 2)[0], 0.5 * (0.49 / 2 + 0.04 / 4), 1e-12);
  CHECK(gauss.dim() == 2);
  Energy mixture = Energy::gaussian_mixture({1.0}, {0.0, 0.0}, {1.0, 0.0, 0.0, 1.0});
  same_as_c(mixture, "gaussian_mixture");
  CHECK_NEAR(mixture.eval(p, 2)[0], 0.5 * (0.09 + 1.44) + std::log(2 * M_PI), 1e-12);

  // Composite: the parts may go away first; weights are applied.
  Energy h = Energy::harmonic(1.0);
  Energy sum = Energy::composite({&well, &h}, {2.0, 0.5});
  double expected = 2 * well.eval(p, 2)[0] + 0.5 * h.eval(p, 2)[0];
  h.reset();
  CHECK(!h);
  CHECK_NEAR(sum.eval(p, 2)[0], expected, 1e-12);
  CHECK(std::strcmp(Energy::composite({&well}).name(), "composite") == 0);
}

static void errors_throw_with_status_and_message() {
  CHECK_THROWS(Energy::gaussian({0.0, 0.0}, {1.0, 2.0, 2.0, 1.0}), EBM_ERR_NOT_POSITIVE_DEFINITE, "cov");
  CHECK_THROWS(Energy::gaussian({0.0, 0.0}, {1.0, 0.0, 1.0}), EBM_ERR_LENGTH_MISMATCH, "cov");
  CHECK_THROWS(Energy::double_well(NAN, 2), EBM_ERR_NON_FINITE, "ebm_energy_double_well_new");
  Energy well = Energy::double_well();
  std::vector<double> five = {1, 2, 3, 4, 5};
  CHECK_THROWS(well.eval(five, 2), EBM_ERR_LENGTH_MISMATCH, "Energy::eval: x: 5 values, not a multiple of dim 2");
  CHECK_THROWS(well.gradient(five, 0), EBM_ERR_INVALID_ARGUMENT, "dim");
  CHECK_THROWS(Energy::himmelblau().eval(std::vector<double>{1, 2, 3}, 3), EBM_ERR_DIMENSION_MISMATCH, "dim");
  CHECK_THROWS(Energy::composite({&well}, {1.0, 2.0}), EBM_ERR_LENGTH_MISMATCH, "weights");
  CHECK_THROWS(Energy::composite({&well, nullptr}), EBM_ERR_NULL_POINTER, "energies");
  CHECK_THROWS(Energy::gaussian_mixture({}, {}, {}), EBM_ERR_INVALID_ARGUMENT, "weights");
  CHECK_THROWS(Energy().dim(), EBM_ERR_NULL_POINTER, "energy");
  CHECK_THROWS(well.set_device(-7), EBM_ERR_INVALID_ARGUMENT, "device");
  try {
    well.eval(five, 3);
    CHECK(false);
  } catch (const std::runtime_error& e) {  // catchable as a standard exception too
    CHECK(std::strstr(e.what(), "not a multiple") != nullptr);
  }
}

static void hessian_vector_products() {
  // Double well a = 1, b = 2: H = diag(4 (3 x_i^2 - 2)); the C API gives the same numbers.
  Energy well = Energy::double_well(1.0, 2.0);
  std::vector<double> x = {1.5, -0.5, 0.0, 2.0}, v = {1.0, 2.0, -1.0, 0.5};
  std::vector<double> h = well.hvp(x, v, 2);
  for (size_t k = 0; k < x.size(); k++) CHECK_NEAR(h[k], 4 * (3 * x[k] * x[k] - 2) * v[k], 1e-12);
  auto all = well.eval_gradient_hvp(x, v, 2);
  CHECK(all.hvp == h && all.energy == well.eval(x, 2) && all.gradient == well.gradient(x, 2));
  double hc[4], hp[4];
  CHECK(ebm_energy_hvp_f64(well.get(), x.data(), v.data(), 2, 2, hc, nullptr, nullptr) == EBM_OK);
  well.hvp(x.data(), v.data(), 2, 2, hp);
  CHECK(hc[3] == h[3] && hp[0] == h[0]);
  std::vector<float> xf = {1.5f, -0.5f}, vf = {1.0f, 2.0f};
  CHECK_NEAR(well.hvp(xf, vf, 2)[1], 4 * (3 * 0.25 - 2) * 2, 1e-5);
  CHECK_THROWS(well.hvp(x, std::vector<double>{1.0}, 2), EBM_ERR_LENGTH_MISMATCH, "Energy::hvp: v");
  Energy user = Energy::from_callable(2, [](const double* p, int64_t) { return p[0] * p[1]; });
  CHECK_THROWS(user.hvp(x, v, 2), EBM_ERR_INVALID_ARGUMENT, "second derivatives");
}

static void raii_and_moves() {
  Energy a = Energy::harmonic(2.0);
  ebm_energy* raw = a.get();
  Energy b = std::move(a);
  CHECK(!a && a.get() == nullptr && b.get() == raw);
  Energy c;
  c = std::move(b);  // c held nothing; now owns raw
  CHECK(!b && c.get() == raw);
  c = Energy::double_well();  // frees raw
  CHECK(std::strcmp(c.name(), "double_well") == 0);
  ebm_energy* released = c.release();
  CHECK(!c && released != nullptr);
  Energy adopted(released);  // adopted again: freed once, by adopted
  CHECK(std::strcmp(adopted.name(), "double_well") == 0);
  // The sampler keeps its energy alive after the Energy object is gone.
  Sampler s;
  {
    Energy well = Energy::double_well();
    s = Sampler::langevin(well);
  }
  CHECK(s.sample<double>(4, 1, 3).size() == 4);
}

static void callable_energies() {
  // A per-point lambda with captures; its captures die with the last handle using it.
  auto token = std::make_shared<int>(0);
  int calls = 0;
  Energy spring = Energy::from_callable(2, [token, &calls](const double* x, int64_t dim) {
    ++calls;
    double e = 0;
    for (int64_t j = 0; j < dim; j++) e += 0.5 * 3.0 * x[j] * x[j] + std::sin(x[j]);
    return e;
  });
  CHECK(token.use_count() == 2);
  CHECK(std::strcmp(spring.name(), "callback") == 0 && spring.dim() == 2);
  std::vector<double> x = {0.1, -0.2, 1.0, 2.0};
  std::vector<double> e = spring.eval(x, 2);
  CHECK(calls == 2);
  CHECK_NEAR(e[1], 1.5 * 5 + std::sin(1.0) + std::sin(2.0), 1e-14);
  std::vector<double> g = spring.gradient(x, 2);  // finite differences
  for (size_t k = 0; k < 4; k++) CHECK_NEAR(g[k], 3.0 * x[k] + std::cos(x[k]), 1e-9);
  {
    Energy well = Energy::double_well();
    Energy sum = Energy::composite({&spring, &well});
    spring.reset();
    CHECK(token.use_count() == 2);  // the composite keeps the callable
    CHECK_NEAR(sum.eval(x, 2)[0], e[0] + well.eval(x, 2)[0], 1e-12);
  }
  CHECK(token.use_count() == 1);  // freed with the composite

  // Batched callables, energy and gradient, from std::function.
  int gradient_calls = 0;
  std::function<void(const double*, int64_t, int64_t, double*)> batch =
      [](const double* xs, int64_t n, int64_t dim, double* out) {
        for (int64_t i = 0; i < n; i++) out[i] = xs[i * dim] * xs[i * dim + 1];
      };
  Energy product = Energy::from_callable(
      2, batch, [&gradient_calls](const double* xs, int64_t n, int64_t dim, double* out, double* grad) {
        gradient_calls++;
        for (int64_t i = 0; i < n; i++) {
          out[i] = xs[i * dim] * xs[i * dim + 1];
          grad[i * dim] = xs[i * dim + 1];
          grad[i * dim + 1] = xs[i * dim];
        }
        return 0;
      });
  auto both = product.eval_and_gradient(x, 2);
  CHECK(gradient_calls == 1);
  CHECK(both.energy[1] == 2.0 && both.gradient[2] == 2.0 && both.gradient[3] == 1.0);
  std::vector<float> xf = {1.5f, 4.0f};
  CHECK(product.eval(xf, 2)[0] == 6.0f);  // callbacks see doubles, whatever the buffer type

  // Per-point gradient callable.
  Energy quad = Energy::from_callable(
      1, [](const double* p, int64_t) { return p[0] * p[0]; },
      [](const double* p, int64_t, double* grad) {
        grad[0] = 2 * p[0];
        return p[0] * p[0];
      });
  CHECK(quad.gradient(std::vector<double>{3.0}, 1)[0] == 6.0);

  // Failures: a throwing callable, and a nonzero status, are EBM_ERR_CALLBACK; nothing crashes.
  Energy throwing = Energy::from_callable(2, [](const double* p, int64_t) -> double {
    if (p[0] > 0.75) throw std::domain_error("x0 out of range");
    return p[0];
  });
  CHECK(throwing.eval(std::vector<double>{0.5, 0}, 2)[0] == 0.5);
  CHECK_THROWS(throwing.eval(x, 2), EBM_ERR_CALLBACK, "x0 out of range");
  CHECK_THROWS(throwing.gradient(x, 2), EBM_ERR_CALLBACK, "x0 out of range");
  Energy unknown = Energy::from_callable(1, [](const double*, int64_t) -> double { throw 42; });
  CHECK_THROWS(unknown.eval(std::vector<double>{1.0}, 1), EBM_ERR_CALLBACK, "unknown C++ exception");
  Energy failing = Energy::from_callable(1, [](const double*, int64_t, int64_t, double*) {
    torchebm::callback_error("no luck");
    return 7;
  });
  CHECK_THROWS(failing.eval(std::vector<double>{1.0}, 1), EBM_ERR_CALLBACK, "callback returned 7 (no luck)");
  // A throwing callable inside a sampler fails the run, not the process (with 50 chains from
  // N(0, I), some start beyond 0.75 whatever the seed draws: P(none) = 0.77^50 < 1e-5).
  Sampler s = Sampler::langevin(throwing);
  CHECK_THROWS(s.sample<double>(50, 2, 10), EBM_ERR_CALLBACK, "x0 out of range");
  // A bad dim: the library refuses, the wrapper frees the callable.
  auto token2 = std::make_shared<int>(0);
  CHECK_THROWS(Energy::from_callable(0, [token2](const double*, int64_t) { return 0.0; }), EBM_ERR_INVALID_ARGUMENT,
               "dim");
  CHECK(token2.use_count() == 1);
}

static void samplers() {
  Energy gauss = Energy::gaussian({1.0, -1.0}, {1.0, 0.0, 0.0, 1.0});
  // Chainable params set the C fields.
  auto mp = torchebm::MalaParams().step_size(0.05).seed(3).adapt_steps(0);
  CHECK(mp.step_size() == 0.05 && mp.seed() == 3 && mp.c().struct_size == sizeof(ebm_mala_params));
  Sampler mala = Sampler::mala(gauss, mp);
  Sampler langevin = Sampler::langevin(gauss, torchebm::LangevinParams().step_size(0.05).seed(1).clamp(-10, 10));
  Sampler hmc = Sampler::hmc(gauss, torchebm::HmcParams().step_size(0.2).n_leapfrog_steps(5).mass({1.0}));
  Sampler kinetic = Sampler::kinetic_langevin(gauss, torchebm::KineticLangevinParams().step_size(0.1).mass({1.0, 2.0}));
  CHECK(std::strcmp(mala.name(), "mala") == 0 && std::strcmp(hmc.name(), "hmc") == 0);
  CHECK(std::strcmp(langevin.name(), "langevin") == 0 && std::strcmp(kinetic.name(), "kinetic_langevin") == 0);
  for (Sampler* s : {&mala, &langevin, &hmc, &kinetic}) {
    std::vector<double> xs = s->sample<double>(500, 2, 200);
    double m0 = 0, m1 = 0;
    for (size_t i = 0; i < 500; i++) m0 += xs[2 * i] / 500, m1 += xs[2 * i + 1] / 500;
    CHECK_NEAR(m0, 1.0, 0.2);
    CHECK_NEAR(m1, -1.0, 0.2);
    torchebm::SamplerStats st = s->stats();
    CHECK(st.n_chains == 500 && st.dim == 2 && st.steps == 200);
    CHECK(s->samples<double>() == xs);
    CHECK(s->energy_trace().size() == 200);
    CHECK(s->non_finite_chains() == std::vector<uint8_t>(500, 0));
  }
  std::vector<double> rates = mala.acceptance_rates();
  CHECK(rates.size() == 500 && rates[0] >= 0 && rates[0] <= 1);
  CHECK_THROWS(langevin.acceptance_rates(), EBM_ERR_INVALID_ARGUMENT, "sampler");

  // NUTS: a mass vector, the statistics it adds, per-chain divergences.
  auto np = torchebm::NutsParams().step_size(0.5).max_tree_depth(6).temperature(1.0).mass({1.0, 1.0}).seed(2);
  CHECK(np.max_tree_depth() == 6 && np.c().mass_len == 2 && np.c().struct_size == sizeof(ebm_nuts_params));
  Sampler nuts = Sampler::nuts(gauss, np);
  CHECK(std::strcmp(nuts.name(), "nuts") == 0);
  std::vector<double> nx = nuts.sample<double>(500, 2, 50);
  double nm = 0;
  for (size_t i = 0; i < 500; i++) nm += nx[2 * i + 1] / 500;
  CHECK_NEAR(nm, -1.0, 0.2);
  torchebm::SamplerStats ns = nuts.stats();
  CHECK(ns.divergences == 0 && ns.mean_tree_depth >= 1 && ns.mean_tree_depth <= 6);
  CHECK(nuts.divergences() == std::vector<int64_t>(500, 0));
  CHECK(std::isnan(langevin.stats().mean_tree_depth));
  CHECK_THROWS(langevin.divergences(), EBM_ERR_INVALID_ARGUMENT, "sampler");
  CHECK_THROWS(Sampler::nuts(gauss, torchebm::NutsParams().max_tree_depth(0)), EBM_ERR_INVALID_ARGUMENT,
               "params.max_tree_depth");

  // Reproducible: same seed, same chains; the wrapper's results equal the C API's.
  Sampler twin = Sampler::mala(gauss, mp);
  std::vector<float> c_samples(40);
  ebm_mala_params raw = ebm_mala_default_params();
  raw.step_size = 0.05;
  raw.seed = 3;
  ebm_sampler* c_sampler = nullptr;
  CHECK(ebm_mala_new(gauss.get(), &raw, &c_sampler) == EBM_OK);
  CHECK(ebm_sampler_sample_f32(c_sampler, 20, 2, 30, c_samples.data()) == EBM_OK);
  ebm_sampler_free(c_sampler);
  CHECK(twin.sample<float>(20, 2, 30) == c_samples);

  // init / run / trajectory / get_samples / step / sample_chain / reseed.
  std::vector<double> start = {0, 0, 1, 1, 2, 2};
  langevin.init(start, 2);
  std::vector<double> traj = langevin.run_trajectory<double>(10, 5);
  CHECK(traj.size() == 2 * 3 * 2);
  std::vector<double> now(6);
  langevin.get_samples(now.data(), 3, 2);
  CHECK(std::equal(now.begin(), now.end(), traj.end() - 6));
  langevin.run(3);
  CHECK(langevin.stats().steps == 13);
  std::vector<float> tf(3 * 2 * 3);
  langevin.run_trajectory(3, 1, tf.data(), static_cast<int64_t>(tf.size()));
  langevin.reseed(9);
  std::vector<double> stepped = start;
  langevin.step(stepped, 2);
  CHECK(stepped != start && langevin.stats().steps == 1);
  auto chains = langevin.sample_chain(start, 2, 4, 2);
  CHECK(chains.samples.size() == 6 && chains.trajectory.size() == 2 * 6);
  CHECK(std::equal(chains.samples.begin(), chains.samples.end(), chains.trajectory.end() - 6));
  float one[2] = {0.5f, 0.5f}, out[2];
  langevin.sample_chain(one, 1, 2, 3, 1, out, static_cast<float*>(nullptr), 0);
  langevin.step(one, 1, 2);
  langevin.init_normal<double>(4, 2);
  CHECK(langevin.samples<double>().size() == 8);
  float init32[4] = {0, 0, 1, 1};
  langevin.init(init32, 2, 2);
  float s32[4];
  langevin.sample(2, 2, 3, s32);
  CHECK(std::isfinite(s32[3]));

  // Errors name the argument.
  CHECK_THROWS(Sampler::langevin(gauss, torchebm::LangevinParams().step_size(-1)), EBM_ERR_INVALID_ARGUMENT,
               "step_size");
  CHECK_THROWS(Sampler::hmc(gauss, torchebm::HmcParams().mass({1, 2, 3})).init_normal(2, 2),
               EBM_ERR_DIMENSION_MISMATCH, "mass");
  // Windowed adaptation of the mass (variances 1 and 4 here) and its getter.
  Energy wide = Energy::gaussian({0.0, 0.0}, {1.0, 0.0, 0.0, 4.0});
  auto ap = torchebm::HmcParams().step_size(0.1).adapt_steps(400).adapt_mass(EBM_ADAPT_MASS_DIAGONAL).seed(2);
  CHECK(ap.init_buffer() == 75 && ap.term_buffer() == 50 && ap.base_window() == 25);
  Sampler adapted = Sampler::hmc(wide, ap);
  adapted.init_normal(200, 2);
  adapted.run(400);
  std::vector<double> inverse = adapted.inverse_mass();
  CHECK(inverse.size() == 2);
  CHECK_NEAR(inverse[0], 1.0, 0.2);
  CHECK_NEAR(inverse[1], 4.0, 0.8);
  Sampler dense = Sampler::hmc(wide, torchebm::HmcParams().mass({1.0, 0.0, 0.0, 0.25}));
  dense.init_normal(2, 2);
  std::vector<double> dense_inverse = dense.inverse_mass();
  CHECK(dense_inverse.size() == 4);
  CHECK_NEAR(dense_inverse[3], 4.0, 1e-9);
  CHECK_THROWS(Sampler::hmc(wide, torchebm::HmcParams().adapt_mass(EBM_ADAPT_MASS_DENSE)), EBM_ERR_INVALID_ARGUMENT,
               "params.adapt_mass");
  CHECK_THROWS(langevin.init(std::vector<double>{1, 2, 3}, 2), EBM_ERR_LENGTH_MISMATCH, "initial");
  CHECK_THROWS(langevin.run(-1), EBM_ERR_INVALID_ARGUMENT, "n_steps");
  CHECK_THROWS(Sampler().run(1), EBM_ERR_NULL_POINTER, "sampler");
}

// Temperature, the chains' state between runs, and replica exchange.
static void state_and_tempering() {
  Energy harmonic = Energy::harmonic(1.0);
  Sampler hmc = Sampler::hmc(harmonic, torchebm::HmcParams().step_size(0.3).n_leapfrog_steps(5).temperature(2.0));
  std::vector<double> x = hmc.sample<double>(2000, 2, 100);
  double var = 0;
  for (double v : x) var += v * v / 4000;
  CHECK_NEAR(var, 2.0, 0.2);
  CHECK(hmc.energies().size() == 2000);
  CHECK(hmc.acceptance_trace().size() == 100);
  std::vector<double> p(4000, 0.5);
  hmc.set_momenta(p, 2);
  CHECK(hmc.momenta<double>() == p);
  hmc.set_samples(std::vector<double>(4000, 0.0), 2);
  hmc.refresh();
  CHECK(hmc.energies() == std::vector<double>(2000, 0.0));
  CHECK_THROWS(hmc.temperatures(), EBM_ERR_INVALID_ARGUMENT, "replica-exchange");
  // Buffer sizes come from the library: a re-initialisation with 7 chains of dim 3 is seen
  // by every getter; before any initialisation they fail naming the sampler.
  hmc.init(std::vector<double>(21, 0.25), 3);
  CHECK(hmc.samples<double>() == std::vector<double>(21, 0.25));
  CHECK(hmc.energies().size() == 7 && hmc.momenta<float>().size() == 21 && hmc.acceptance_rates().size() == 7);
  Sampler fresh = Sampler::hmc(harmonic);
  CHECK_THROWS(fresh.samples<double>(), EBM_ERR_INVALID_ARGUMENT, "sampler");

  Energy well = Energy::double_well(8.0, 1.0);
  Sampler inner = Sampler::mala(well, torchebm::MalaParams().step_size(0.02));
  Sampler pt = Sampler::parallel_tempering(inner, torchebm::TemperingParams().temperatures({1.0, 2.0, 4.0, 8.0}));
  CHECK(std::strcmp(pt.name(), "parallel_tempering") == 0);
  CHECK((pt.temperatures() == std::vector<double>{1.0, 2.0, 4.0, 8.0}));
  pt.sample<double>(100, 1, 50);
  std::vector<double> swaps = pt.swap_acceptance();
  CHECK(swaps.size() == 3 && swaps[0] > 0 && swaps[0] <= 1);
  CHECK_THROWS(Sampler::parallel_tempering(inner, torchebm::TemperingParams().max_temperature(0.5)),
               EBM_ERR_INVALID_ARGUMENT, "params.max_temperature");
}

static void progress_callbacks() {
  Energy well = Energy::double_well();
  Sampler s = Sampler::langevin(well);
  std::vector<int64_t> seen;
  s.set_progress_callback([&seen](int64_t done, int64_t total, double mean_energy) {
    seen.push_back(done);
    return total == 100 && std::isfinite(mean_energy) && done < 20 ? Progress::Continue : Progress::Cancel;
  }, 5);
  s.init_normal(10, 2);
  CHECK_THROWS(s.run(100), EBM_ERR_CANCELLED, "ebm_sampler_run");
  CHECK((seen == std::vector<int64_t>{5, 10, 15, 20}));
  CHECK(s.stats().steps == 20);
  // void callables never cancel; a throwing one cancels, and nothing escapes into C.
  int calls = 0;
  s.set_progress_callback([&calls](int64_t, int64_t, double) { calls++; }, 10);
  s.run(30);
  CHECK(calls == 3);
  s.set_progress_callback([](int64_t done, int64_t, double) {
    if (done == 2) throw std::runtime_error("the host says stop");
  });
  CHECK_THROWS(s.run(10), EBM_ERR_CANCELLED, "the host says stop");
  CHECK(s.stats().steps == 52);
  s.clear_progress_callback();
  s.run(5);
  CHECK_THROWS(s.set_progress_callback([](int64_t, int64_t, double) {}, 0), EBM_ERR_INVALID_ARGUMENT, "interval");
  // The C sampler owns the callable: it moves with the handle, survives release(), and is
  // destroyed with the sampler or when replaced.
  auto token = std::make_shared<int>(0);
  s.set_progress_callback([&calls, token](int64_t, int64_t, double) { calls++; });
  CHECK(token.use_count() == 2);
  Sampler moved = std::move(s);
  moved.run(2);
  CHECK(calls == 5);
  ebm_sampler* raw = moved.release();
  CHECK(ebm_sampler_run(raw, 2) == EBM_OK && calls == 7);
  ebm_sampler_free(raw);
  CHECK(token.use_count() == 1);
  Sampler replaced = Sampler::langevin(well);
  replaced.set_progress_callback([token](int64_t, int64_t, double) {});
  CHECK(token.use_count() == 2);
  replaced.set_progress_callback([](int64_t, int64_t, double) {});
  CHECK(token.use_count() == 1);
}

static Model small_mlp(uint64_t seed, int32_t dtype = EBM_DTYPE_F32) {
  return Model::mlp(torchebm::MlpParams().hidden({8, 8}).seed(seed).dtype(dtype));
}

static void models() {
  Model m = small_mlp(1, EBM_DTYPE_F64);
  CHECK(std::strcmp(m.name(), "mlp") == 0 && m.dim() == 2);
  int64_t n = m.parameter_count();
  CHECK(n == (2 * 8 + 8) + (8 * 8 + 8) + (8 + 1));
  // The same seed gives the same weights; E equals the C evaluation.
  Model twin = small_mlp(1, EBM_DTYPE_F64);
  CHECK(twin.parameters() == m.parameters());
  std::vector<double> x = {0, 0, 1, -1};
  double c_e[2];
  CHECK(ebm_energy_eval_f64(m.get(), x.data(), 2, 2, c_e) == EBM_OK);
  CHECK(m.eval(x, 2) == std::vector<double>(c_e, c_e + 2));
  // Parameters and gradients round trip.
  std::vector<double> values(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; i++) values[static_cast<size_t>(i)] = 0.01 * static_cast<double>(i) - 0.2;
  m.set_parameters(values);
  CHECK(m.parameters<double>() == values);
  std::vector<float> as_float = m.parameters<float>();
  CHECK(as_float[5] == static_cast<float>(values[5]));
  m.set_parameters(as_float.data(), n);
  m.get_parameters(values.data(), n);
  m.set_gradients(values);
  CHECK(m.gradients() == values);
  m.set_gradients(as_float.data(), n);
  m.get_gradients(as_float.data(), n);
  CHECK(m.gradients<float>() == as_float);
  m.zero_grad();
  CHECK(m.gradients() == std::vector<double>(static_cast<size_t>(n), 0.0));
  CHECK_THROWS(m.set_parameters(std::vector<double>{1, 2}), EBM_ERR_LENGTH_MISMATCH, "values");
  // Save and load: the same energy.
  std::string path = scratch + "/test_wrapper_model.safetensors";
  m.save(path);
  Model back = Model::load(path);
  CHECK(back.eval(x, 2) == m.eval(x, 2));
  CHECK_THROWS(Model::load(scratch + "/does-not-exist.safetensors"), EBM_ERR_IO, "path");
  // The saved file is a state_dict too (tensors layers.<i>.weight/bias); to_dtype copies.
  Model as_state_dict = Model::load_state_dict(path, torchebm::MlpParams().input_dim(2).hidden({8, 8}).dtype(EBM_DTYPE_F64));
  CHECK(as_state_dict.eval(x, 2) == m.eval(x, 2));
  Model in_float = m.to_dtype(EBM_DTYPE_F32);
  CHECK(in_float.parameters<float>() == m.parameters<float>());
  CHECK(in_float.to_dtype(EBM_DTYPE_F64).parameters() == std::vector<double>(as_float.begin(), as_float.end()));
  CHECK_THROWS(Model::load_state_dict(path, torchebm::MlpParams().input_dim(2).hidden({8})), EBM_ERR_FORMAT,
               "3 linear layers");
  CHECK_THROWS(m.to_dtype(5), EBM_ERR_INVALID_ARGUMENT, "dtype");
  CHECK_THROWS(Model::torchscript(path, 2), EBM_ERR_FORMAT, "path");  // not a TorchScript archive
  CHECK_THROWS(Model::mlp(torchebm::MlpParams().input_dim(0)), EBM_ERR_INVALID_ARGUMENT, "input_dim");
  CHECK_THROWS(Model().parameter_count(),
               EBM_ERR_NULL_POINTER, "model");
}

static void losses_and_optimizers() {
  // Score matching of the analytic harmonic energy, exact: 1/2 |k x|^2 - k dim per point.
  Energy h = Energy::harmonic(2.0);
  auto exact = torchebm::ScoreMatching::create(h);
  std::vector<double> data = {1, 0, 0.5, -0.5, 0, 2};
  double expected = 0;
  for (size_t i = 0; i < 3; i++) {
    double sq = data[2 * i] * data[2 * i] + data[2 * i + 1] * data[2 * i + 1];
    expected += (0.5 * 4 * sq - 2 * 2) / 3;
  }
  CHECK_NEAR(exact.compute(data, 2), expected, 1e-9);
  CHECK_THROWS(exact.compute(std::vector<double>{1, 2, 3}, 2), EBM_ERR_LENGTH_MISMATCH, "data");

  // A model trained by denoising score matching with Adam: the loss goes down.
  Model m = small_mlp(4);
  auto sm = torchebm::ScoreMatching::create(
      m, torchebm::ScoreMatchingParams().method(EBM_SCORE_MATCHING_DENOISING).noise_scale(0.3).seed(2));
  auto adam = torchebm::Optimizer::adam(m, torchebm::AdamParams().learning_rate(0.01));
  std::vector<float> batch = torchebm::generate_dataset<float>(torchebm::DatasetParams(EBM_DATASET_CIRCLE).seed(1), 128);
  double first = sm.train_step(adam, batch, 2), last = first;
  for (int i = 0; i < 60; i++) last = sm.train_step(adam, batch.data(), 128, 2);
  CHECK(last < first);
  torchebm::OptimizerState st = adam.state();
  CHECK(st.steps == 61 && st.learning_rate == 0.01);
  adam.set_learning_rate(0.001);
  CHECK(adam.state().learning_rate == 0.001);
  CHECK_THROWS(adam.set_learning_rate(-1), EBM_ERR_INVALID_ARGUMENT, "learning_rate");
  // compute + zero_grad + step by hand (SGD): parameters move against the gradient.
  auto sgd = torchebm::Optimizer::sgd(m, torchebm::SgdParams().learning_rate(0.1).nesterov(false));
  sgd.zero_grad();
  std::vector<double> before = m.parameters();
  sm.compute(batch, 2);
  std::vector<double> grad = m.gradients();
  sgd.step();
  std::vector<double> after = m.parameters();
  CHECK_NEAR(after[0], before[0] - 0.1 * grad[0], 1e-6);

  // CD with a Langevin sampler of the model; negatives; a checkpoint restores the state.
  Sampler neg = Sampler::langevin(m, torchebm::LangevinParams().step_size(0.01).seed(5));
  auto cd = torchebm::CdLoss::create(m, neg, torchebm::CdParams().k(5).start(EBM_CD_START_PERSISTENT).buffer_size(256));
  double cd_loss = cd.train_step(adam, batch, 2);
  CHECK(std::isfinite(cd_loss));
  CHECK(std::isfinite(cd.compute(batch.data(), 128, 2)));
  auto options = torchebm::CdParams().init_steps(7).add_noise_to_real(true).real_noise_scale(1e-3);
  CHECK(options.init_steps() == 7 && options.add_noise_to_real() && options.c().real_noise_scale == 1e-3);
  CHECK(torchebm::CdParams().init_steps() == 100 && !torchebm::CdParams().add_noise_to_real());
  CHECK(cd.negatives<float>(128, 2).size() == 256);
  CHECK(cd.negatives<float>() == cd.negatives<float>(128, 2));  // sizes asked of the library
  std::vector<double> negs(256);
  cd.get_negatives(negs.data(), 128, 2);
  CHECK_THROWS(cd.negatives(3, 2), EBM_ERR_LENGTH_MISMATCH, "negatives");
  {  // A CD loss outliving its Sampler object keeps the sampler and its progress callable.
    int calls = 0;
    auto token = std::make_shared<int>(0);
    torchebm::CdLoss kept;
    {
      Sampler watched = Sampler::langevin(m);
      watched.set_progress_callback([&calls, token](int64_t, int64_t, double) { calls++; });
      kept = torchebm::CdLoss::create(m, watched);
      kept.compute(batch, 2);
      CHECK(calls > 0);  // the loss runs the sampler, callback included
    }
    int before = calls;
    CHECK(std::isfinite(kept.compute(batch, 2)) && calls > before);
    CHECK(token.use_count() == 2);
    kept = torchebm::CdLoss();
    CHECK(token.use_count() == 1);  // destroyed with the loss, which held the last sampler
  }
  std::string path = scratch + "/test_wrapper_checkpoint.safetensors";
  torchebm::checkpoint_save(path, m, &adam, &cd);
  std::vector<double> saved = m.parameters();
  double l1 = cd.train_step(adam, batch.data(), 128, 2);
  torchebm::checkpoint_load(path, m, &adam, &cd);
  CHECK(m.parameters() == saved);
  CHECK(cd.train_step(adam, batch, 2) == l1);  // resumed identically
  torchebm::checkpoint_save(path, m);
  torchebm::checkpoint_load(path, m);
  Model other = Model::mlp(torchebm::MlpParams().hidden({4}));
  CHECK_THROWS(torchebm::checkpoint_load(path, other), EBM_ERR_FORMAT, "path");
  CHECK_THROWS(torchebm::CdLoss::create(other, neg), EBM_ERR_INVALID_ARGUMENT, "sampler");
}

// All-reduces: over one process the sum is the value itself, so a counting identity
// callable must leave training and statistics unchanged while being called; a throwing one
// fails the collective call; the handle owns the callable.
static void allreduces() {
  std::vector<float> batch = torchebm::generate_dataset<float>(torchebm::DatasetParams(EBM_DATASET_CIRCLE).seed(1), 64);
  auto train = [&batch](bool distributed, int* calls) {
    Model m = small_mlp(9);
    auto sm = torchebm::ScoreMatching::create(m);
    auto adam = torchebm::Optimizer::adam(m);
    if (distributed)
      adam.set_allreduce([calls](void*, size_t count, int32_t dtype) {
        ++*calls;
        return count > 0 && (dtype == EBM_DTYPE_F32 || dtype == EBM_DTYPE_F64) ? 0 : 1;
      });
    double loss = 0;
    for (int i = 0; i < 3; i++) loss = sm.train_step(adam, batch, 2);
    return std::make_pair(m.parameters(), loss);
  };
  int calls = 0;
  auto local = train(false, &calls);
  auto combined = train(true, &calls);
  CHECK(calls == 6);  // two all-reduce calls per step
  CHECK(local.second == combined.second);
  CHECK_NEAR(combined.first[0], local.first[0], 1e-6);

  Energy well = Energy::double_well();
  Sampler s = Sampler::mala(well, torchebm::MalaParams().step_size(0.1).seed(2));
  s.init_normal(16, 2);
  s.run(10);
  torchebm::SamplerStats alone = s.stats();
  auto token = std::make_shared<int>(0);
  int stats_calls = 0;
  s.set_allreduce([&stats_calls, token](void*, size_t, int32_t) { stats_calls++; });
  CHECK(token.use_count() == 2);
  torchebm::SamplerStats together = s.stats();
  CHECK(stats_calls == 1 && together.n_chains == 16 && together.mean_energy == alone.mean_energy &&
        together.mean_acceptance == alone.mean_acceptance);
  CHECK(s.energy_trace().size() == 10 && stats_calls == 5);  // length, then values: 2 calls each
  s.set_allreduce([](void*, size_t, int32_t) -> int { throw std::runtime_error("the network is down"); });
  CHECK(token.use_count() == 1);  // the replaced callable is destroyed
  CHECK_THROWS(s.stats(), EBM_ERR_CALLBACK, "the network is down");
  s.clear_allreduce();
  CHECK(s.stats().n_chains == 16);
  // A C function with borrowed user data.
  struct Counter {
    static int32_t sum(void*, size_t, int32_t, void* user_data) { return ++*static_cast<int*>(user_data), 0; }
  };
  int c_calls = 0;
  s.set_allreduce(&Counter::sum, &c_calls);
  s.stats();
  CHECK(c_calls == 1);
  CHECK_THROWS(Sampler().set_allreduce(&Counter::sum, &c_calls), EBM_ERR_NULL_POINTER, "sampler");
  CHECK_THROWS(torchebm::Optimizer().clear_allreduce(), EBM_ERR_NULL_POINTER, "optimizer");
}

static void datasets_and_pictures() {
  auto params = torchebm::DatasetParams(EBM_DATASET_EIGHT_GAUSSIANS).seed(7).stddev(0.1);
  CHECK(params.kind() == EBM_DATASET_EIGHT_GAUSSIANS && params.stddev() == 0.1);
  std::vector<double> d = torchebm::generate_dataset<double>(params, 50);
  std::vector<double> c(100);
  ebm_dataset_params raw = ebm_dataset_default_params(EBM_DATASET_EIGHT_GAUSSIANS);
  raw.seed = 7;
  raw.std = 0.1;
  CHECK(ebm_dataset_generate_f64(&raw, 50, c.data()) == EBM_OK);
  CHECK(d == c);
  std::vector<float> f(20);
  torchebm::generate_dataset(params, 10, f.data());
  CHECK(f[0] == static_cast<float>(torchebm::generate_dataset<float>(params, 10)[0]));
  CHECK_THROWS(torchebm::generate_dataset(torchebm::DatasetParams(EBM_DATASET_GRID), 7), EBM_ERR_LENGTH_MISMATCH, "n");
  std::string png = scratch + "/test_wrapper.png";
  std::remove(png.c_str());
  torchebm::RenderOptions options;
  options.panel_size = 32;
  torchebm::render_png(Energy::double_well(), png, d, {0.0, 0.0}, options);
  std::FILE* file = std::fopen(png.c_str(), "rb");
  CHECK(file != nullptr);
  if (file) {
    unsigned char magic[4] = {0, 0, 0, 0};
    CHECK(std::fread(magic, 1, 4, file) == 4 && magic[1] == 'P' && magic[2] == 'N' && magic[3] == 'G');
    std::fclose(file);
  }
  torchebm::render_png(Energy::booth(), png, nullptr, 0, nullptr, 0, options);
  CHECK_THROWS(torchebm::render_png(Energy::double_well(), png, {1.0, 2.0, 3.0}, {}), EBM_ERR_LENGTH_MISMATCH, "data");
  CHECK_THROWS(torchebm::render_png(Energy::rosenbrock(), png, {}, {}, torchebm::RenderOptions{1, 0, 0, 1, 64, 1}),
               EBM_ERR_INVALID_ARGUMENT, "x_min");
}

static void diagnostics() {
  // Three chains of 50 draws, dim 2, laid out [t][c][j]; coordinate 1 of chain c is shifted by 10 c.
  const int64_t T = 50, C = 3, D = 2;
  std::vector<double> draws(static_cast<size_t>(T * C * D));
  for (int64_t i = 0; i < T * C * D; i++) {
    int64_t c = (i / D) % C, j = i % D;
    draws[static_cast<size_t>(i)] = std::sin(0.7 * double(i * i % 97)) + (j == 1 ? 10.0 * double(c) : 0.0);
  }
  std::vector<double> r = torchebm::rhat(draws, C, D);
  CHECK(r.size() == 2 && r[0] < 1.2 && r[1] > 2.0);
  std::vector<double> r_c(2);
  CHECK(ebm_diagnostics_rhat_f64(draws.data(), T, C, D, r_c.data()) == EBM_OK && r_c == r);
  std::vector<float> floats(draws.begin(), draws.end());
  std::vector<double> bulk = torchebm::ess_bulk(floats, C, D), tail = torchebm::ess_tail(draws, C, D);
  CHECK(bulk.size() == 2 && bulk[0] > 0 && tail.size() == 2 && tail[0] > 0);
  std::vector<double> acf = torchebm::autocorrelation(draws, C, D, 4);
  CHECK(acf.size() == 10 && std::fabs(acf[0] - 1) < 1e-12 && std::fabs(acf[1] - 1) < 1e-12);
  double out[2];
  torchebm::ess_tail(draws.data(), T, C, D, out);
  CHECK(out[0] == tail[0] && out[1] == tail[1]);
  CHECK_THROWS(torchebm::rhat(draws, 7, D), EBM_ERR_LENGTH_MISMATCH, "draws");
  CHECK_THROWS(torchebm::rhat(draws, 0, D), EBM_ERR_INVALID_ARGUMENT, "n_chains");
  CHECK_THROWS(torchebm::ess_bulk(std::vector<double>(6), C, D), EBM_ERR_INVALID_ARGUMENT, "n_draws");
  CHECK_THROWS(torchebm::autocorrelation(draws, C, D, T), EBM_ERR_INVALID_ARGUMENT, "max_lag");
  draws[7] = NAN;
  CHECK_THROWS(torchebm::ess_tail(draws, C, D), EBM_ERR_NON_FINITE, "draws");
}

#if TORCHEBM_HAS_SPAN
static void spans() {
  Energy well = Energy::double_well();
  std::vector<double> x = {1.5, -0.5, 0.0, 2.0};
  std::vector<double> e(2), g(4);
  well.eval(x, 2, e);  // vectors convert to spans
  CHECK(e == well.eval(x, 2));
  std::span<const double> xs(x);
  well.gradient(xs, 2, std::span<double>(g));
  CHECK(g == well.gradient(x, 2));
  std::vector<float> xf = {1.0f, 2.0f}, ef(1);
  well.eval(std::span<const float>(xf), 2, std::span<float>(ef));
  CHECK(ef[0] == well.eval(xf, 2)[0]);
  std::vector<double> three(3);
  CHECK_THROWS(well.eval(x, 2, three), EBM_ERR_LENGTH_MISMATCH, "energy_out");
  CHECK_THROWS(well.gradient(x, 2, three), EBM_ERR_LENGTH_MISMATCH, "gradient_out");

  Sampler s = Sampler::langevin(well);
  s.init(std::span<const double>(x), 2);
  std::vector<double> out(4);
  s.get_samples(std::span<double>(out), 2);
  CHECK(out == x);
  s.step(std::span<double>(out), 2);
  CHECK(out != x);
  CHECK_THROWS(s.get_samples(std::span<double>(three), 2), EBM_ERR_LENGTH_MISMATCH, "samples_out");

  Model m = small_mlp(2, EBM_DTYPE_F64);
  std::vector<double> p(static_cast<size_t>(int64_t(m.parameter_count())));
  m.get_parameters(std::span<double>(p));
  CHECK(p == m.parameters());
  p[0] = 0.25;
  m.set_parameters(std::span<const double>(p));
  CHECK(m.parameters()[0] == 0.25);
}
#endif

// AIS: log Z of the unnormalised standard Gaussian in 2-D is log(2 pi); small sizes (this
// test also runs under valgrind).
static void annealed_importance_sampling() {
  Energy gauss = Energy::gaussian({0.5, -0.5}, {1.0, 0.0, 0.0, 1.0});
  auto p = torchebm::AisParams().n_temperatures(30).base_std(1.5).step_size(0.2).seed(4);
  CHECK(p.c().struct_size == sizeof(ebm_ais_params) && p.n_temperatures() == 30);
  auto est = torchebm::ais_estimate(gauss, 300, 2, p);
  const double exact = std::log(2 * M_PI_VALUE);
  CHECK(est.log_weights.size() == 300 && est.samples.size() == 600);
  CHECK(est.result.standard_error > 0 && est.result.standard_error < 0.05);
  CHECK(std::fabs(est.result.log_z - exact) < 4 * est.result.standard_error);
  auto est32 = torchebm::ais_estimate<float>(gauss, 300, 2, p.sampler(EBM_AIS_SAMPLER_HMC).n_leapfrog_steps(3));
  CHECK(est32.samples.size() == 600 && std::fabs(est32.result.log_z - exact) < 4 * est32.result.standard_error);
  CHECK_THROWS(torchebm::ais_estimate(gauss, 1, 2, p), EBM_ERR_INVALID_ARGUMENT, "n_particles");
  CHECK_THROWS(torchebm::ais_estimate(gauss, 10, 2, torchebm::AisParams().base_std(0)), EBM_ERR_INVALID_ARGUMENT,
               "params.base_std");
}

int main(int argc, char** argv) {
  if (argc > 1) scratch = argv[1];
  RUN(versions_and_build_info);
  RUN(analytic_energies_match_closed_forms_and_c);
  RUN(errors_throw_with_status_and_message);
  RUN(hessian_vector_products);
  RUN(raii_and_moves);
  RUN(callable_energies);
  RUN(samplers);
  RUN(state_and_tempering);
  RUN(progress_callbacks);
  RUN(models);
  RUN(losses_and_optimizers);
  RUN(allreduces);
  RUN(datasets_and_pictures);
  RUN(diagnostics);
  RUN(annealed_importance_sampling);
#if TORCHEBM_HAS_SPAN
  RUN(spans);
  std::printf("(C++20: std::span overloads tested)\n");
#endif
  return check_result();
}
