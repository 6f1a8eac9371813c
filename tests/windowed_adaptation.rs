//! Stan-style windowed adaptation of HMC's step size and mass: the window schedule exactly,
//! the adapted inverse mass against the target's covariance, and the moments after warm-up
//! within 5 standard errors (chains as independent replicas, fixed seeds), on both backends.

use std::sync::Arc;

use torchebm::energy::{Energy, Gaussian};
use torchebm::sampler::{
    slow_windows, Adaptation, HmcParams, MassAdaptation, MassAdaptationKind, Method, NutsParams, RngKind, Sampler,
    SamplerOptions, Windows,
};

const BACKENDS: [RngKind; 2] = [RngKind::PerChain, RngKind::Torch];

#[test]
fn windows_follow_stans_layout() {
    let defaults = Windows::default();
    assert_eq!(
        slow_windows(1000, &defaults),
        vec![75..100, 100..150, 150..250, 250..450, 450..950]
    );
    // Exactly the three default lengths: one slow window.
    assert_eq!(slow_windows(150, &defaults), vec![75..100]);
    // The second window cannot double before the terminal buffer: it takes the rest.
    assert_eq!(slow_windows(200, &defaults), vec![75..100, 100..150]);
    assert_eq!(slow_windows(170, &defaults), vec![75..100, 100..120]);
    // Too short for the defaults: 15% / 75% / 10%.
    assert_eq!(slow_windows(100, &defaults), vec![15..90]);
    // Too short for any slow window.
    assert!(slow_windows(19, &defaults).is_empty());
    let custom = Windows {
        init_buffer: 10,
        term_buffer: 10,
        base_window: 10,
    };
    assert_eq!(slow_windows(100, &custom), vec![10..20, 20..40, 40..90]);
}

fn hmc(kind: MassAdaptationKind, adapt_steps: u64) -> Method {
    Method::Hmc(HmcParams {
        step_size: 0.1,
        n_leapfrog_steps: 10,
        adaptation: Adaptation {
            steps: adapt_steps,
            target_accept: 0.8,
        },
        mass_adaptation: MassAdaptation {
            kind,
            windows: Windows::default(),
        },
        ..Default::default()
    })
}

fn gaussian(cov: &[f64], dim: usize) -> Arc<dyn Energy> {
    Arc::new(Gaussian::new(&vec![0.0; dim], cov).unwrap())
}

/// Warm-up then `more` steps from N(0, I): the inverse mass after warm-up and the final states.
fn run(energy: Arc<dyn Energy>, method: Method, rng: RngKind, n: usize, dim: usize, more: u64) -> (Vec<f64>, Vec<f64>) {
    let steps = match &method {
        Method::Hmc(p) => p.adaptation.steps,
        Method::Nuts(p) => p.adaptation.steps,
        _ => unreachable!(),
    };
    let mut sampler = Sampler::new(
        energy,
        method,
        SamplerOptions {
            seed: 5,
            rng,
            ..Default::default()
        },
    )
    .unwrap();
    sampler.init::<f64>(None, n, dim).unwrap();
    sampler.run(steps, 1, None::<&mut [f64]>).unwrap();
    let inverse = sampler.inverse_mass().unwrap();
    sampler.run(more, 1, None::<&mut [f64]>).unwrap();
    let mut states = vec![0.0; n * dim];
    sampler.samples(&mut states).unwrap();
    (inverse, states)
}

/// The largest z-score of the per-dimension sample means and variances of independent draws
/// against zero means and `variances` (standard errors √(σ²/n) and σ²√(2/n)).
fn worst_z(states: &[f64], dim: usize, variances: &[f64]) -> f64 {
    let n = (states.len() / dim) as f64;
    let mut worst: f64 = 0.0;
    for (j, var) in variances.iter().enumerate() {
        let mean = states.iter().skip(j).step_by(dim).sum::<f64>() / n;
        let second = states.iter().skip(j).step_by(dim).map(|x| x * x).sum::<f64>() / n;
        worst = worst.max(mean.abs() / (var / n).sqrt());
        worst = worst.max((second - var).abs() / (var * (2.0 / n).sqrt()));
    }
    worst
}

/// The largest relative error of an estimated diagonal.
fn worst_relative(estimate: &[f64], truth: &[f64]) -> f64 {
    estimate
        .iter()
        .zip(truth)
        .map(|(e, t)| (e / t - 1.0).abs())
        .fold(0.0, f64::max)
}

