//! Convergence diagnostics against closed forms: iid draws have R-hat near 1 and an effective
//! sample size near the draw count, AR(1) chains have ESS N (1 - rho) / (1 + rho) and lag-k
//! autocorrelation rho^k, chains with shifted means are flagged. Seeds are fixed; tolerances
//! are several standard errors of each estimator at these sizes.

use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;
use torchebm::diagnostics::{autocorrelation, ess_bulk, ess_tail, rhat, Shape};
use torchebm::Error;

/// AR(1) chains with stationary N(0, 1) marginals, in the (n_draws, n_chains, dim) layout.
fn ar1(seed: u64, shape: Shape, rho: f64) -> Vec<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let width = shape.n_chains * shape.dim;
    let mut draws = vec![0.0; shape.n_draws * width];
    let innovation = (1.0 - rho * rho).sqrt();
    for t in 0..shape.n_draws {
        for i in 0..width {
            let noise: f64 = rng.sample(StandardNormal);
            draws[t * width + i] = if t == 0 {
                noise
            } else {
                rho * draws[(t - 1) * width + i] + innovation * noise
            };
        }
    }
    draws
}

fn per_coordinate(f: fn(&[f64], Shape, &mut [f64]) -> torchebm::Result<()>, draws: &[f64], shape: Shape) -> Vec<f64> {
    let mut out = vec![0.0; shape.dim];
    f(draws, shape, &mut out).unwrap();
    out
}

#[test]
fn iid_draws_have_rhat_near_one_and_ess_near_the_draw_count() {
    let shape = Shape::new(1000, 4, 4).unwrap();
    let draws = ar1(1, shape, 0.0);
    let n = 4000.0;
    for r in per_coordinate(rhat, &draws, shape) {
        assert!((r - 1.0).abs() < 0.01, "R-hat {r}");
    }
    for e in per_coordinate(ess_bulk, &draws, shape) {
        assert!((e / n - 1.0).abs() < 0.15, "bulk ESS {e} of {n}");
    }
    for e in per_coordinate(ess_tail, &draws, shape) {
        assert!((e / n - 1.0).abs() < 0.25, "tail ESS {e} of {n}");
    }
}

#[test]
fn ar1_ess_matches_the_closed_form() {
    // 16 coordinates: one coordinate's estimate has a relative sd of about 8% (rho 0.9) and 3%
    // (rho 0.5) at this length, their mean a quarter of that.
    let shape = Shape::new(4000, 4, 16).unwrap();
    for (rho, each, mean) in [(0.5, 0.15, 0.04), (0.9, 0.35, 0.06)] {
        let draws = ar1(2, shape, rho);
        let expected = 16000.0 * (1.0 - rho) / (1.0 + rho);
        let ratios: Vec<f64> = per_coordinate(ess_bulk, &draws, shape)
            .iter()
            .map(|e| e / expected)
            .collect();
        for r in &ratios {
            assert!((r - 1.0).abs() < each, "rho {rho}: bulk ESS / expected {r}");
        }
        let average = ratios.iter().sum::<f64>() / ratios.len() as f64;
        assert!(
            (average - 1.0).abs() < mean,
            "rho {rho}: mean bulk ESS / expected {average}"
        );
    }
}

#[test]
fn ar1_autocorrelation_is_rho_to_the_lag() {
    let shape = Shape::new(4000, 4, 2).unwrap();
    let rho = 0.8;
    let draws = ar1(3, shape, rho);
    let max_lag = 10;
    let mut out = vec![0.0; (max_lag + 1) * shape.dim];
    autocorrelation(&draws, shape, max_lag, &mut out).unwrap();
    for k in 0..=max_lag {
        for j in 0..shape.dim {
            let expected = rho.powi(k as i32);
            assert!(
                (out[k * shape.dim + j] - expected).abs() < 0.05,
                "lag {k}: {}, expected {expected}",
                out[k * shape.dim + j]
            );
        }
    }
    assert!(out[..shape.dim].iter().all(|&v| (v - 1.0).abs() < 1e-12));
}

