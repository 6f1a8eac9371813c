//! Annealed importance sampling estimates log Z = log ∫ exp(−E): checked against the exact
//! value of an unnormalised Gaussian, of a double well (quadrature) and of a normalised
//! Gaussian mixture (0), with |estimate − exact| < 4 reported standard errors at fixed
//! seeds; a negative control shows the check has the power to fail.

use std::f64::consts::PI;
use std::sync::Arc;

use torchebm::energy::{DoubleWell, Energy, Gaussian, GaussianMixture};
use torchebm::estimate::{ais_estimate, AisParams, AisResult, BetaSchedule, InnerSampler};
use torchebm::sampler::{RngKind, SamplerOptions};
use torchebm::Error;

const MEAN: [f64; 3] = [0.5, -1.0, 0.3];
const COV: [f64; 9] = [1.5, 0.3, 0.0, 0.3, 0.8, 0.2, 0.0, 0.2, 1.2];

fn gaussian() -> Arc<dyn Energy> {
    Arc::new(Gaussian::new(&MEAN, &COV).unwrap())
}

/// (d/2) log 2π + ½ log det Σ for E = ½ (x − μ)ᵀ Σ⁻¹ (x − μ).
fn gaussian_log_z() -> f64 {
    let c = COV;
    let det =
        c[0] * (c[4] * c[8] - c[5] * c[7]) - c[1] * (c[3] * c[8] - c[5] * c[6]) + c[2] * (c[3] * c[7] - c[4] * c[6]);
    1.5 * (2.0 * PI).ln() + 0.5 * det.ln()
}

