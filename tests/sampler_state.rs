//! Temperature for every sampler, and the chains' state read and written between runs:
//! energies, momenta, positions, the acceptance trace and refreshing a changed energy.

#[path = "common/sampling.rs"]
mod sampling;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use sampling::{final_states, sampler, target, worst_z, COV, MEAN};
use torchebm::energy::{CallbackEnergy, Energy, Gaussian};
use torchebm::sampler::{HmcParams, KineticLangevinParams, MalaParams, Method, RngKind};

fn methods_at(temperature: f64) -> Vec<(Method, u64)> {
    vec![
        (
            Method::Mala(MalaParams {
                step_size: 0.2,
                temperature,
                ..Default::default()
            }),
            400,
        ),
        (
            Method::Hmc(HmcParams {
                step_size: 0.25,
                n_leapfrog_steps: 8,
                temperature,
                ..Default::default()
            }),
            150,
        ),
        (
            Method::KineticLangevin(KineticLangevinParams {
                step_size: 0.25,
                temperature,
                ..Default::default()
            }),
            400,
        ),
    ]
}

/// exp(−E/T) for E = ½(x − μ)ᵀΣ⁻¹(x − μ) is N(μ, TΣ): 5 standard errors over 4000
/// independent chains; the same chains at T = 1 must be far from TΣ (the test can fail).
#[test]
fn every_sampler_targets_exp_minus_energy_over_temperature() {
    let temperature = 2.5;
    let hot_cov = COV.map(|c| c * temperature);
    for ((hot, steps), (cold, _)) in methods_at(temperature).into_iter().zip(methods_at(1.0)) {
        for rng in [RngKind::PerChain, RngKind::Torch] {
            let mut s = sampler(target(), hot.clone(), rng, 5);
            let z = worst_z(&final_states(&mut s, 4_000, 2, steps), MEAN, hot_cov);
            assert!(
                z < 5.0,
                "{} ({rng:?}) at T = {temperature}: off by {z:.1} SE",
                hot.name()
            );
            let mut s = sampler(target(), cold.clone(), rng, 5);
            let z = worst_z(&final_states(&mut s, 4_000, 2, steps), MEAN, hot_cov);
            assert!(
                z > 20.0,
                "{} at T = 1 is not told apart from T = {temperature} ({z:.1} SE)",
                cold.name()
            );
        }
    }
}

#[test]
fn temperature_must_be_positive_and_finite() {
    for t in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let method = Method::Hmc(HmcParams {
            temperature: t,
            ..Default::default()
        });
        let err = torchebm::sampler::Sampler::new(target(), method, Default::default())
            .err()
            .unwrap();
        assert!(err.to_string().contains("params.temperature"), "{err}");
    }
}

/// Energies are those of the current states; the acceptance trace's mean is the overall rate.
#[test]
fn energies_and_acceptance_trace_describe_the_chains() {
    let mut s = sampler(target(), methods_at(1.0)[1].0.clone(), RngKind::PerChain, 3);
    let (n, dim) = (64, 2);
    let mut x = vec![0.0; n * dim];
    s.sample(n, dim, 20, &mut x).unwrap();
    let energies = s.energies().unwrap();
    let gaussian = Gaussian::new(&MEAN, &COV).unwrap();
    let mut want = vec![0.0; n];
    torchebm::energy::evaluate(&gaussian, tch::Device::Cpu, &x, dim, Some(&mut want), None).unwrap();
    for (got, want) in energies.iter().zip(&want) {
        assert!((got - want).abs() <= 1e-12 * want.abs().max(1.0), "{got} vs {want}");
    }
    let trace = s.acceptance_trace().unwrap();
    assert_eq!(trace.len(), 20);
    assert!(trace.iter().all(|a| (0.0..=1.0).contains(a)));
    // Every step's count is a whole number of chains.
    assert!(trace
        .iter()
        .all(|a| (a * n as f64 - (a * n as f64).round()).abs() < 1e-9));
    let mean: f64 = trace.iter().sum::<f64>() / 20.0;
    let stats = s.stats().unwrap();
    assert!(
        (mean - stats.mean_acceptance).abs() < 1e-12,
        "{mean} vs {}",
        stats.mean_acceptance
    );
    let mut langevin = sampler(target(), Method::Langevin(Default::default()), RngKind::PerChain, 3);
    langevin.init::<f64>(None, 4, 2).unwrap();
    assert!(langevin
        .acceptance_trace()
        .unwrap_err()
        .to_string()
        .contains("accept/reject"));
}

