//! Sampler behaviour: reproducibility, incremental runs, trajectories, diagnostics,
//! schedules, adaptation, cancellation, non-finite chains.

#[path = "common/sampling.rs"]
mod sampling;

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use sampling::{final_states, sampler, target};
use torchebm::energy::{DoubleWell, Energy};
use torchebm::sampler::{
    Adaptation, HmcParams, KineticLangevinParams, LangevinParams, MalaParams, Mass, Method, RngKind, Sampler, Schedule,
};
use torchebm::Error;

fn all_methods() -> Vec<Method> {
    vec![
        Method::Langevin(LangevinParams {
            step_size: 0.1,
            ..Default::default()
        }),
        Method::Mala(MalaParams {
            step_size: 0.4,
            ..Default::default()
        }),
        Method::Hmc(HmcParams {
            step_size: 0.2,
            n_leapfrog_steps: 5,
            ..Default::default()
        }),
        Method::KineticLangevin(KineticLangevinParams {
            step_size: 0.2,
            ..Default::default()
        }),
    ]
}

const BACKENDS: [RngKind; 2] = [RngKind::PerChain, RngKind::Torch];

#[test]
fn same_seed_is_bit_identical_and_another_seed_differs() {
    for method in all_methods() {
        for rng in BACKENDS {
            for n in [1, 300, 20_000] {
                let run = |seed| final_states(&mut sampler(target(), method.clone(), rng, seed), n, 2, 20);
                let first = run(7);
                assert_eq!(first, run(7), "{} {rng:?} n = {n}", method.name());
                assert_ne!(first, run(8), "{} {rng:?} n = {n}", method.name());
            }
        }
    }
}

#[test]
fn runs_continue_exactly_where_they_stopped() {
    for method in all_methods() {
        for rng in BACKENDS {
            let mut whole = sampler(target(), method.clone(), rng, 3);
            whole.init::<f64>(None, 50, 2).unwrap();
            whole.run::<f64>(30, 1, None).unwrap();
            let mut pieces = sampler(target(), method.clone(), rng, 3);
            pieces.init::<f64>(None, 50, 2).unwrap();
            for k in [10, 1, 19] {
                pieces.run::<f64>(k, 1, None).unwrap();
            }
            let (mut a, mut b) = (vec![0.0; 100], vec![0.0; 100]);
            whole.samples(&mut a).unwrap();
            pieces.samples(&mut b).unwrap();
            assert_eq!(a, b, "{} {rng:?}", method.name());
            assert_eq!(whole.energy_trace().unwrap(), pieces.energy_trace().unwrap());
            assert_eq!(
                format!("{:?}", whole.stats().unwrap()),
                format!("{:?}", pieces.stats().unwrap())
            );
        }
    }
}

#[test]
fn samplers_on_other_threads_do_not_disturb_each_other() {
    let method = Method::Mala(MalaParams {
        step_size: 0.4,
        ..Default::default()
    });
    for rng in BACKENDS {
        let alone = final_states(&mut sampler(target(), method.clone(), rng, 5), 500, 2, 50);
        let together: Vec<Vec<f64>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4)
                .map(|_| scope.spawn(|| final_states(&mut sampler(target(), method.clone(), rng, 5), 500, 2, 50)))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(together.iter().all(|t| *t == alone), "{rng:?}");
    }
}

#[test]
fn trajectory_holds_every_thin_th_state_time_major() {
    for method in all_methods() {
        for rng in BACKENDS {
            let (n, dim) = (4, 2);
            let initial: Vec<f32> = (0..n * dim).map(|k| k as f32 * 0.1).collect();
            let mut recorded = sampler(target(), method.clone(), rng, 9);
            recorded.init(Some(&initial), n, dim).unwrap();
            let mut trajectory = vec![0f32; 3 * n * dim];
            recorded.run(10, 3, Some(&mut trajectory)).unwrap();
            let mut stepped = sampler(target(), method.clone(), rng, 9);
            stepped.init(Some(&initial), n, dim).unwrap();
            for kept in 0..3 {
                stepped.run::<f32>(3, 1, None).unwrap();
                let mut state = vec![0f32; n * dim];
                stepped.samples(&mut state).unwrap();
                assert_eq!(
                    &trajectory[kept * n * dim..(kept + 1) * n * dim],
                    &state[..],
                    "{} {rng:?}",
                    method.name()
                );
            }
        }
    }
}

#[test]
fn trajectory_buffer_too_small_is_an_error_before_any_step() {
    let mut s = sampler(target(), all_methods().remove(0), RngKind::PerChain, 1);
    s.init::<f64>(None, 3, 2).unwrap();
    let mut trajectory = vec![0.0; 3 * 2 * 4 - 1];
    match s.run(8, 2, Some(&mut trajectory)) {
        Err(Error::LengthMismatch { arg: "trajectory", .. }) => {}
        other => panic!("expected a length mismatch, got {other:?}"),
    }
    assert_eq!(s.stats().unwrap().steps, 0);
}