/// log ∫ exp(−a (x² − b)²) dx by composite Simpson on [−8, 8] with 20 000 intervals (the
/// integrand is below e^-3000 at the ends; the rule's error is far below 1e-10 here).
fn double_well_log_z_1d(a: f64, b: f64) -> f64 {
    let (lo, hi, m) = (-8.0, 8.0, 20_000);
    let h = (hi - lo) / m as f64;
    let f = |x: f64| (-a * (x * x - b).powi(2)).exp();
    let mut sum = f(lo) + f(hi);
    for i in 1..m {
        sum += f(lo + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    (sum * h / 3.0).ln()
}

fn params(k: usize, base_std: f64, step_size: f64) -> AisParams {
    AisParams {
        n_temperatures: k,
        base_std,
        step_size,
        options: SamplerOptions {
            seed: 11,
            ..Default::default()
        },
        ..Default::default()
    }
}

fn run(energy: Arc<dyn Energy>, params: &AisParams, n: usize, dim: usize) -> AisResult {
    ais_estimate::<f64>(energy, params, n, dim, None).unwrap()
}

fn report(what: &str, r: &AisResult, exact: f64) {
    eprintln!(
        "{what}: log Z = {:.5} ± {:.5} (exact {exact:.5}, error {:+.5} = {:+.2} SE), ESS {:.0}, acceptance {:.3}",
        r.log_z,
        r.standard_error,
        r.log_z - exact,
        (r.log_z - exact) / r.standard_error,
        r.effective_sample_size,
        r.mean_acceptance
    );
}

/// The estimate is within 4 standard errors of `exact`, and the standard error is below
/// `max_se` (so the check is not vacuous).
fn assert_close(what: &str, r: &AisResult, exact: f64, max_se: f64) {
    report(what, r, exact);
    assert!(
        r.standard_error > 0.0 && r.standard_error < max_se,
        "{what}: standard error {}",
        r.standard_error
    );
    assert!(
        (r.log_z - exact).abs() < 4.0 * r.standard_error,
        "{what}: {} vs exact {exact} (SE {})",
        r.log_z,
        r.standard_error
    );
}

#[test]
fn gaussian_log_z_matches_the_closed_form() {
    let r = run(gaussian(), &params(100, 1.5, 0.2), 1000, 3);
    assert_close("gaussian, MALA", &r, gaussian_log_z(), 0.02);
    let hmc = AisParams {
        sampler: InnerSampler::Hmc { n_leapfrog_steps: 5 },
        step_size: 0.3,
        schedule: BetaSchedule::Linear,
        ..params(50, 1.5, 0.3)
    };
    let r = run(gaussian(), &hmc, 1000, 3);
    assert_close("gaussian, HMC, linear", &r, gaussian_log_z(), 0.02);
    assert!(r.mean_acceptance > 0.5, "acceptance {}", r.mean_acceptance);
}

#[test]
fn double_well_log_z_matches_quadrature() {
    let exact = 2.0 * double_well_log_z_1d(DoubleWell::DEFAULT_A, DoubleWell::DEFAULT_B);
    let r = run(Arc::new(DoubleWell::default()), &params(200, 1.5, 0.05), 1000, 2);
    assert_close("double well 2-D", &r, exact, 0.03);
}

#[test]
fn normalised_mixture_has_log_z_zero() {
    let means = [-2.0, 0.0, 2.0, 1.0];
    let covs = [0.5, 0.1, 0.1, 0.4, 0.3, 0.0, 0.0, 0.6];
    let mixture = Arc::new(GaussianMixture::new(&[0.3, 0.7], &means, &covs, 2).unwrap());
    let r = run(mixture, &params(200, 2.0, 0.1), 1000, 2);
    assert_close("mixture", &r, 0.0, 0.03);
}

#[test]
fn tensor_particles_in_float_and_double_agree_with_the_closed_form() {
    let torch = AisParams {
        options: SamplerOptions {
            seed: 5,
            rng: RngKind::Torch,
            ..Default::default()
        },
        ..params(60, 1.5, 0.2)
    };
    let exact = gaussian_log_z();
    let r = ais_estimate::<f64>(gaussian(), &torch, 500, 3, None).unwrap();
    assert_close("gaussian, libtorch f64", &r, exact, 0.04);
    let mut samples = vec![0f32; 500 * 3];
    let r = ais_estimate::<f32>(gaussian(), &torch, 500, 3, Some(&mut samples)).unwrap();
    assert_close("gaussian, libtorch f32", &r, exact, 0.04);
    assert!(samples.iter().all(|v| v.is_finite()));
}

/// The check has power: the same runs would reject an error of 0.15 in log Z, and a poor
/// estimator (plain importance sampling from a narrow base with few particles) is either
/// detectably off or reports a large standard error.
#[test]
fn negative_controls_fail_the_check() {
    let exact = 2.0 * double_well_log_z_1d(DoubleWell::DEFAULT_A, DoubleWell::DEFAULT_B);
    let r = run(Arc::new(DoubleWell::default()), &params(200, 1.5, 0.05), 1000, 2);
    assert!((r.log_z - (exact + 0.15)).abs() > 4.0 * r.standard_error);
    assert!((r.log_z - (exact - 0.15)).abs() > 4.0 * r.standard_error);

    let poor = run(Arc::new(DoubleWell::default()), &params(1, 0.3, 0.05), 20, 2);
    report("double well, K = 1, sigma 0.3, N = 20", &poor, exact);
    assert!(poor.mean_acceptance.is_nan());
    assert!((poor.log_z - exact).abs() > 4.0 * poor.standard_error || poor.standard_error > 0.2);
}

#[test]
fn particles_do_not_depend_on_how_many_run() {
    let p = params(20, 1.5, 0.05);
    let many = run(Arc::new(DoubleWell::default()), &p, 64, 2);
    let again = run(Arc::new(DoubleWell::default()), &p, 64, 2);
    assert_eq!(many, again);
    let two = run(Arc::new(DoubleWell::default()), &p, 2, 2);
    assert_eq!(two.log_weights[..], many.log_weights[..2]);
    // Particles 5 and 6 on their own, through first_chain.
    let shard = AisParams {
        options: SamplerOptions {
            first_chain: 5,
            ..p.options
        },
        ..p
    };
    let shard = run(Arc::new(DoubleWell::default()), &shard, 2, 2);
    assert_eq!(shard.log_weights[..], many.log_weights[5..7]);
    let other_seed = AisParams {
        options: SamplerOptions { seed: 12, ..p.options },
        ..p
    };
    assert_ne!(
        run(Arc::new(DoubleWell::default()), &other_seed, 64, 2).log_weights,
        many.log_weights
    );
}

fn failure(energy: Arc<dyn Energy>, p: AisParams, n: usize, dim: usize) -> Error {
    ais_estimate::<f64>(energy, &p, n, dim, None).unwrap_err()
}

fn assert_names(error: Error, arg: &str) {
    let text = error.to_string();
    assert!(text.contains(arg), "{text} should name {arg}");
}

#[test]
fn bad_inputs_are_rejected_by_name() {
    let ok = params(10, 1.0, 0.05);
    let dw = || -> Arc<dyn Energy> { Arc::new(DoubleWell::default()) };
    let cases: Vec<(AisParams, usize, usize, &str)> = vec![
        (
            AisParams {
                n_temperatures: 0,
                ..ok
            },
            10,
            2,
            "params.n_temperatures",
        ),
        (AisParams { inner_steps: 0, ..ok }, 10, 2, "params.inner_steps"),
        (AisParams { base_std: 0.0, ..ok }, 10, 2, "params.base_std"),
        (
            AisParams {
                base_std: f64::NAN,
                ..ok
            },
            10,
            2,
            "params.base_std",
        ),
        (AisParams { step_size: -1.0, ..ok }, 10, 2, "params.step_size"),
        (
            AisParams {
                step_size: f64::INFINITY,
                ..ok
            },
            10,
            2,
            "params.step_size",
        ),
        (
            AisParams {
                sampler: InnerSampler::Hmc { n_leapfrog_steps: 0 },
                ..ok
            },
            10,
            2,
            "params.n_leapfrog_steps",
        ),
        (
            AisParams {
                options: SamplerOptions {
                    first_chain: 3,
                    rng: RngKind::Torch,
                    ..ok.options
                },
                ..ok
            },
            10,
            2,
            "params.first_chain",
        ),
        (ok, 1, 2, "n_particles"),
        (ok, 10, 0, "dim"),
    ];
    for (p, n, dim, arg) in cases {
        assert_names(failure(dw(), p, n, dim), arg);
    }
    assert_names(failure(gaussian(), ok, 10, 2), "dim");
    let mut short = vec![0.0; 5];
    assert_names(
        ais_estimate::<f64>(dw(), &ok, 10, 2, Some(&mut short)).unwrap_err(),
        "samples_out",
    );
    assert_names(failure(dw(), ok, usize::MAX / 4, 4), "n_particles");
}

#[test]
fn schedules_run_from_zero_to_one_increasing() {
    for schedule in [BetaSchedule::Sigmoid, BetaSchedule::Linear] {
        for k in [1, 2, 7, 200] {
            let betas = schedule.betas(k);
            assert_eq!(betas.len(), k + 1);
            assert_eq!((betas[0], betas[k]), (0.0, 1.0));
            assert!(betas.windows(2).all(|w| w[0] < w[1]), "{schedule:?} K = {k}");
        }
    }
    assert_eq!(BetaSchedule::Linear.betas(4), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
    // The sigmoid spends more temperatures near the ends than the linear schedule.
    let sigmoid = BetaSchedule::Sigmoid.betas(100);
    assert!(sigmoid[10] < 0.1 && sigmoid[90] > 0.9);
}
