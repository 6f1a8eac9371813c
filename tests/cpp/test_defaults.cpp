// Every default the C++ wrapper starts from is the library's: each params class's struct
// equals its ebm_*_default_params() field by field, each Schedule constructor's untouched
// fields equal ebm_schedule_default(kind)'s, and DatasetParams(kind) equals
// ebm_dataset_default_params(kind) for every kind. A default written again in torchebm.hpp
// (and then changed in the library) fails here.
#include <torchebm.hpp>

#include "check.hpp"

namespace ebm = torchebm;

// One CHECK per field, naming it in the failure message.
#define SAME(field) CHECK(wrapper.field == library.field)
#define SAME_SCHEDULE(field)     \
  SAME(field.kind);              \
  SAME(field.end_value);         \
  SAME(field.decay_rate);        \
  SAME(field.min_value);         \
  SAME(field.n_steps)

static void langevin_params_are_the_library_defaults() {
  const ebm_langevin_params wrapper = ebm::LangevinParams().c();
  const ebm_langevin_params library = ebm_langevin_default_params();
  SAME(struct_size);
  SAME(step_size);
  SAME(noise_scale);
  SAME_SCHEDULE(step_size_schedule);
  SAME_SCHEDULE(noise_scale_schedule);
  SAME(clamp);
  SAME(clamp_min);
  SAME(clamp_max);
  SAME(seed);
  SAME(device);
  SAME(rng);
  SAME(first_chain);
}

static void mala_params_are_the_library_defaults() {
  const ebm_mala_params wrapper = ebm::MalaParams().c();
  const ebm_mala_params library = ebm_mala_default_params();
  SAME(struct_size);
  SAME(step_size);
  SAME_SCHEDULE(step_size_schedule);
  SAME(adapt_steps);
  SAME(target_accept);
  SAME(seed);
  SAME(device);
  SAME(rng);
  SAME(first_chain);
  SAME(temperature);
}

static void hmc_params_are_the_library_defaults() {
  const ebm_hmc_params wrapper = ebm::HmcParams().c();
  const ebm_hmc_params library = ebm_hmc_default_params();
  SAME(struct_size);
  SAME(step_size);
  SAME(n_leapfrog_steps);
  SAME(mass);
  SAME(mass_len);
  SAME_SCHEDULE(step_size_schedule);
  SAME(adapt_steps);
  SAME(target_accept);
  SAME(seed);
  SAME(device);
  SAME(rng);
  SAME(first_chain);
  SAME(temperature);
  SAME(adapt_mass);
  SAME(init_buffer);
  SAME(term_buffer);
  SAME(base_window);
}

static void nuts_params_are_the_library_defaults() {
  const ebm_nuts_params wrapper = ebm::NutsParams().c();
  const ebm_nuts_params library = ebm_nuts_default_params();
  SAME(struct_size);
  SAME(step_size);
  SAME(max_tree_depth);
  SAME(mass);
  SAME(mass_len);
  SAME(temperature);
  SAME_SCHEDULE(step_size_schedule);
  SAME(adapt_steps);
  SAME(target_accept);
  SAME(seed);
  SAME(device);
  SAME(rng);
  SAME(first_chain);
  SAME(adapt_mass);
  SAME(init_buffer);
  SAME(term_buffer);
  SAME(base_window);
}

static void kinetic_langevin_params_are_the_library_defaults() {
  const ebm_kinetic_langevin_params wrapper = ebm::KineticLangevinParams().c();
  const ebm_kinetic_langevin_params library = ebm_kinetic_langevin_default_params();
  SAME(struct_size);
  SAME(step_size);
  SAME(friction);
  SAME(mass);
  SAME(mass_len);
  SAME_SCHEDULE(step_size_schedule);
  SAME(seed);
  SAME(device);
  SAME(rng);
  SAME(first_chain);
  SAME(temperature);
}

static void tempering_params_are_the_library_defaults() {
  const ebm_tempering_params wrapper = ebm::TemperingParams().c();
  const ebm_tempering_params library = ebm_tempering_default_params();
  SAME(struct_size);
  SAME(n_temperatures);
  SAME(max_temperature);
  SAME(temperatures);
  SAME(temperatures_len);
  SAME(swap_interval);
}

static void mlp_params_are_the_library_defaults() {
  const ebm_mlp_params wrapper = ebm::MlpParams().c();
  const ebm_mlp_params library = ebm_mlp_default_params();
  SAME(struct_size);
  SAME(input_dim);
  SAME(hidden);
  SAME(n_hidden);
  SAME(activation);
  SAME(spectral_norm);
  SAME(dtype);
  SAME(device);
  SAME(seed);
}

static void cd_params_are_the_library_defaults() {
  const ebm_cd_params wrapper = ebm::CdParams().c();
  const ebm_cd_params library = ebm_cd_default_params();
  SAME(struct_size);
  SAME(k);
  SAME(start);
  SAME(buffer_size);
  SAME(reinit_fraction);
  SAME(energy_reg_weight);
  SAME(n_negatives);
  SAME(seed);
}

static void score_matching_params_are_the_library_defaults() {
  const ebm_score_matching_params wrapper = ebm::ScoreMatchingParams().c();
  const ebm_score_matching_params library = ebm_score_matching_default_params();
  SAME(struct_size);
  SAME(method);
  SAME(n_projections);
  SAME(projection);
  SAME(noise_scale);
  SAME(seed);
}

static void sgd_params_are_the_library_defaults() {
  const ebm_sgd_params wrapper = ebm::SgdParams().c();
  const ebm_sgd_params library = ebm_sgd_default_params();
  SAME(struct_size);
  SAME(learning_rate);
  SAME(momentum);
  SAME(dampening);
  SAME(nesterov);
  SAME(weight_decay);
  SAME(max_grad_norm);
}

