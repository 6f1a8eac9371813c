//! The No-U-Turn sampler samples what it should: Gaussian moments within Monte-Carlo error
//! (independent chains from N(0, I), final states, tolerance 5 standard errors, fixed
//! seeds), the double well against quadrature, temperature, on both backends; divergences
//! and tree depths are counted; and negative controls show the moment check has the power to
//! fail.

#[path = "common/sampling.rs"]
mod sampling;

use std::sync::Arc;

use sampling::{double_well_integral, sampler, target, worst_z, COV, MEAN};
use torchebm::energy::{DoubleWell, Energy, Gaussian};
use torchebm::sampler::{Adaptation, HmcParams, LangevinParams, Mass, Method, NutsParams, RngKind, Sampler};

fn nuts(step_size: f64) -> NutsParams {
    NutsParams {
        step_size,
        ..Default::default()
    }
}

/// Final states of `n` chains from N(0, I) after `steps` steps, in the buffers' type `T`.
fn final_states_as<T: torchebm::tensor::Real>(s: &mut Sampler, n: usize, dim: usize, steps: u64) -> Vec<f64> {
    let mut out = vec![T::from_f64(0.0); n * dim];
    s.sample(n, dim, steps, &mut out).unwrap();
    out.iter().map(|v| v.to_f64()).collect()
}

/// The diagonal Gaussian of the 10-D test: standard deviations 1, 2, …, 10, means i − 4.5.
fn anisotropic() -> (Vec<f64>, Vec<f64>, Arc<dyn Energy>) {
    let dim = 10;
    let mean: Vec<f64> = (0..dim).map(|i| i as f64 - 4.5).collect();
    let sd: Vec<f64> = (1..=dim).map(|i| i as f64).collect();
    let mut cov = vec![0.0; dim * dim];
    for i in 0..dim {
        cov[i * dim + i] = sd[i] * sd[i];
    }
    let energy: Arc<dyn Energy> = Arc::new(Gaussian::new(&mean, &cov).unwrap());
    (mean, sd, energy)
}

/// Largest z-score of the per-coordinate sample means and variances of independent draws
/// against N(mean, diag(sd²)): SE √(σ²/n) and √(2σ⁴/n).
fn worst_z_diagonal(points: &[f64], mean: &[f64], sd: &[f64]) -> f64 {
    let dim = mean.len();
    let n = (points.len() / dim) as f64;
    let mut worst: f64 = 0.0;
    for j in 0..dim {
        let m = points.chunks(dim).map(|p| p[j]).sum::<f64>() / n;
        let v = points.chunks(dim).map(|p| (p[j] - m).powi(2)).sum::<f64>() / n;
        let var = sd[j] * sd[j];
        worst = worst.max((m - mean[j]).abs() / (var / n).sqrt());
        worst = worst.max((v - var).abs() / (2.0 * var * var / n).sqrt());
    }
    worst
}

#[test]
fn anisotropic_10d_gaussian_moments() {
    let (mean, sd, energy) = anisotropic();
    let chains = 2000;
    let mut s = sampler(energy, Method::Nuts(nuts(0.9)), RngKind::PerChain, 21);
    let states = final_states_as::<f64>(&mut s, chains, 10, 60);
    let z = worst_z_diagonal(&states, &mean, &sd);
    let stats = s.stats().unwrap();
    assert!(z < 5.0, "10-D: moments off by {z:.1} SE ({stats:?})");
    // Scales 1..10 at ε = 0.9 need trajectories of tens of steps: depths 4 to 7.
    assert!(stats.mean_tree_depth > 3.0 && stats.mean_tree_depth < 8.0, "{stats:?}");
    assert!(stats.mean_acceptance > 0.6 && stats.mean_acceptance <= 1.0, "{stats:?}");
    assert_eq!(stats.divergences, 0, "{stats:?}");
}

