//! The samplers sample what they should: closed-form moments on a Gaussian, the known
//! step-size bias of unadjusted Langevin, the double well's wells and E[x²] by quadrature.
//! Chains are independent and start from N(0, I) (or one well); final states are compared
//! with tolerances of 5 standard errors (fixed seeds).

#[path = "common/sampling.rs"]
mod sampling;

use std::sync::Arc;

use sampling::{double_well_integral, final_states, sampler, target, worst_z, COV, MEAN};
use torchebm::energy::{DoubleWell, Energy};
use torchebm::sampler::{HmcParams, KineticLangevinParams, LangevinParams, MalaParams, Method, RngKind, Sampler};

const CHAINS: usize = 10_000;

fn exact_methods() -> Vec<(Method, u64)> {
    vec![
        (
            Method::Mala(MalaParams {
                step_size: 0.4,
                ..Default::default()
            }),
            300,
        ),
        (
            Method::Hmc(HmcParams {
                step_size: 0.25,
                n_leapfrog_steps: 8,
                ..Default::default()
            }),
            150,
        ),
        (
            Method::KineticLangevin(KineticLangevinParams {
                step_size: 0.25,
                friction: 1.0,
                ..Default::default()
            }),
            400,
        ),
    ]
}

#[test]
fn mala_hmc_and_kinetic_langevin_match_the_gaussian_moments() {
    for (method, steps) in exact_methods() {
        for rng in [RngKind::PerChain, RngKind::Torch] {
            let mut s = sampler(target(), method.clone(), rng, 11);
            let states = final_states(&mut s, CHAINS, 2, steps);
            let z = worst_z(&states, MEAN, COV);
            assert!(
                z < 5.0,
                "{} ({rng:?}): moments off by {z:.1} standard errors",
                method.name()
            );
        }
    }
}

/// ULA on E = ½(x − μ)ᵀP(x − μ) is x' = x − hP(x − μ) + √(2hT) ξ: stationary mean μ and
/// covariance C with C = (I − hP) C (I − hP) + 2hT I, i.e. C = T Σ (I − hP/2)⁻¹.
fn ula_covariance(h: f64, temperature: f64) -> [f64; 4] {
    let det = COV[0] * COV[3] - COV[1] * COV[2];
    let p = [COV[3] / det, -COV[1] / det, -COV[2] / det, COV[0] / det];
    // A = I − hP/2 and its inverse.
    let a = [
        1.0 - 0.5 * h * p[0],
        -0.5 * h * p[1],
        -0.5 * h * p[2],
        1.0 - 0.5 * h * p[3],
    ];
    let det_a = a[0] * a[3] - a[1] * a[2];
    let a_inv = [a[3] / det_a, -a[1] / det_a, -a[2] / det_a, a[0] / det_a];
    let mut c = [0.0; 4];
    for i in 0..2 {
        for j in 0..2 {
            c[2 * i + j] = temperature * (0..2).map(|k| COV[2 * i + k] * a_inv[2 * k + j]).sum::<f64>();
        }
    }
    c
}

#[test]
fn unadjusted_langevin_has_its_closed_form_step_size_bias() {
    for (h, temperature) in [(0.3, 1.0), (0.1, 0.5)] {
        for rng in [RngKind::PerChain, RngKind::Torch] {
            let method = Method::Langevin(LangevinParams {
                step_size: h,
                noise_scale: temperature,
                ..Default::default()
            });
            let mut s = sampler(target(), method, rng, 12);
            let states = final_states(&mut s, CHAINS, 2, 400);
            let biased = ula_covariance(h, temperature);
            let z = worst_z(&states, MEAN, biased);
            assert!(
                z < 5.0,
                "h = {h}, T = {temperature} ({rng:?}): off the biased law by {z:.1} SE"
            );
            if h == 0.3 {
                // The bias is real: the unbiased covariance is rejected.
                let unbiased = COV.map(|c| c * temperature);
                assert!(
                    worst_z(&states, MEAN, unbiased) > 8.0,
                    "h = {h}: the bias should be detectable"
                );
            }
        }
    }
}

#[test]
fn double_well_chains_fill_both_wells_and_match_quadrature() {
    let energy: Arc<dyn Energy> = Arc::new(DoubleWell::default());
    let z = double_well_integral(|_| 1.0);
    let second_moment = double_well_integral(|x| x * x) / z;
    let fourth_moment = double_well_integral(|x| x.powi(4)) / z;
    let methods = [
        (
            Method::Mala(MalaParams {
                step_size: 0.05,
                ..Default::default()
            }),
            4000,
        ),
        (
            Method::Hmc(HmcParams {
                step_size: 0.1,
                n_leapfrog_steps: 10,
                ..Default::default()
            }),
            400,
        ),
        (
            Method::KineticLangevin(KineticLangevinParams {
                step_size: 0.05,
                ..Default::default()
            }),
            4000,
        ),
    ];
    let chains = 4000;
    for (method, steps) in methods {
        let mut s = Sampler::new(energy.clone(), method.clone(), Default::default()).unwrap();
        // Every chain starts in the right-hand well: the left one must fill by crossing.
        let start = vec![2f64.sqrt(); chains];
        let mut states = vec![0.0; chains];
        s.sample_chain(Some(&start), chains, 1, steps, 1, &mut states, None)
            .unwrap();
        let right = states.iter().filter(|x| **x > 0.0).count() as f64 / chains as f64;
        assert!(
            (right - 0.5).abs() < 5.0 * 0.5 / (chains as f64).sqrt(),
            "{}: {right} in the right well",
            method.name()
        );
        let mean_square = states.iter().map(|x| x * x).sum::<f64>() / chains as f64;
        let se = ((fourth_moment - second_moment.powi(2)) / chains as f64).sqrt();
        assert!(
            (mean_square - second_moment).abs() < 5.0 * se,
            "{}: E[x²] = {mean_square}, quadrature {second_moment} (SE {se})",
            method.name()
        );
    }
}