/// Standard deviations 0.1 … 10 (log-spaced): a 10⁴ ratio of variances.
fn anisotropic() -> (Vec<f64>, Vec<f64>) {
    let dim = 10;
    let variances: Vec<f64> = (0..dim)
        .map(|i| (0.1f64 * 100f64.powf(i as f64 / 9.0)).powi(2))
        .collect();
    let mut cov = vec![0.0; dim * dim];
    for i in 0..dim {
        cov[i * dim + i] = variances[i];
    }
    (variances, cov)
}

#[test]
fn diagonal_adaptation_learns_the_variances_of_an_anisotropic_gaussian() {
    let (variances, cov) = anisotropic();
    let dim = variances.len();
    let n = 500;
    for rng in BACKENDS {
        let (inverse, states) = run(
            gaussian(&cov, dim),
            hmc(MassAdaptationKind::Diagonal, 600),
            rng,
            n,
            dim,
            100,
        );
        assert_eq!(inverse.len(), dim);
        let error = worst_relative(&inverse, &variances);
        eprintln!("diagonal {rng:?}: inverse mass off by {error:.3} at worst");
        assert!(error < 0.05, "{rng:?}: inverse mass {inverse:?}, off by {error:.3}");
        let z = worst_z(&states, dim, &variances);
        eprintln!("diagonal {rng:?}: moments within {z:.2} standard errors");
        assert!(z < 5.0, "{rng:?}: moments off by {z:.1} standard errors");
        // Negative controls: the same comparisons reject a target with twice the variances, and the unit
        // mass plain dual averaging keeps.
        let wider: Vec<f64> = variances.iter().map(|v| 2.0 * v).collect();
        assert!(
            worst_z(&states, dim, &wider) > 5.0,
            "{rng:?}: the moment test cannot fail"
        );
        assert!(worst_relative(&inverse, &wider) > 0.15);
        let (unit, _) = run(gaussian(&cov, dim), hmc(MassAdaptationKind::None, 20), rng, 10, dim, 0);
        assert_eq!(unit, vec![1.0; dim]);
        assert!(worst_relative(&unit, &variances) > 0.15);
    }
}

#[test]
fn diagonal_adaptation_allows_a_much_longer_step_than_a_unit_mass() {
    // With a unit mass dual averaging settles on a step near the smallest scale (0.1); with
    // the adapted mass every dimension has scale ~1 and the step grows accordingly.
    let (variances, cov) = anisotropic();
    let dim = variances.len();
    let step = |kind| {
        let mut sampler = Sampler::new(
            gaussian(&cov, dim),
            hmc(kind, 300),
            SamplerOptions {
                seed: 3,
                ..Default::default()
            },
        )
        .unwrap();
        sampler.init::<f64>(None, 100, dim).unwrap();
        sampler.run(300, 1, None::<&mut [f64]>).unwrap();
        sampler.stats().unwrap().step_size
    };
    let (adapted, unit) = (step(MassAdaptationKind::Diagonal), step(MassAdaptationKind::None));
    eprintln!("step size: adapted mass {adapted:.3}, unit mass {unit:.3}");
    assert!(unit < 0.2, "unit mass: step {unit}");
    assert!(adapted > 5.0 * unit, "adapted {adapted} vs unit {unit}");
}

/// A 5-D Gaussian with correlations 0.9 and standard deviations 0.5 … 3.
fn correlated() -> Vec<f64> {
    let sd = [1.0, 2.0, 0.5, 3.0, 1.5];
    let dim = sd.len();
    let mut cov = vec![0.0; dim * dim];
    for i in 0..dim {
        for j in 0..dim {
            let rho = if i == j { 1.0 } else { 0.9 };
            cov[i * dim + j] = rho * sd[i] * sd[j];
        }
    }
    cov
}

