// Trains an MLP energy on the two-moons dataset by denoising score matching with Adam, then
// saves it. Usage: train_2d [model_path]   (default build/cpp/two_moons.safetensors)
#include <cstdio>
#include <string>
#include <vector>

#include "torchebm.hpp"

int main(int argc, char** argv) try {
  const std::string path = argc > 1 ? argv[1] : "build/cpp/two_moons.safetensors";
  const int64_t n_data = 4096, batch = 256, steps = 300;
  std::vector<float> data =
      torchebm::generate_dataset<float>(torchebm::DatasetParams(EBM_DATASET_TWO_MOONS).noise(0.05).seed(1), n_data);

  auto model = torchebm::Model::mlp(torchebm::MlpParams().hidden({64, 64}).seed(0));
  auto loss = torchebm::ScoreMatching::create(
      model, torchebm::ScoreMatchingParams().method(EBM_SCORE_MATCHING_DENOISING).noise_scale(0.1));
  auto adam = torchebm::Optimizer::adam(model, torchebm::AdamParams().learning_rate(3e-3));
  std::printf("training a 2 -> 64 -> 64 -> 1 MLP (%lld parameters) on two moons\n",
              (long long)model.parameter_count());

  double first = 0, average = 0;
  for (int64_t step = 0; step < steps; step++) {
    const float* x = data.data() + 2 * ((step * batch) % n_data);
    double value = loss.train_step(adam, x, batch, 2);
    if (step == 0) first = value;
    if (step >= steps - 50) average += value / 50;
    if (step % 50 == 0 || step == steps - 1) std::printf("step %4lld  loss %9.4f\n", (long long)step, value);
  }
  model.save(path);
  std::printf("loss %.4f -> %.4f (mean of the last 50 steps); saved %s\n", first, average, path.c_str());
  return average < first ? 0 : 1;
} catch (const torchebm::Error& e) {
  std::fprintf(stderr, "error %d: %s\n", e.status(), e.what());
  return 1;
}