#[test]
fn correlated_2d_gaussian_moments_on_both_backends() {
    // Fewer chains on libtorch, whose many small tensor operations per leaf are slower here.
    for (rng, chains) in [(RngKind::PerChain, 10_000), (RngKind::Torch, 2000)] {
        let mut s = sampler(target(), Method::Nuts(nuts(0.5)), rng, 22);
        let states = final_states_as::<f64>(&mut s, chains, 2, 30);
        let z = worst_z(&states, MEAN, COV);
        assert!(z < 5.0, "{rng:?} f64: moments off by {z:.1} SE");
    }
    // libtorch in single precision.
    let mut s = sampler(target(), Method::Nuts(nuts(0.5)), RngKind::Torch, 23);
    let states = final_states_as::<f32>(&mut s, 2000, 2, 30);
    let z = worst_z(&states, MEAN, COV);
    assert!(z < 5.0, "Torch f32: moments off by {z:.1} SE");
}

#[test]
fn temperature_two_doubles_the_covariance() {
    let hot = COV.map(|c| 2.0 * c);
    for (rng, chains) in [(RngKind::PerChain, 10_000), (RngKind::Torch, 2000)] {
        let method = Method::Nuts(NutsParams {
            temperature: 2.0,
            ..nuts(0.6)
        });
        let mut s = sampler(target(), method, rng, 24);
        let states = final_states_as::<f64>(&mut s, chains, 2, 30);
        let z = worst_z(&states, MEAN, hot);
        assert!(z < 5.0, "T = 2 ({rng:?}): off exp(-E/2) by {z:.1} SE");
        // Negative control: the same draws are far from exp(−E).
        let cold = worst_z(&states, MEAN, COV);
        assert!(cold > 10.0, "T = 2 ({rng:?}): only {cold:.1} SE from the T = 1 law");
    }
}

/// The moment check can fail: at the sample size of the tests above, a chain run at the
/// wrong temperature (a wrong momentum and weight scale) by 20 % and an unadjusted run are
/// rejected.
#[test]
fn negative_controls_fail_the_moment_check() {
    let chains = 10_000;
    let method = Method::Nuts(NutsParams {
        temperature: 1.2,
        ..nuts(0.5)
    });
    let mut s = sampler(target(), method, RngKind::PerChain, 25);
    let states = final_states_as::<f64>(&mut s, chains, 2, 30);
    let z = worst_z(&states, MEAN, COV);
    assert!(z > 8.0, "T = 1.2 passes for T = 1 (z = {z:.1})");

    let ula = Method::Langevin(LangevinParams {
        step_size: 0.3,
        ..Default::default()
    });
    let mut s = sampler(target(), ula, RngKind::PerChain, 25);
    let states = final_states_as::<f64>(&mut s, chains, 2, 200);
    let z = worst_z(&states, MEAN, COV);
    assert!(z > 8.0, "unadjusted Langevin passes (z = {z:.1})");

    // The 10-D check rejects a run too short to have spread the wide coordinates.
    let (mean, sd, energy) = anisotropic();
    let mut s = sampler(energy, Method::Nuts(nuts(0.9)), RngKind::PerChain, 21);
    let states = final_states_as::<f64>(&mut s, 2000, 10, 2);
    let z = worst_z_diagonal(&states, &mean, &sd);
    assert!(z > 8.0, "2 steps pass the 10-D check (z = {z:.1})");
}

#[test]
fn double_well_fills_both_wells_and_matches_quadrature() {
    let energy: Arc<dyn Energy> = Arc::new(DoubleWell::default());
    let z = double_well_integral(|_| 1.0);
    let second = double_well_integral(|x| x * x) / z;
    let fourth = double_well_integral(|x| x.powi(4)) / z;
    let chains = 4000;
    let mut s = Sampler::new(energy, Method::Nuts(nuts(0.2)), Default::default()).unwrap();
    // Every chain starts in the right-hand well: the left one must fill by crossing.
    let start = vec![2f64.sqrt(); chains];
    let mut states = vec![0.0; chains];
    s.sample_chain(Some(&start), chains, 1, 300, 1, &mut states, None)
        .unwrap();
    let right = states.iter().filter(|x| **x > 0.0).count() as f64 / chains as f64;
    assert!(
        (right - 0.5).abs() < 5.0 * 0.5 / (chains as f64).sqrt(),
        "{right} in the right well"
    );
    let mean_square = states.iter().map(|x| x * x).sum::<f64>() / chains as f64;
    let se = ((fourth - second * second) / chains as f64).sqrt();
    assert!(
        (mean_square - second).abs() < 5.0 * se,
        "E[x²] = {mean_square}, quadrature {second} (SE {se})"
    );
}