#[test]
fn acceptance_falls_as_the_step_size_grows() {
    for rng in BACKENDS {
        let rate = |method: Method| {
            let mut s = sampler(target(), method, rng, 2);
            final_states(&mut s, 2000, 2, 100);
            s.stats().unwrap().mean_acceptance
        };
        let mala: Vec<f64> = [0.05, 0.5, 2.0, 5.0]
            .iter()
            .map(|h| {
                rate(Method::Mala(MalaParams {
                    step_size: *h,
                    ..Default::default()
                }))
            })
            .collect();
        assert!(mala.windows(2).all(|w| w[0] > w[1]), "MALA {rng:?}: {mala:?}");
        assert!(mala[0] > 0.95 && mala[3] < 0.2, "MALA {rng:?}: {mala:?}");
        // Leapfrog on this Gaussian is unstable beyond ε = 2/√λmax(Σ⁻¹) ≈ 1.77.
        let hmc: Vec<f64> = [0.05, 0.5, 1.0, 1.72]
            .iter()
            .map(|e| {
                rate(Method::Hmc(HmcParams {
                    step_size: *e,
                    n_leapfrog_steps: 10,
                    ..Default::default()
                }))
            })
            .collect();
        assert!(hmc.windows(2).all(|w| w[0] > w[1]), "HMC {rng:?}: {hmc:?}");
        assert!(hmc[0] > 0.99 && hmc[3] < 0.6, "HMC {rng:?}: {hmc:?}");
    }
}

#[test]
fn adaptation_reaches_its_target_acceptance() {
    let cases = [
        Method::Mala(MalaParams {
            step_size: 0.001,
            adaptation: Adaptation {
                steps: 500,
                target_accept: 0.574,
            },
            ..Default::default()
        }),
        Method::Hmc(HmcParams {
            step_size: 2.0,
            n_leapfrog_steps: 5,
            adaptation: Adaptation {
                steps: 500,
                target_accept: 0.8,
            },
            ..Default::default()
        }),
    ];
    for method in cases {
        let target_accept = match &method {
            Method::Mala(p) => p.adaptation.target_accept,
            Method::Hmc(p) => p.adaptation.target_accept,
            _ => unreachable!(),
        };
        let mut s = sampler(target(), method.clone(), RngKind::PerChain, 4);
        s.init::<f64>(None, 1000, 2).unwrap();
        s.run::<f64>(500, 1, None).unwrap();
        let during: f64 = s.acceptance_rates().unwrap().iter().sum::<f64>() * 500.0;
        let adapted_step = s.stats().unwrap().step_size;
        s.run::<f64>(1000, 1, None).unwrap();
        assert_eq!(
            s.stats().unwrap().step_size,
            adapted_step,
            "the step size is frozen after adaptation"
        );
        let total: f64 = s.acceptance_rates().unwrap().iter().sum::<f64>() * 1500.0;
        let after = (total - during) / (1000.0 * 1000.0);
        assert!(
            (after - target_accept).abs() < 0.05,
            "{}: acceptance {after} after adapting to {target_accept}",
            method.name()
        );
    }
}

#[test]
fn schedules_set_the_step_size_and_temperature() {
    let method = Method::Langevin(LangevinParams {
        step_size: 0.2,
        step_size_schedule: Schedule::Linear {
            end_value: 0.1,
            n_steps: 10,
        },
        noise_scale: 1.0,
        noise_scale_schedule: Schedule::ExponentialDecay {
            decay_rate: 0.5,
            min_value: 1e-6,
        },
        ..Default::default()
    });
    let mut s = sampler(target(), method, RngKind::PerChain, 6);
    s.init::<f64>(None, 2000, 2).unwrap();
    assert_eq!(s.stats().unwrap().step_size, 0.2);
    s.run::<f64>(5, 1, None).unwrap();
    assert!((s.stats().unwrap().step_size - 0.15).abs() < 1e-15);
    s.run::<f64>(500, 1, None).unwrap();
    assert_eq!(s.stats().unwrap().step_size, 0.1);
    // Cooled to T = 1e-6 the chains sit at the mode (1, −2).
    let mut states = vec![0f64; 4000];
    s.samples(&mut states).unwrap();
    let spread = states
        .chunks(2)
        .map(|p| (p[0] - 1.0).powi(2) + (p[1] + 2.0).powi(2))
        .fold(0.0, f64::max);
    assert!(spread < 1e-3, "cooled chains spread {spread}");
}

#[test]
fn clamped_langevin_stays_in_its_box() {
    let method = Method::Langevin(LangevinParams {
        step_size: 0.5,
        clamp: Some((-0.5, 0.25)),
        ..Default::default()
    });
    for rng in BACKENDS {
        let states = final_states(&mut sampler(target(), method.clone(), rng, 1), 500, 2, 50);
        assert!(states.iter().all(|v| (-0.5..=0.25).contains(v)), "{rng:?}");
        assert!(
            states.contains(&0.25) && states.contains(&-0.5),
            "{rng:?}: the box binds"
        );
    }
}