#[test]
fn shifted_chains_are_flagged() {
    let shape = Shape::new(500, 4, 2).unwrap();
    let mut draws = ar1(4, shape, 0.0);
    // Coordinate 0: chain c shifted by c / 2 (negative control); coordinate 1 untouched.
    for t in 0..shape.n_draws {
        for c in 0..shape.n_chains {
            draws[(t * shape.n_chains + c) * shape.dim] += 0.5 * c as f64;
        }
    }
    let r = per_coordinate(rhat, &draws, shape);
    assert!(r[0] > 1.1, "shifted R-hat {}", r[0]);
    assert!(r[1] < 1.01, "unshifted R-hat {}", r[1]);
    // A drift shared by all chains is caught by splitting each chain in halves.
    let mut drifting = ar1(5, shape, 0.0);
    for (i, v) in drifting.iter_mut().enumerate() {
        *v += 2.0 * (i / (shape.n_chains * shape.dim)) as f64 / shape.n_draws as f64;
    }
    assert!(per_coordinate(rhat, &drifting, shape)[0] > 1.1);
}

#[test]
fn constant_coordinates_and_single_chains_follow_arviz() {
    let shape = Shape::new(9, 3, 1).unwrap();
    let draws = vec![0.25; 27];
    assert!(per_coordinate(rhat, &draws, shape)[0].is_nan());
    // Split chains: 2 * 3 chains of floor(9 / 2) draws.
    assert_eq!(per_coordinate(ess_bulk, &draws, shape), vec![24.0]);
    assert_eq!(per_coordinate(ess_tail, &draws, shape), vec![24.0]);
    let mut acf = vec![0.0; 2];
    autocorrelation(&draws, shape, 1, &mut acf).unwrap();
    assert!(acf.iter().all(|v| v.is_nan()));

    let one_chain = Shape::new(100, 1, 2).unwrap();
    let draws = ar1(6, one_chain, 0.0);
    assert!(per_coordinate(rhat, &draws, one_chain).iter().all(|r| r.is_nan()));
    assert!(per_coordinate(ess_bulk, &draws, one_chain)
        .iter()
        .all(|e| e.is_finite() && *e > 0.0));
}

#[test]
fn float_and_double_draws_agree() {
    let shape = Shape::new(101, 2, 2).unwrap();
    let draws: Vec<f64> = ar1(7, shape, 0.3).iter().map(|&v| f64::from(v as f32)).collect();
    let floats: Vec<f32> = draws.iter().map(|&v| v as f32).collect();
    let (mut a, mut b) = (vec![0.0; 2], vec![0.0; 2]);
    rhat(&draws, shape, &mut a).unwrap();
    rhat(&floats, shape, &mut b).unwrap();
    assert_eq!(a, b);
    ess_tail(&draws, shape, &mut a).unwrap();
    ess_tail(&floats, shape, &mut b).unwrap();
    assert_eq!(a, b);
}

#[test]
fn bad_inputs_are_rejected_by_name() {
    assert!(matches!(
        Shape::new(3, 1, 1),
        Err(Error::InvalidArgument { arg: "n_draws", .. })
    ));
    assert!(matches!(
        Shape::new(4, 0, 1),
        Err(Error::InvalidArgument { arg: "n_chains", .. })
    ));
    assert!(matches!(
        Shape::new(4, 1, 0),
        Err(Error::InvalidArgument { arg: "dim", .. })
    ));
    let shape = Shape::new(4, 2, 1).unwrap();
    let mut draws = vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
    let mut out = vec![0.0; 1];
    assert!(matches!(
        rhat(&draws[..7], shape, &mut out),
        Err(Error::LengthMismatch { arg: "draws", .. })
    ));
    let mut acf = vec![0.0; 5];
    assert!(matches!(
        autocorrelation(&draws, shape, 4, &mut acf),
        Err(Error::InvalidArgument { arg: "max_lag", .. })
    ));
    draws[5] = f64::NAN;
    let err = ess_bulk(&draws, shape, &mut out).unwrap_err();
    assert!(matches!(err, Error::NonFinite { arg: "draws", .. }), "{err}");
    assert!(err.to_string().contains("[2][1][0]"), "{err}");
}