#[test]
fn dense_adaptation_learns_the_covariance_of_a_correlated_gaussian() {
    let cov = correlated();
    let dim = 5;
    let n = 500;
    for rng in BACKENDS {
        let (inverse, states) = run(
            gaussian(&cov, dim),
            hmc(MassAdaptationKind::Dense, 1000),
            rng,
            n,
            dim,
            100,
        );
        assert_eq!(inverse.len(), dim * dim);
        // Errors relative to √(ΣᵢᵢΣⱼⱼ), the scale of entry (i, j).
        let worst = (0..dim * dim)
            .map(|k| {
                let (i, j) = (k / dim, k % dim);
                (inverse[k] - cov[k]).abs() / (cov[i * dim + i] * cov[j * dim + j]).sqrt()
            })
            .fold(0.0, f64::max);
        eprintln!("dense {rng:?}: inverse mass off by {worst:.3} of the entries' scale at worst");
        assert!(worst < 0.05, "{rng:?}: inverse mass {inverse:?}, off by {worst:.3}");
        let variances: Vec<f64> = (0..dim).map(|i| cov[i * dim + i]).collect();
        let z = worst_z(&states, dim, &variances);
        assert!(z < 5.0, "{rng:?}: moments off by {z:.1} standard errors");
    }
}

#[test]
fn dense_adaptation_is_refused_above_100_dimensions() {
    let dim = 101;
    let mut cov = vec![0.0; dim * dim];
    (0..dim).for_each(|i| cov[i * dim + i] = 1.0);
    let mut sampler = Sampler::new(
        gaussian(&cov, dim),
        hmc(MassAdaptationKind::Dense, 100),
        SamplerOptions::default(),
    )
    .unwrap();
    let error = sampler.init::<f64>(None, 2, dim).unwrap_err().to_string();
    assert!(error.contains("params.adapt_mass"), "{error}");
    // Mass adaptation needs adapted steps.
    let error = Sampler::new(
        gaussian(&cov, dim),
        hmc(MassAdaptationKind::Diagonal, 0),
        SamplerOptions::default(),
    )
    .err()
    .expect("refused")
    .to_string();
    assert!(error.contains("params.adapt_mass"), "{error}");
}

#[test]
fn dense_adaptation_in_single_precision_tensors() {
    let cov = correlated();
    let dim = 5;
    let mut sampler = Sampler::new(
        gaussian(&cov, dim),
        hmc(MassAdaptationKind::Dense, 400),
        SamplerOptions {
            seed: 9,
            rng: RngKind::Torch,
            ..Default::default()
        },
    )
    .unwrap();
    sampler.init::<f32>(None, 400, dim).unwrap();
    sampler.run(400, 1, None::<&mut [f32]>).unwrap();
    let inverse = sampler.inverse_mass().unwrap();
    let worst = (0..dim * dim)
        .map(|k| {
            let (i, j) = (k / dim, k % dim);
            (inverse[k] - cov[k]).abs() / (cov[i * dim + i] * cov[j * dim + j]).sqrt()
        })
        .fold(0.0, f64::max);
    eprintln!("dense f32: inverse mass off by {worst:.3} of the entries' scale at worst");
    assert!(worst < 0.05, "inverse mass {inverse:?}, off by {worst:.3}");
}

fn nuts(kind: MassAdaptationKind, adapt_steps: u64) -> Method {
    Method::Nuts(NutsParams {
        step_size: 0.1,
        adaptation: Adaptation {
            steps: adapt_steps,
            target_accept: 0.8,
        },
        mass_adaptation: MassAdaptation {
            kind,
            windows: Windows::default(),
        },
        ..Default::default()
    })
}

/// NUTS through the same windows: the adapted diagonal against the variances, the moments
/// after warm-up, shorter trees than with a unit mass; dense is refused (HMC only).
#[test]
fn nuts_adapts_a_diagonal_mass_in_the_same_windows() {
    let (variances, cov) = anisotropic();
    let dim = variances.len();
    for rng in BACKENDS {
        let (inverse, states) = run(
            gaussian(&cov, dim),
            nuts(MassAdaptationKind::Diagonal, 400),
            rng,
            300,
            dim,
            50,
        );
        let error = worst_relative(&inverse, &variances);
        assert!(
            error < 0.08,
            "{rng:?}: NUTS inverse mass {inverse:?}, off by {error:.3}"
        );
        let z = worst_z(&states, dim, &variances);
        assert!(z < 5.0, "{rng:?}: NUTS moments off by {z:.1} standard errors");
        let wider: Vec<f64> = variances.iter().map(|v| 2.0 * v).collect();
        assert!(
            worst_z(&states, dim, &wider) > 5.0,
            "{rng:?}: the moment test cannot fail"
        );
    }
    let dense = Sampler::new(
        gaussian(&cov, dim),
        nuts(MassAdaptationKind::Dense, 100),
        SamplerOptions::default(),
    );
    assert!(dense.err().unwrap().to_string().contains("params.adapt_mass"));
}