#[test]
fn diverging_chains_are_frozen_and_reported() {
    // ULA with h = 0.05 is stable in the double well's wells (curvature 16) but explodes
    // from far out, where the quartic's gradient overshoots further at every step.
    let energy: Arc<dyn Energy> = Arc::new(DoubleWell::default());
    let method = Method::Langevin(LangevinParams {
        step_size: 0.05,
        noise_scale: 1e-6,
        ..Default::default()
    });
    for rng in BACKENDS {
        let mut s = Sampler::new(
            energy.clone(),
            method.clone(),
            torchebm::sampler::SamplerOptions {
                rng,
                ..Default::default()
            },
        )
        .unwrap();
        let initial = [0.0, 1.4, 50.0, -60.0];
        s.init(Some(&initial), 4, 1).unwrap();
        s.run::<f64>(40, 1, None).unwrap();
        assert_eq!(
            s.non_finite_chains().unwrap(),
            vec![false, false, true, true],
            "{rng:?}"
        );
        assert_eq!(s.stats().unwrap().non_finite_chains, 2);
        let mut states = [0f64; 4];
        s.samples(&mut states).unwrap();
        assert!(
            states.iter().all(|v| v.is_finite()),
            "{rng:?}: frozen at the last finite state: {states:?}"
        );
        assert!(
            s.energy_trace().unwrap().iter().all(|e| e.is_finite()),
            "{rng:?}: the trace skips frozen chains"
        );
    }
}

#[test]
fn progress_reports_and_cancels() {
    let calls = Arc::new(AtomicU64::new(0));
    let seen = calls.clone();
    let mut s = sampler(target(), all_methods().remove(1), RngKind::PerChain, 1);
    s.set_progress(
        Some(Box::new(move |p| {
            seen.fetch_add(1, Ordering::SeqCst);
            assert!(p.mean_energy.is_finite() && p.steps_total == 100);
            if p.steps_done < 30 {
                ControlFlow::Continue(())
            } else {
                ControlFlow::Break(Some("enough".into()))
            }
        })),
        10,
    )
    .unwrap();
    s.init::<f64>(None, 10, 2).unwrap();
    match s.run::<f64>(100, 1, None) {
        Err(
            error @ Error::Cancelled {
                steps: 30, total: 100, ..
            },
        ) => assert_eq!(
            error.to_string(),
            "progress_fn: cancelled the run after 30 of 100 steps: enough"
        ),
        other => panic!("expected cancellation after 30 steps, got {other:?}"),
    }
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(s.stats().unwrap().steps, 30, "the chains keep the state reached");
    s.set_progress(None, 0).unwrap();
    s.run::<f64>(5, 1, None).unwrap();
    assert_eq!(s.stats().unwrap().steps, 35);
}

#[test]
fn diagonal_mass_keeps_hmc_and_kinetic_langevin_exact() {
    let mass = Mass::Diagonal(vec![0.5, 3.0]);
    let methods = [
        Method::Hmc(HmcParams {
            step_size: 0.2,
            n_leapfrog_steps: 8,
            mass: mass.clone(),
            ..Default::default()
        }),
        Method::KineticLangevin(KineticLangevinParams {
            step_size: 0.2,
            mass,
            ..Default::default()
        }),
    ];
    for method in methods {
        let states = final_states(
            &mut sampler(target(), method.clone(), RngKind::PerChain, 13),
            10_000,
            2,
            400,
        );
        let z = sampling::worst_z(&states, sampling::MEAN, sampling::COV);
        assert!(z < 5.0, "{}: {z:.1} SE", method.name());
    }
}

#[test]
fn a_mass_of_the_wrong_length_is_reported_at_initialisation() {
    let method = Method::Hmc(HmcParams {
        mass: Mass::Diagonal(vec![1.0, 2.0, 3.0]),
        ..Default::default()
    });
    let mut s = sampler(target(), method, RngKind::PerChain, 1);
    match s.init::<f64>(None, 4, 2) {
        Err(Error::DimensionMismatch { arg: "mass", .. }) => {}
        other => panic!("expected a mass dimension mismatch, got {other:?}"),
    }
}

#[test]
fn step_moves_given_points_once() {
    for method in all_methods() {
        let mut s = sampler(target(), method.clone(), RngKind::PerChain, 21);
        let mut x = vec![0.0, 0.0, 3.0, -1.0];
        s.step(&mut x, 2).unwrap();
        assert_ne!(x, vec![0.0, 0.0, 3.0, -1.0], "{}", method.name());
        assert_eq!(s.stats().unwrap().steps, 1);
    }
}
