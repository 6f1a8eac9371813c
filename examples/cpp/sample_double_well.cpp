// Samples the double well E(x) = a * sum_i (x_i^2 - b)^2 with MALA (step size adapted toward
// 57.4% acceptance) and prints where the chains went: half in each well, at x = +-sqrt(b).
//
// Build (from the repository root): c++ -std=c++17 examples/cpp/sample_double_well.cpp
//   -Ibindings/cpp -Iinclude -Ltarget/release -ltorchebm -Wl,-rpath,$PWD/target/release
#include <cmath>
#include <cstdio>
#include <vector>

#include "torchebm.hpp"

int main() try {
  torchebm::check_version();  // the header and the loaded library are the same release
  auto well = torchebm::Energy::double_well(/*a=*/1.0, /*b=*/2.0);

  auto mala = torchebm::Sampler::mala(well, torchebm::MalaParams().step_size(0.05).adapt_steps(300).seed(3));
  const int64_t chains = 2000, dim = 1;
  std::vector<double> x = mala.sample<double>(chains, dim, 1500);

  double right = 0, mean_abs = 0;
  for (double v : x) {
    right += v > 0 ? 1.0 / chains : 0.0;
    mean_abs += std::fabs(v) / chains;
  }
  torchebm::SamplerStats stats = mala.stats();
  std::printf("%s: %lld chains x %lld steps\n", mala.name(), (long long)stats.n_chains, (long long)stats.steps);
  std::printf("P(x > 0) = %.3f (expected 0.5), mean |x| = %.3f (wells at %.3f)\n", right, mean_abs, std::sqrt(2.0));
  std::printf("adapted step size %.4f, acceptance %.1f%%, mean energy %.4f\n", stats.step_size,
              100 * stats.mean_acceptance, stats.mean_energy);
  return right > 0.4 && right < 0.6 && std::fabs(mean_abs - std::sqrt(2.0)) < 0.2 ? 0 : 1;
} catch (const torchebm::Error& e) {
  std::fprintf(stderr, "error %d (%s): %s\n", e.status(), torchebm::status_string(e.status()), e.what());
  return 1;
}