static void adam_params_are_the_library_defaults() {
  const ebm_adam_params wrapper = ebm::AdamParams().c();
  const ebm_adam_params library = ebm_adam_default_params();
  SAME(struct_size);
  SAME(learning_rate);
  SAME(beta1);
  SAME(beta2);
  SAME(eps);
  SAME(weight_decay);
  SAME(decoupled_weight_decay);
  SAME(max_grad_norm);
}

static void ais_params_are_the_library_defaults() {
  const ebm_ais_params wrapper = ebm::AisParams().c();
  const ebm_ais_params library = ebm_ais_default_params();
  SAME(struct_size);
  SAME(n_temperatures);
  SAME(schedule);
  SAME(sampler);
  SAME(step_size);
  SAME(n_leapfrog_steps);
  SAME(inner_steps);
  SAME(base_std);
  SAME(seed);
  SAME(device);
  SAME(rng);
  SAME(first_chain);
}

static void dataset_params_are_the_library_defaults_for_every_kind() {
  for (int32_t kind : {EBM_DATASET_GAUSSIAN_MIXTURE, EBM_DATASET_EIGHT_GAUSSIANS, EBM_DATASET_TWO_MOONS,
                       EBM_DATASET_SWISS_ROLL, EBM_DATASET_CIRCLE, EBM_DATASET_CHECKERBOARD,
                       EBM_DATASET_PINWHEEL, EBM_DATASET_GRID}) {
    const ebm_dataset_params wrapper = ebm::DatasetParams(kind).c();
    const ebm_dataset_params library = ebm_dataset_default_params(kind);
    SAME(struct_size);
    SAME(kind);
    SAME(seed);
    SAME(std);
    SAME(scale);
    SAME(radius);
    SAME(noise);
    SAME(arclength);
    SAME(range_limit);
    SAME(n_components);
    SAME(n_classes);
    SAME(radial_scale);
    SAME(angular_scale);
    SAME(spiral_scale);
    SAME(points_per_dim);
  }
}

// The fields a constructor takes are the caller's; the others are the library's defaults of
// that kind (no min_value of 0, which the library refuses for a decaying step size).
static void schedules_start_from_the_library_defaults() {
  {
    const ebm_schedule wrapper = ebm::Schedule::constant();
    const ebm_schedule library = ebm_schedule_default(EBM_SCHEDULE_CONSTANT);
    SAME(kind);
    SAME(end_value);
    SAME(decay_rate);
    SAME(min_value);
    SAME(n_steps);
  }
  {
    const ebm_schedule wrapper = ebm::Schedule::exponential_decay(0.5, 0.25);
    const ebm_schedule library = ebm_schedule_default(EBM_SCHEDULE_EXPONENTIAL_DECAY);
    SAME(kind);
    SAME(end_value);
    SAME(n_steps);
    CHECK(wrapper.decay_rate == 0.5 && wrapper.min_value == 0.25);
  }
  for (int32_t kind : {EBM_SCHEDULE_LINEAR, EBM_SCHEDULE_COSINE}) {
    const ebm_schedule wrapper = kind == EBM_SCHEDULE_LINEAR ? ebm::Schedule::linear(0.5, 7) : ebm::Schedule::cosine(0.5, 7);
    const ebm_schedule library = ebm_schedule_default(kind);
    SAME(kind);
    SAME(decay_rate);
    SAME(min_value);
    CHECK(wrapper.end_value == 0.5 && wrapper.n_steps == 7);
  }
  // The default params' constant schedules are ebm_schedule_default's, so every wrapper that
  // starts from either agrees.
  const ebm_schedule wrapper = ebm_langevin_default_params().step_size_schedule;
  const ebm_schedule library = ebm_schedule_default(EBM_SCHEDULE_CONSTANT);
  SAME(kind);
  SAME(end_value);
  SAME(decay_rate);
  SAME(min_value);
  SAME(n_steps);
  // A kind's defaults are valid for a step size: an exponential decay left at them is accepted.
  ebm_mala_params mala = ebm_mala_default_params();
  mala.step_size_schedule = ebm_schedule_default(EBM_SCHEDULE_EXPONENTIAL_DECAY);
  mala.step_size_schedule.decay_rate = 0.9;
  ebm_energy* energy = nullptr;
  ebm_sampler* sampler = nullptr;
  CHECK(ebm_energy_harmonic_new(EBM_HARMONIC_DEFAULT_K, &energy) == EBM_OK);
  CHECK(ebm_mala_new(energy, &mala, &sampler) == EBM_OK);
  ebm_sampler_free(sampler);
  ebm_energy_free(energy);
}

int main() {
  RUN(langevin_params_are_the_library_defaults);
  RUN(mala_params_are_the_library_defaults);
  RUN(hmc_params_are_the_library_defaults);
  RUN(nuts_params_are_the_library_defaults);
  RUN(kinetic_langevin_params_are_the_library_defaults);
  RUN(tempering_params_are_the_library_defaults);
  RUN(mlp_params_are_the_library_defaults);
  RUN(cd_params_are_the_library_defaults);
  RUN(score_matching_params_are_the_library_defaults);
  RUN(sgd_params_are_the_library_defaults);
  RUN(adam_params_are_the_library_defaults);
  RUN(ais_params_are_the_library_defaults);
  RUN(dataset_params_are_the_library_defaults_for_every_kind);
  RUN(schedules_start_from_the_library_defaults);
  return check_result();
}