#[test]
fn tiny_steps_reach_the_maximum_depth_every_step() {
    for rng in [RngKind::PerChain, RngKind::Torch] {
        let method = Method::Nuts(NutsParams {
            step_size: 1e-3,
            max_tree_depth: 3,
            ..Default::default()
        });
        let mut s = sampler(target(), method, rng, 26);
        final_states_as::<f64>(&mut s, 50, 2, 20);
        let stats = s.stats().unwrap();
        assert_eq!(stats.mean_tree_depth, 3.0, "{rng:?}: {stats:?}");
        assert_eq!(stats.divergences, 0);
        assert!(stats.mean_acceptance > 0.99, "{stats:?}");
    }
}

#[test]
fn huge_steps_on_a_stiff_gaussian_diverge_and_are_counted() {
    // Standard deviations 0.01 and 1: ε = 1 is 100 times the stable limit.
    let stiff: Arc<dyn Energy> = Arc::new(Gaussian::new(&[0.0, 0.0], &[1e-4, 0.0, 0.0, 1.0]).unwrap());
    let chains = 64;
    let steps = 10;
    for rng in [RngKind::PerChain, RngKind::Torch] {
        let mut s = sampler(stiff.clone(), Method::Nuts(nuts(1.0)), rng, 27);
        let start = vec![0.0; chains * 2];
        let mut out = vec![0.0; chains * 2];
        s.sample_chain(Some(&start), chains, 2, steps, 1, &mut out, None)
            .unwrap();
        let stats = s.stats().unwrap();
        let per_chain = s.divergences().unwrap();
        assert_eq!(per_chain.iter().sum::<u64>(), stats.divergences);
        // The first leapfrog step moves the stiff coordinate by about p ~ N(0, 1), an energy
        // error of p²/2·10⁴: a divergence unless |p| < 0.45, and then the next one diverges.
        let total = chains as u64 * steps;
        assert!(
            stats.divergences >= total * 9 / 10 && stats.divergences <= total,
            "{rng:?}: {stats:?}"
        );
        assert!(stats.mean_tree_depth < 0.2, "{rng:?}: {stats:?}");
        assert!(per_chain.iter().all(|c| *c <= steps));
        // A stable step size does not diverge.
        let stable = NutsParams {
            max_tree_depth: 5,
            ..nuts(0.005)
        };
        let mut s = sampler(stiff.clone(), Method::Nuts(stable), rng, 27);
        s.sample_chain(Some(&start), chains, 2, steps, 1, &mut out, None)
            .unwrap();
        assert_eq!(s.stats().unwrap().divergences, 0);
    }
    // HMC counts its divergent proposals the same way.
    let hmc = Method::Hmc(HmcParams {
        step_size: 1.0,
        n_leapfrog_steps: 5,
        ..Default::default()
    });
    let mut s = sampler(stiff, hmc, RngKind::PerChain, 28);
    final_states_as::<f64>(&mut s, chains, 2, steps);
    let divergences = s.stats().unwrap().divergences;
    assert!(divergences >= chains as u64 * steps * 9 / 10, "HMC: {divergences}");
    assert_eq!(s.divergences().unwrap().iter().sum::<u64>(), divergences);
    assert!(s.stats().unwrap().mean_tree_depth.is_nan());
}