/// Kinetic Langevin: momenta round-trip as p = M v; setting them changes the next step
/// exactly as a chain started with those velocities would move (same draws).
#[test]
fn kinetic_langevin_momenta_round_trip_and_steer_the_next_step() {
    let mass = vec![2.0, 0.5];
    let method = Method::KineticLangevin(KineticLangevinParams {
        step_size: 0.1,
        mass: torchebm::sampler::Mass::Diagonal(mass.clone()),
        ..Default::default()
    });
    for rng in [RngKind::PerChain, RngKind::Torch] {
        let start: Vec<f64> = vec![0.5, -1.0, 1.5, 0.25];
        let momenta: Vec<f64> = vec![1.0, -2.0, 0.5, 3.0];
        let run = |set: bool| {
            let mut s = sampler(target(), method.clone(), rng, 9);
            s.init(Some(&start), 2, 2).unwrap();
            if set {
                s.set_momenta(&momenta).unwrap();
                let mut back = vec![0.0f64; 4];
                s.momenta(&mut back).unwrap();
                for (b, m) in back.iter().zip(&momenta) {
                    assert!((b - m).abs() < 1e-12, "{b} vs {m}");
                }
            }
            s.run::<f64>(1, 1, None).unwrap();
            let mut x = vec![0.0; 4];
            s.samples(&mut x).unwrap();
            x
        };
        let (steered, free) = (run(true), run(false));
        assert_ne!(steered, free, "{rng:?}: the momenta set did not change the step");
        // The first half-kick and drift are deterministic: x moves by h/2 · v before the noise.
        let unset_again = run(true);
        assert_eq!(steered, unset_again, "{rng:?}: not reproducible");
    }
}

/// HMC: the momenta read after a transition are the proposal's final momenta where it was
/// accepted; momenta set by the host replace one fresh draw, so H is conserved along the
/// host's own trajectory: with a tiny step every proposal is accepted and x moves by ≈ εL M⁻¹p.
#[test]
fn hmc_starts_its_next_transition_from_the_hosts_momenta() {
    let method = Method::Hmc(HmcParams {
        step_size: 1e-3,
        n_leapfrog_steps: 10,
        ..Default::default()
    });
    let mut s = sampler(target(), method, RngKind::PerChain, 4);
    let start = vec![1.0, -2.0, 1.0, -2.0];
    s.init(Some(&start), 2, 2).unwrap();
    let mut zeros = vec![1.0; 4];
    s.momenta(&mut zeros).unwrap();
    assert_eq!(zeros, vec![0.0; 4], "momenta before the first transition");
    let momenta = vec![100.0, 0.0, 0.0, -100.0];
    s.set_momenta(&momenta).unwrap();
    s.run::<f64>(1, 1, None).unwrap();
    let mut x = vec![0.0f64; 4];
    s.samples(&mut x).unwrap();
    // At the mean the force is zero to first order: x ≈ start + εL p = start ± 1.
    let want = [2.0, -2.0, 1.0, -3.0];
    for (got, want) in x.iter().zip(want) {
        assert!((got - want).abs() < 0.02, "{x:?}");
    }
    let mut after = vec![0.0f64; 4];
    s.momenta(&mut after).unwrap();
    assert!(
        (after[0] - 100.0).abs() < 1.0 && (after[3] + 100.0).abs() < 1.0,
        "{after:?}"
    );
    // The next transition draws afresh: O(1) momenta, not the host's.
    s.run::<f64>(1, 1, None).unwrap();
    s.momenta(&mut after).unwrap();
    assert!(after.iter().all(|p| p.abs() < 10.0), "{after:?}");
    let mut mala = sampler(target(), methods_at(1.0)[0].0.clone(), RngKind::PerChain, 1);
    mala.init::<f64>(None, 2, 2).unwrap();
    assert!(mala.momenta(&mut after).unwrap_err().to_string().contains("no momenta"));
    assert!(s.set_momenta(&[0.0; 3]).unwrap_err().to_string().contains("momenta"));
}

/// set_samples moves the chains without resetting counts; refresh picks up an energy that
/// changed between runs (a callback reading host state).
#[test]
fn set_samples_keeps_counts_and_refresh_sees_a_changed_energy() {
    let shift = Arc::new(AtomicU64::new(0f64.to_bits()));
    let read = shift.clone();
    let energy: Arc<dyn Energy> = Arc::new(
        CallbackEnergy::new(
            1,
            Box::new(move |x: &[f64], _dim: usize, out: &mut [f64]| {
                let c = f64::from_bits(read.load(Ordering::SeqCst));
                for (o, v) in out.iter_mut().zip(x) {
                    *o = 0.5 * (v - c) * (v - c);
                }
                Ok(())
            }),
            None,
        )
        .unwrap(),
    );
    let mut s = sampler(
        energy,
        Method::Mala(MalaParams {
            step_size: 0.3,
            ..Default::default()
        }),
        RngKind::PerChain,
        2,
    );
    s.init(Some(&[0.0, 1.0, 2.0]), 3, 1).unwrap();
    s.run::<f64>(5, 1, None).unwrap();
    s.set_samples(&[3.0, 4.0, 5.0]).unwrap();
    assert_eq!(s.stats().unwrap().steps, 5);
    assert_eq!(s.energies().unwrap(), vec![4.5, 8.0, 12.5]);
    shift.store(3.0f64.to_bits(), Ordering::SeqCst);
    assert_eq!(s.energies().unwrap(), vec![4.5, 8.0, 12.5], "cached until refreshed");
    s.refresh().unwrap();
    assert_eq!(s.energies().unwrap(), vec![0.0, 0.5, 2.0]);
    assert!(s.set_samples(&[1.0]).unwrap_err().to_string().contains("samples"));
}
