//! Every ebm_*_default_params() and ebm_schedule_default() is the core's default converted:
//! the C structs hold exactly the values of the core's `Default` impls and `DEFAULT_*`
//! constants, so that a default changed in the core reaches C, C++ and Julia at once.

use torchebm::data::Dataset;
use torchebm::ffi;
use torchebm::loss::{CdParams, ChainStart, Projection, ScoreMatching, ScoreMatchingMethod};
use torchebm::model::MlpSpec;
use torchebm::optim::{Optimizer, Rule};
use torchebm::sampler::{Schedule, TemperingParams};

#[test]
fn schedule_defaults_are_the_cores() {
    let Schedule::ExponentialDecay { decay_rate, min_value } = Schedule::DEFAULT_EXPONENTIAL_DECAY else {
        panic!("DEFAULT_EXPONENTIAL_DECAY is an exponential decay")
    };
    let Schedule::Linear { end_value, n_steps } = Schedule::DEFAULT_LINEAR else {
        panic!("DEFAULT_LINEAR is linear")
    };
    assert_eq!(Schedule::DEFAULT_COSINE, Schedule::Cosine { end_value, n_steps });
    // A decaying step size left at the defaults stays valid (min_value > 0).
    assert!(min_value > 0.0);
    for kind in [
        ffi::EBM_SCHEDULE_CONSTANT,
        ffi::EBM_SCHEDULE_EXPONENTIAL_DECAY,
        ffi::EBM_SCHEDULE_LINEAR,
        ffi::EBM_SCHEDULE_COSINE,
    ] {
        let s = ffi::ebm_schedule_default(kind);
        assert_eq!(
            (s.kind, s.end_value, s.decay_rate, s.min_value, s.n_steps),
            (kind, end_value, decay_rate, min_value, n_steps as i64)
        );
    }
    // The default params' constant schedules are the same struct.
    let langevin = ffi::ebm_langevin_default_params().step_size_schedule;
    let constant = ffi::ebm_schedule_default(ffi::EBM_SCHEDULE_CONSTANT);
    assert_eq!(
        (
            langevin.kind,
            langevin.end_value,
            langevin.decay_rate,
            langevin.min_value,
            langevin.n_steps
        ),
        (
            constant.kind,
            constant.end_value,
            constant.decay_rate,
            constant.min_value,
            constant.n_steps
        )
    );
}

#[test]
fn optimizer_defaults_are_the_cores() {
    let sgd = ffi::ebm_sgd_default_params();
    assert_eq!(sgd.learning_rate, Rule::DEFAULT_SGD.default_learning_rate());
    assert_eq!(
        Rule::DEFAULT_SGD,
        Rule::Sgd {
            momentum: sgd.momentum,
            dampening: sgd.dampening,
            nesterov: sgd.nesterov != 0,
            weight_decay: sgd.weight_decay,
        }
    );
    let adam = ffi::ebm_adam_default_params();
    assert_eq!(adam.learning_rate, Rule::DEFAULT_ADAM.default_learning_rate());
    assert_eq!(
        Rule::DEFAULT_ADAM,
        Rule::Adam {
            beta1: adam.beta1,
            beta2: adam.beta2,
            eps: adam.eps,
            weight_decay: adam.weight_decay,
            decoupled_weight_decay: adam.decoupled_weight_decay != 0,
        }
    );
    assert_eq!(Optimizer::DEFAULT_MAX_GRAD_NORM, None);
    assert_eq!((sgd.max_grad_norm, adam.max_grad_norm), (0.0, 0.0));
}

#[test]
fn loss_defaults_are_the_cores() {
    let cd = ffi::ebm_cd_default_params();
    let core = CdParams::default();
    assert_eq!(core.start, ChainStart::Noise);
    assert_eq!(
        (cd.k, cd.start, cd.energy_reg_weight, cd.n_negatives, cd.seed),
        (
            core.k as i64,
            ffi::EBM_CD_START_NOISE,
            core.energy_reg_weight,
            core.n_negatives as i64,
            core.seed
        )
    );
    assert_eq!(
        ChainStart::DEFAULT_PERSISTENT,
        ChainStart::Persistent {
            buffer_size: cd.buffer_size as usize,
            reinit_fraction: cd.reinit_fraction,
        }
    );
    let sm = ffi::ebm_score_matching_default_params();
    assert_eq!(ScoreMatchingMethod::default(), ScoreMatchingMethod::Exact);
    assert_eq!(sm.method, ffi::EBM_SCORE_MATCHING_EXACT);
    assert_eq!(
        ScoreMatchingMethod::DEFAULT_SLICED,
        ScoreMatchingMethod::Sliced {
            projections: sm.n_projections as usize,
            distribution: if sm.projection == ffi::EBM_PROJECTION_RADEMACHER {
                Projection::Rademacher
            } else {
                Projection::Gaussian
            },
        }
    );
    assert_eq!(
        ScoreMatchingMethod::DEFAULT_DENOISING,
        ScoreMatchingMethod::Denoising {
            noise_scale: sm.noise_scale
        }
    );
    assert_eq!(sm.seed, ScoreMatching::DEFAULT_SEED);
}

