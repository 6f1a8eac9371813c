//! Shared fixtures: a zoo of energies and deterministic test points.
#![allow(dead_code)]

use std::sync::Arc;

use torchebm::energy::{
    Ackley, Booth, Composite, DoubleWell, Energy, Gaussian, GaussianMixture, Harmonic, Himmelblau, Rastrigin,
    Rosenbrock, StyblinskiTang,
};

/// A named energy and a dimension it accepts.
pub struct Case {
    pub name: &'static str,
    pub energy: Arc<dyn Energy>,
    pub dim: usize,
}

fn case(name: &'static str, energy: impl Energy + 'static, dim: usize) -> Case {
    Case {
        name,
        energy: Arc::new(energy),
        dim,
    }
}

pub fn gaussian_3d() -> Gaussian {
    Gaussian::new(&[0.5, -1.0, 2.0], &[2.0, 0.3, -0.2, 0.3, 1.0, 0.4, -0.2, 0.4, 1.5]).unwrap()
}

pub fn mixture_2d() -> GaussianMixture {
    GaussianMixture::new(
        &[0.2, 0.5, 0.3],
        &[-1.0, 0.0, 1.5, 1.0, 0.0, -2.0],
        &[1.0, 0.0, 0.0, 1.0, 0.5, 0.1, 0.1, 0.3, 2.0, -0.5, -0.5, 1.0],
        2,
    )
    .unwrap()
}

/// Every energy kind, composites nested, at parameters away from the defaults too.
pub fn zoo() -> Vec<Case> {
    let nested = Composite::new(
        vec![
            Arc::new(Harmonic::new(1.3).unwrap()),
            Arc::new(Rastrigin::new(2.0).unwrap()),
        ],
        Some(&[0.7, -0.2]),
    )
    .unwrap();
    let composite = Composite::new(
        vec![
            Arc::new(DoubleWell::default()),
            Arc::new(gaussian_3d()),
            Arc::new(nested),
        ],
        Some(&[0.5, 2.0, 1.5]),
    )
    .unwrap();
    vec![
        case("gaussian", gaussian_3d(), 3),
        case("double_well", DoubleWell::default(), 3),
        case("double_well_a2_b05", DoubleWell::new(2.0, 0.5).unwrap(), 2),
        case("harmonic", Harmonic::new(1.7).unwrap(), 4),
        case("rosenbrock", Rosenbrock::new(1.0, 100.0).unwrap(), 3),
        case("rosenbrock_2d", Rosenbrock::new(0.5, 10.0).unwrap(), 2),
        case("ackley", Ackley::new(20.0, 0.2, 2.0 * std::f64::consts::PI).unwrap(), 3),
        case("rastrigin", Rastrigin::new(10.0).unwrap(), 2),
        case("himmelblau", Himmelblau, 2),
        case("booth", Booth, 2),
        case("styblinski_tang", StyblinskiTang, 3),
        case("gaussian_mixture", mixture_2d(), 2),
        case("composite", composite, 3),
    ]
}

/// `n` points of dimension `dim`, uniform in [-2, 2), from a fixed-seed generator.
pub fn points(n: usize, dim: usize, seed: u64) -> Vec<f64> {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..n * dim)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let unit = (state >> 11) as f64 / (1u64 << 53) as f64;
            4.0 * unit - 2.0
        })
        .collect()
}

/// max |a - b| / max(1, |b|) over the elements.
pub fn max_relative_error(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / y.abs().max(1.0))
        .fold(0.0, f64::max)
}
