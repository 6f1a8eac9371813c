//! Helpers for the sampler tests: running chains and summarising their states.
#![allow(dead_code)]

use std::sync::Arc;

use torchebm::energy::{Energy, Gaussian};
use torchebm::sampler::{Method, RngKind, Sampler, SamplerOptions};

/// The target: mean (1, −2), covariance [[1, .5], [.5, 2]].
pub const MEAN: [f64; 2] = [1.0, -2.0];
pub const COV: [f64; 4] = [1.0, 0.5, 0.5, 2.0];

pub fn target() -> Arc<dyn Energy> {
    Arc::new(Gaussian::new(&MEAN, &COV).unwrap())
}

pub fn sampler(energy: Arc<dyn Energy>, method: Method, rng: RngKind, seed: u64) -> Sampler {
    Sampler::new(
        energy,
        method,
        SamplerOptions {
            seed,
            rng,
            ..Default::default()
        },
    )
    .unwrap()
}

/// Final states of `n` chains of dim 2 from N(0, I) after `steps` steps.
pub fn final_states(sampler: &mut Sampler, n: usize, dim: usize, steps: u64) -> Vec<f64> {
    let mut out = vec![0.0; n * dim];
    sampler.sample(n, dim, steps, &mut out).unwrap();
    out
}

/// Sample mean and covariance (row-major) of 2-D points.
pub fn moments_2d(points: &[f64]) -> ([f64; 2], [f64; 4]) {
    let n = (points.len() / 2) as f64;
    let mean = [
        points.chunks(2).map(|p| p[0]).sum::<f64>() / n,
        points.chunks(2).map(|p| p[1]).sum::<f64>() / n,
    ];
    let mut cov = [0.0; 4];
    for p in points.chunks(2) {
        let d = [p[0] - mean[0], p[1] - mean[1]];
        for i in 0..2 {
            for j in 0..2 {
                cov[2 * i + j] += d[i] * d[j] / n;
            }
        }
    }
    (mean, cov)
}

/// The largest z-score of the sample moments of n independent draws against a Gaussian with
/// mean `mean` and covariance `cov`: standard errors √(Σᵢᵢ/n) for means and
/// √((ΣᵢᵢΣⱼⱼ + Σᵢⱼ²)/n) for covariances.
pub fn worst_z(points: &[f64], mean: [f64; 2], cov: [f64; 4]) -> f64 {
    let n = (points.len() / 2) as f64;
    let (m, c) = moments_2d(points);
    let mut worst: f64 = 0.0;
    for i in 0..2 {
        worst = worst.max((m[i] - mean[i]).abs() / (cov[3 * i] / n).sqrt());
        for j in 0..2 {
            let se = ((cov[3 * i] * cov[3 * j] + cov[2 * i + j].powi(2)) / n).sqrt();
            worst = worst.max((c[2 * i + j] - cov[2 * i + j]).abs() / se);
        }
    }
    worst
}

/// ∫ f(x) dx over [a, b] by Simpson's rule with `n` (even) intervals.
pub fn simpson(a: f64, b: f64, n: usize, f: impl Fn(f64) -> f64) -> f64 {
    let h = (b - a) / n as f64;
    (0..=n)
        .map(|k| {
            let weight = if k == 0 || k == n {
                1.0
            } else if k % 2 == 1 {
                4.0
            } else {
                2.0
            };
            weight * f(a + k as f64 * h)
        })
        .sum::<f64>()
        * h
        / 3.0
}

/// ∫ f(x) exp(−(x² − 2)²) dx by Simpson's rule on [−5, 5]: the specification's double well.
pub fn double_well_integral(f: impl Fn(f64) -> f64) -> f64 {
    simpson(-5.0, 5.0, 20_000, |x| f(x) * (-(x * x - 2.0).powi(2)).exp())
}
