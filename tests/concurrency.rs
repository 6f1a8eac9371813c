//! One energy evaluated from several threads at once gives the serial results.

mod common;

use std::thread;

use common::{points, zoo};
use tch::Device;
use torchebm::energy::{evaluate_with, EvalPath};

#[test]
fn concurrent_evaluations_of_one_energy_match_serial_ones() {
    for case in zoo() {
        for (n, path) in [(16, EvalPath::Auto), (20_000, EvalPath::Auto), (300, EvalPath::Torch)] {
            let x = points(n, case.dim, 14);
            let serial = {
                let mut g = vec![0.0; x.len()];
                evaluate_with(
                    path,
                    case.energy.as_ref(),
                    Device::Cpu,
                    &x,
                    case.dim,
                    None,
                    Some(&mut g),
                )
                .unwrap();
                g
            };
            thread::scope(|scope| {
                let handles: Vec<_> = (0..4)
                    .map(|_| {
                        scope.spawn(|| {
                            let mut g = vec![0.0; x.len()];
                            for _ in 0..5 {
                                evaluate_with(
                                    path,
                                    case.energy.as_ref(),
                                    Device::Cpu,
                                    &x,
                                    case.dim,
                                    None,
                                    Some(&mut g),
                                )
                                .unwrap();
                            }
                            g
                        })
                    })
                    .collect();
                for handle in handles {
                    assert_eq!(handle.join().unwrap(), serial, "{} with n = {n} on {path:?}", case.name);
                }
            });
        }
    }
}

/// A model sampled and evaluated on some threads while another sets its parameters and an
/// optimizer trains it: no crash, no error, and every evaluation sees one whole parameter
/// vector (the model's reader-writer lock).
#[test]
fn a_model_shared_between_sampling_evaluating_and_updating_threads_never_tears() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    use tch::Kind;
    use torchebm::energy::{evaluate, Energy};
    use torchebm::exclusive::Exclusive;
    use torchebm::loss::{ScoreMatching, ScoreMatchingMethod};
    use torchebm::model::{self, Activation, Mlp, MlpSpec};
    use torchebm::optim::{Optimizer, Rule};
    use torchebm::sampler::{LangevinParams, Method, Sampler, SamplerOptions};

    let spec = MlpSpec {
        input_dim: 2,
        hidden: vec![16],
        activation: Activation::Silu,
        spectral_norm: false,
        kind: Kind::Double,
    };
    let model: Arc<dyn Energy> = Arc::new(Mlp::new(spec, Device::Cpu, 7).unwrap());
    let trainable = || model.as_model().unwrap();
    let count = model::parameter_count(trainable()).unwrap();
    let (low, high) = (vec![0.1f64; count], vec![-0.2f64; count]);
    let x = [0.5, -1.5];
    let energy_with = |values: &[f64]| {
        model::set_parameters(trainable(), values).unwrap();
        let mut e = [0.0];
        evaluate(model.as_ref(), Device::Cpu, &x, 2, Some(&mut e), None).unwrap();
        e[0]
    };
    let (e_low, e_high) = (energy_with(&low), energy_with(&high));
    assert_ne!(e_low, e_high);

    let sampler = Arc::new(Exclusive::new(
        Sampler::new(
            Arc::clone(&model),
            Method::Langevin(LangevinParams::default()),
            SamplerOptions::default(),
        )
        .unwrap(),
    ));
    sampler.lock("sampler").unwrap().init::<f64>(None, 32, 2).unwrap();
    let stop = AtomicBool::new(false);
    thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let mut i = 0usize;
            while !stop.load(Ordering::Relaxed) {
                model::set_parameters(trainable(), if i % 2 == 0 { &low } else { &high }).unwrap();
                i += 1;
            }
        });
        let sampling = scope.spawn(|| {
            for _ in 0..50 {
                sampler.lock("sampler").unwrap().run::<f64>(1, 1, None).unwrap();
            }
        });
        let mut torn = 0;
        for _ in 0..2000 {
            let mut e = [0.0];
            evaluate(model.as_ref(), Device::Cpu, &x, 2, Some(&mut e), None).unwrap();
            if e[0] != e_low && e[0] != e_high {
                torn += 1;
            }
        }
        sampling.join().unwrap();
        stop.store(true, Ordering::Relaxed);
        writer.join().unwrap();
        assert_eq!(torn, 0, "evaluations saw a mix of two parameter vectors");
    });

    // Training steps racing parameter writes: every step succeeds.
    let rule = Rule::Sgd {
        momentum: 0.0,
        dampening: 0.0,
        nesterov: false,
        weight_decay: 0.0,
    };
    let mut optimizer = Optimizer::new(Arc::clone(&model), rule, 0.01, None).unwrap();
    let mut loss = ScoreMatching::new(
        Arc::clone(&model),
        ScoreMatchingMethod::Denoising { noise_scale: 0.1 },
        0,
    )
    .unwrap();
    let data: Vec<f64> = (0..64).map(|i| (i as f64 * 0.37).sin()).collect();
    let stop = AtomicBool::new(false);
    thread::scope(|scope| {
        let writer = scope.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                model::set_parameters(trainable(), &low).unwrap();
            }
        });
        for _ in 0..30 {
            optimizer
                .train_step(&model, data.len() / 2, || loss.compute(&data, 2))
                .unwrap();
        }
        stop.store(true, Ordering::Relaxed);
        writer.join().unwrap();
    });
}
