// Loads a model saved by train_2d, checks it against the data, and samples it with Langevin
// dynamics. Usage: load_model [model_path]   (default build/cpp/two_moons.safetensors)
#include <cstdio>
#include <string>
#include <vector>

#include "torchebm.hpp"

int main(int argc, char** argv) try {
  const std::string path = argc > 1 ? argv[1] : "build/cpp/two_moons.safetensors";
  auto model = torchebm::Model::load(path);
  std::printf("loaded %s: a %s energy of dim %lld with %lld parameters\n", path.c_str(), model.name(),
              (long long)model.dim(), (long long)model.parameter_count());

  // Points on the moons should have lower energy than points far from them.
  auto moons = torchebm::generate_dataset<double>(torchebm::DatasetParams(EBM_DATASET_TWO_MOONS).seed(2), 200);
  std::vector<double> far = {3.0, 3.0, -3.0, -3.0, 3.0, -3.0};
  double on_data = 0, off_data = 0;
  for (double e : model.eval(moons, 2)) on_data += e / 200;
  for (double e : model.eval(far, 2)) off_data += e / 3;
  std::printf("mean energy on the data %.3f, far from it %.3f\n", on_data, off_data);

  auto langevin = torchebm::Sampler::langevin(model, torchebm::LangevinParams().step_size(0.005).seed(4));
  std::vector<float> samples = langevin.sample<float>(500, 2, 500);
  double energy_of_samples = 0;
  for (float e : model.eval(samples, 2)) energy_of_samples += e / 500.0;
  std::printf("500 Langevin samples: mean energy %.3f (started from N(0, I))\n", energy_of_samples);
  return on_data < off_data ? 0 : 1;
} catch (const torchebm::Error& e) {
  std::fprintf(stderr, "error %d: %s\n", e.status(), e.what());
  return 1;
}