#[test]
fn adaptation_reaches_the_target_statistic() {
    let (_, _, energy) = anisotropic();
    let method = Method::Nuts(NutsParams {
        adaptation: Adaptation {
            steps: 150,
            target_accept: 0.8,
        },
        ..nuts(0.01)
    });
    let chains = 200;
    let mut s = sampler(energy, method, RngKind::PerChain, 29);
    s.init::<f64>(None, chains, 10).unwrap();
    s.run::<f64>(150, 1, None).unwrap();
    let adapted = s.stats().unwrap();
    s.run::<f64>(100, 1, None).unwrap();
    let after = s.stats().unwrap();
    let later = (after.mean_acceptance * 250.0 - adapted.mean_acceptance * 150.0) / 100.0;
    assert!(
        (later - 0.8).abs() < 0.08,
        "acceptance {later} after adapting to {}",
        after.step_size
    );
    assert!(after.step_size > 0.3 && after.step_size < 3.0, "{after:?}");
}

#[test]
fn a_diagonal_mass_matching_the_scales_shortens_the_trees() {
    let (mean, sd, energy) = anisotropic();
    // M = Σ⁻¹ makes every coordinate a unit-period oscillator.
    let mass = Mass::Diagonal(sd.iter().map(|s| 1.0 / (s * s)).collect());
    let method = Method::Nuts(NutsParams { mass, ..nuts(0.9) });
    let mut s = sampler(energy, method, RngKind::PerChain, 30);
    let states = final_states_as::<f64>(&mut s, 2000, 10, 40);
    assert!(worst_z_diagonal(&states, &mean, &sd) < 5.0);
    let stats = s.stats().unwrap();
    assert!(stats.mean_tree_depth < 3.0, "{stats:?}");
}

#[test]
fn invalid_parameters_are_refused() {
    let bad = [
        NutsParams {
            max_tree_depth: 0,
            ..Default::default()
        },
        NutsParams {
            max_tree_depth: 31,
            ..Default::default()
        },
        NutsParams {
            temperature: 0.0,
            ..Default::default()
        },
        NutsParams {
            temperature: f64::NAN,
            ..Default::default()
        },
        NutsParams {
            step_size: -1.0,
            ..Default::default()
        },
        NutsParams {
            mass: Mass::Scalar(0.0),
            ..Default::default()
        },
    ];
    for params in bad {
        assert!(
            Sampler::new(target(), Method::Nuts(params.clone()), Default::default()).is_err(),
            "{params:?}"
        );
    }
}

/// Throughput on the host, for the record (not a check): 1000 chains of the 10-D Gaussian.
/// `cargo test --release --test nuts throughput -- --ignored --nocapture`
#[test]
#[ignore]
fn throughput() {
    let (_, _, energy) = anisotropic();
    let chains = 1000;
    let mut s = sampler(energy.clone(), Method::Nuts(nuts(0.9)), RngKind::PerChain, 31);
    s.init::<f64>(None, chains, 10).unwrap();
    s.run::<f64>(20, 1, None).unwrap();
    let steps = 100;
    let before = s.stats().unwrap();
    let clock = std::time::Instant::now();
    s.run::<f64>(steps, 1, None).unwrap();
    let seconds = clock.elapsed().as_secs_f64();
    let after = s.stats().unwrap();
    let depth = (after.mean_tree_depth * 120.0 - before.mean_tree_depth * 20.0) / steps as f64;
    // A trajectory that stopped after d completed doublings evaluated between 2^d − 1 and
    // 2^(d+1) − 1 leapfrog steps (the last doubling may stop early).
    let (low, high) = (2f64.powf(depth) - 1.0, 2f64.powf(depth + 1.0) - 1.0);
    let transitions = (chains as u64 * steps) as f64 / seconds;
    println!(
        "NUTS: {transitions:.0} transitions/s, mean depth {depth:.2}, ~{:.2e}..{:.2e} gradients/s",
        transitions * low,
        transitions * high
    );
    let hmc = Method::Hmc(HmcParams {
        step_size: 0.9,
        n_leapfrog_steps: 10,
        ..Default::default()
    });
    let mut s = sampler(energy, hmc, RngKind::PerChain, 31);
    s.init::<f64>(None, chains, 10).unwrap();
    let clock = std::time::Instant::now();
    s.run::<f64>(steps, 1, None).unwrap();
    let seconds = clock.elapsed().as_secs_f64();
    println!(
        "HMC (10 leapfrog steps): {:.2e} gradients/s",
        (chains as u64 * steps * 10) as f64 / seconds
    );
}