#[test]
fn model_and_tempering_defaults_are_the_cores() {
    let mlp = ffi::ebm_mlp_default_params();
    let spec = MlpSpec::default();
    assert_eq!(
        (
            mlp.input_dim,
            mlp.n_hidden,
            mlp.hidden.is_null(),
            mlp.spectral_norm != 0,
            mlp.seed
        ),
        (
            spec.input_dim as i64,
            0,
            true,
            spec.spectral_norm,
            MlpSpec::DEFAULT_SEED
        )
    );
    assert_eq!(
        (mlp.activation, mlp.dtype, mlp.device),
        (ffi::EBM_ACTIVATION_SILU, ffi::EBM_DTYPE_F32, ffi::EBM_DEVICE_CPU)
    );
    let tempering = ffi::ebm_tempering_default_params();
    assert_eq!(
        (
            tempering.n_temperatures,
            tempering.max_temperature,
            tempering.swap_interval
        ),
        (
            TemperingParams::DEFAULT_REPLICAS as i64,
            TemperingParams::DEFAULT_MAX_TEMPERATURE,
            TemperingParams::DEFAULT_SWAP_INTERVAL as i64
        )
    );
}

/// (std, scale, radius, noise, arclength, range_limit, n_components, n_classes, radial_scale,
/// angular_scale, spiral_scale, points_per_dim) of a dataset's C params.
fn fields(p: &ffi::ebm_dataset_params) -> [f64; 12] {
    [
        p.std,
        p.scale,
        p.radius,
        p.noise,
        p.arclength,
        p.range_limit,
        p.n_components as f64,
        p.n_classes as f64,
        p.radial_scale,
        p.angular_scale,
        p.spiral_scale,
        p.points_per_dim as f64,
    ]
}

#[test]
fn dataset_defaults_are_the_cores_for_every_kind() {
    let kinds = [
        (ffi::EBM_DATASET_GAUSSIAN_MIXTURE, Dataset::DEFAULT_GAUSSIAN_MIXTURE),
        (ffi::EBM_DATASET_EIGHT_GAUSSIANS, Dataset::DEFAULT_EIGHT_GAUSSIANS),
        (ffi::EBM_DATASET_TWO_MOONS, Dataset::DEFAULT_TWO_MOONS),
        (ffi::EBM_DATASET_SWISS_ROLL, Dataset::DEFAULT_SWISS_ROLL),
        (ffi::EBM_DATASET_CIRCLE, Dataset::DEFAULT_CIRCLE),
        (ffi::EBM_DATASET_CHECKERBOARD, Dataset::DEFAULT_CHECKERBOARD),
        (ffi::EBM_DATASET_PINWHEEL, Dataset::DEFAULT_PINWHEEL),
        (ffi::EBM_DATASET_GRID, Dataset::DEFAULT_GRID),
    ];
    for (kind, dataset) in kinds {
        let p = ffi::ebm_dataset_default_params(kind);
        assert_eq!((p.kind, p.seed), (kind, Dataset::DEFAULT_SEED));
        let [std, scale, radius, noise, arclength, range_limit, n_components, n_classes, radial_scale, angular_scale, spiral_scale, points_per_dim] =
            fields(&p);
        let own = match dataset {
            Dataset::GaussianMixture { .. } => Dataset::GaussianMixture {
                n_components: n_components as usize,
                std,
                radius,
            },
            Dataset::EightGaussians { .. } => Dataset::EightGaussians { std, scale },
            Dataset::TwoMoons { .. } => Dataset::TwoMoons { noise },
            Dataset::SwissRoll { .. } => Dataset::SwissRoll { noise, arclength },
            Dataset::Circle { .. } => Dataset::Circle { noise, radius },
            Dataset::Checkerboard { .. } => Dataset::Checkerboard { range_limit, noise },
            Dataset::Pinwheel { .. } => Dataset::Pinwheel {
                n_classes: n_classes as usize,
                noise,
                radial_scale,
                angular_scale,
                spiral_scale,
            },
            Dataset::Grid { .. } => Dataset::Grid {
                points_per_dim: points_per_dim as usize,
                range_limit,
                noise,
            },
        };
        assert_eq!(own, dataset, "{}", dataset.name());
    }
    // The fields a kind does not read are unchanged from before this conversion: TorchEBM's
    // values of the kinds that read them (std 0.05, noise 0.05, range_limit 1 when shared).
    assert_eq!(
        fields(&ffi::ebm_dataset_default_params(ffi::EBM_DATASET_TWO_MOONS)),
        [0.05, 2.0, 1.0, 0.05, 3.0, 1.0, 8.0, 5.0, 2.0, 0.1, 5.0, 10.0]
    );
}
