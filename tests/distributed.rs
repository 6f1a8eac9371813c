//! Data-parallel training and combined sampler statistics through an all-reduce, with threads
//! standing in for processes (the MPI runs are `make test-mpi`): P "processes" with batches
//! n_p equal one process with every batch, and a failure on one stops all of them.

use std::sync::{Arc, Barrier, Mutex};
use std::thread;

use tch::{Device, Kind};
use torchebm::data::Dataset;
use torchebm::distributed::{AllReduce, Values};
use torchebm::energy::{DoubleWell, Energy};
use torchebm::loss::{ScoreMatching, ScoreMatchingMethod};
use torchebm::model::{self, Activation, Mlp, MlpSpec};
use torchebm::optim::{Optimizer, Rule};
use torchebm::sampler::{MalaParams, Method, Sampler, SamplerOptions};
use torchebm::Error;

/// One all-reduce per "process" of a group of `size` threads: each call waits for every
/// member, then all get the sum (added in rank order, as a deterministic MPI would).
fn group(size: usize) -> Vec<AllReduce> {
    type Slots = Mutex<Vec<Option<Vec<f64>>>>;
    let shared: Arc<(Slots, Barrier)> = Arc::new((Mutex::new(vec![None; size]), Barrier::new(size)));
    (0..size)
        .map(|rank| {
            let shared = Arc::clone(&shared);
            AllReduce::new(Box::new(move |values| {
                let (slots, barrier) = &*shared;
                let mine: Vec<f64> = match &values {
                    Values::F32(v) => v.iter().map(|x| *x as f64).collect(),
                    Values::F64(v) => v.to_vec(),
                };
                slots.lock().unwrap()[rank] = Some(mine);
                barrier.wait();
                let total = {
                    let slots = slots.lock().unwrap();
                    let mut total = slots[0].clone().unwrap();
                    for other in &slots[1..] {
                        for (t, v) in total.iter_mut().zip(other.as_ref().unwrap()) {
                            *t += v;
                        }
                    }
                    total
                };
                barrier.wait();
                match values {
                    Values::F32(v) => v.iter_mut().zip(&total).for_each(|(a, b)| *a = *b as f32),
                    Values::F64(v) => v.copy_from_slice(&total),
                }
                Ok(())
            }))
        })
        .collect()
}

/// Runs `body(rank, allreduce)` on one thread per member of a group of `size`.
fn on_group<T: Send + 'static>(size: usize, body: impl Fn(usize, AllReduce) -> T + Send + Sync + 'static) -> Vec<T> {
    let body = Arc::new(body);
    let handles: Vec<_> = group(size)
        .into_iter()
        .enumerate()
        .map(|(rank, reduce)| {
            let body = Arc::clone(&body);
            thread::spawn(move || body(rank, reduce))
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

fn mlp(hidden: usize, kind: Kind) -> Arc<dyn Energy> {
    let spec = MlpSpec {
        input_dim: 2,
        hidden: vec![hidden, hidden],
        activation: Activation::Silu,
        spectral_norm: false,
        kind,
    };
    Arc::new(Mlp::new(spec, Device::Cpu, 7).unwrap())
}

fn adam() -> Rule {
    Rule::Adam {
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.0,
        decoupled_weight_decay: false,
    }
}

fn data(n: usize) -> Vec<f64> {
    let mut data = vec![0.0; n * 2];
    Dataset::EightGaussians { std: 0.1, scale: 2.0 }
        .generate(n, 3, &mut data)
        .unwrap();
    data
}

fn parameters(model: &Arc<dyn Energy>) -> Vec<f64> {
    let m = model.as_model().unwrap();
    let mut values = vec![0.0; model::parameter_count(m).unwrap()];
    model::copy_parameters(m, &mut values).unwrap();
    values
}

/// Parameters and losses after `steps` Adam steps of exact score matching on `batches`
/// (row ranges of the data), one "process" per batch.
fn train(kind: Kind, batches: &[(usize, usize)], steps: usize) -> Vec<(Vec<f64>, Vec<f64>)> {
    let batches = batches.to_vec();
    let all = data(batches.iter().map(|b| b.1).max().unwrap());
    let size = batches.len();
    on_group(size, move |rank, reduce| {
        let model = mlp(16, kind);
        let mut optimizer = Optimizer::new(model.clone(), adam(), 0.01, None).unwrap();
        if size > 1 {
            optimizer.set_allreduce(Some(reduce));
        }
        let mut loss = ScoreMatching::new(model.clone(), ScoreMatchingMethod::Exact, 0).unwrap();
        let (start, end) = batches[rank];
        let batch = &all[2 * start..2 * end];
        let losses = (0..steps)
            .map(|_| {
                optimizer
                    .train_step(&model, end - start, || loss.compute(batch, 2))
                    .unwrap()
            })
            .collect();
        (parameters(&model), losses)
    })
}

fn max_relative(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / x.abs().max(y.abs()).max(1e-3))
        .fold(0.0, f64::max)
}

/// Two processes with batches of 24 and 40 points are one process with the 64: the weights
/// are the batch sizes (equal weights would give another gradient). Double precision: only
/// the order of additions differs, so parameters agree to 1e-10 after 5 Adam steps.
#[test]
fn unequal_batches_over_two_processes_equal_one_process() {
    let one = train(Kind::Double, &[(0, 64)], 5);
    let two = train(Kind::Double, &[(0, 24), (24, 64)], 5);
    assert_eq!(two[0].0, two[1].0, "both processes take identical updates");
    assert_eq!(two[0].1, two[1].1, "and return the same global loss");
    let difference = max_relative(&one[0].0, &two[0].0);
    eprintln!("f64: parameters differ by {difference:e} (relative)");
    assert!(difference < 1e-10, "parameters differ by {difference:e} (relative)");
    let loss_difference = max_relative(&one[0].1, &two[0].1);
    assert!(loss_difference < 1e-10, "losses differ by {loss_difference:e}");
    // Control: processes without the all-reduce drift apart from the one-process run.
    let alone = train(Kind::Double, &[(0, 24)], 5);
    assert!(max_relative(&one[0].0, &alone[0].0) > 1e-4);
}

/// Float models send float gradients; agreement is then to float rounding (about 1e-6
/// relative after 3 Adam steps here; Adam's normalisation can amplify rounding in
/// near-zero gradient components, hence the margin).
#[test]
fn float_models_combine_in_float() {
    let one = train(Kind::Float, &[(0, 64)], 3);
    let two = train(Kind::Float, &[(0, 32), (32, 64)], 3);
    assert_eq!(two[0].0, two[1].0);
    let difference = max_relative(&one[0].0, &two[0].0);
    eprintln!("f32: parameters differ by {difference:e} (relative)");
    assert!(difference < 1e-5, "parameters differ by {difference:e} (relative)");
}

/// optimizer.step() averages with equal weights: SGD with lr 1 moves by −(g₀ + g₁)/2.
#[test]
fn plain_steps_average_the_processes_gradients() {
    let results = on_group(2, |rank, reduce| {
        let model = mlp(4, Kind::Double);
        let sgd = Rule::Sgd {
            momentum: 0.0,
            dampening: 0.0,
            nesterov: false,
            weight_decay: 0.0,
        };
        let mut optimizer = Optimizer::new(model.clone(), sgd, 1.0, None).unwrap();
        optimizer.set_allreduce(Some(reduce));
        let m = model.as_model().unwrap();
        let count = model::parameter_count(m).unwrap();
        let before = parameters(&model);
        let gradient: Vec<f64> = (0..count)
            .map(|i| (i + 1) as f64 * if rank == 0 { 1.0 } else { 3.0 })
            .collect();
        model::set_gradients(m, &gradient).unwrap();
        optimizer.step().unwrap();
        (before, parameters(&model))
    });
    for (before, after) in &results {
        for (i, (b, a)) in before.iter().zip(after).enumerate() {
            let want = b - 2.0 * (i + 1) as f64;
            assert!((a - want).abs() < 1e-12, "parameter {i}: {a} vs {want}");
        }
    }
}

/// A process whose data are NaN fails with its own error, the other with Remote; neither
/// updates, and the next step works on both.
#[test]
fn a_failure_on_one_process_stops_every_process() {
    let results = on_group(2, |rank, reduce| {
        let model = mlp(8, Kind::Double);
        let mut optimizer = Optimizer::new(model.clone(), adam(), 0.01, None).unwrap();
        optimizer.set_allreduce(Some(reduce));
        let mut loss = ScoreMatching::new(model.clone(), ScoreMatchingMethod::Exact, 0).unwrap();
        let mut batch = data(16);
        if rank == 1 {
            batch[5] = f64::NAN;
        }
        let before = parameters(&model);
        let failed = optimizer
            .train_step(&model, 16, || loss.compute(&batch, 2))
            .unwrap_err();
        let unchanged = parameters(&model) == before && optimizer.steps() == 0;
        batch[5] = 0.5;
        let recovered = optimizer.train_step(&model, 16, || loss.compute(&batch, 2)).is_ok();
        (failed, unchanged, recovered)
    });
    assert!(
        matches!(results[1].0, Error::NonFinite { arg: "data", .. }),
        "{}",
        results[1].0
    );
    assert!(matches!(results[0].0, Error::Remote { .. }), "{}", results[0].0);
    assert!(results[0].0.to_string().contains("failed on 1 other process"));
    assert!(results.iter().all(|r| r.1 && r.2));
}

/// Models of different sizes are refused on every process before any gradient is sent.
#[test]
fn different_models_are_refused_everywhere() {
    let results = on_group(2, |rank, reduce| {
        let model = mlp(if rank == 0 { 8 } else { 9 }, Kind::Double);
        let mut optimizer = Optimizer::new(model.clone(), adam(), 0.01, None).unwrap();
        optimizer.set_allreduce(Some(reduce));
        let mut loss = ScoreMatching::new(model.clone(), ScoreMatchingMethod::Exact, 0).unwrap();
        let batch = data(8);
        let before = parameters(&model);
        let error = optimizer.train_step(&model, 8, || loss.compute(&batch, 2)).unwrap_err();
        (error.to_string(), parameters(&model) == before)
    });
    for (message, unchanged) in results {
        assert!(message.contains("differ in parameter count or precision"), "{message}");
        assert!(unchanged);
    }
}

fn mala(seed: u64) -> Sampler {
    let energy: Arc<dyn Energy> = Arc::new(DoubleWell::new(1.0, 2.0).unwrap());
    let params = MalaParams {
        step_size: 0.1,
        ..Default::default()
    };
    Sampler::new(
        energy,
        Method::Mala(params),
        SamplerOptions {
            seed,
            ..Default::default()
        },
    )
    .unwrap()
}

/// Combined statistics are those of all chains together, computed here from each process's
/// own per-chain diagnostics.
#[test]
fn sampler_statistics_combine_over_processes() {
    let chains = [30usize, 50];
    let results = on_group(2, move |rank, reduce| {
        let mut sampler = mala(rank as u64 + 1);
        sampler.init::<f64>(None, chains[rank], 2).unwrap();
        sampler.run::<f64>(20, 1, None).unwrap();
        let local = (
            sampler.stats().unwrap(),
            sampler.energy_trace().unwrap(),
            sampler.acceptance_rates().unwrap(),
        );
        sampler.set_allreduce(Some(reduce));
        let combined = (sampler.stats().unwrap(), sampler.energy_trace().unwrap());
        (local, combined)
    });
    let ((s0, t0, a0), _) = &results[0];
    let ((s1, t1, a1), _) = &results[1];
    let accepted: f64 = a0.iter().chain(a1.iter()).sum::<f64>() / 80.0;
    let weight = |a: f64, b: f64| (a * 30.0 + b * 50.0) / 80.0; // every chain stays finite here
    for (_, (stats, trace)) in &results {
        assert_eq!(stats.chains, 80);
        assert_eq!(stats.non_finite_chains, 0);
        assert_eq!(stats.steps, 20);
        assert!((stats.mean_acceptance - accepted).abs() < 1e-12);
        assert!((stats.mean_energy - weight(s0.mean_energy, s1.mean_energy)).abs() < 1e-12);
        assert_eq!(trace.len(), 20);
        for (i, value) in trace.iter().enumerate() {
            assert!((value - weight(t0[i], t1[i])).abs() < 1e-12, "step {i}");
        }
    }
    // Compared as printed, so that NaN fields (mean_tree_depth of samplers other than NUTS)
    // compare equal.
    assert_eq!(
        format!("{:?}", results[0].1 .0),
        format!("{:?}", results[1].1 .0),
        "every process gets the same statistics"
    );
}

/// A process without chains fails with its own error, the others with Remote; processes
/// whose step counts differ are all refused.
#[test]
fn sampler_statistics_fail_together() {
    let results = on_group(2, |rank, reduce| {
        let mut sampler = mala(1);
        sampler.set_allreduce(Some(reduce));
        if rank == 0 {
            sampler.init::<f64>(None, 10, 2).unwrap();
        }
        let missing = sampler.stats().unwrap_err();
        sampler.init::<f64>(None, 10, 2).unwrap();
        sampler.run::<f64>(rank as u64 + 1, 1, None).unwrap();
        let steps = (sampler.stats().unwrap_err(), sampler.energy_trace().unwrap_err());
        (missing, steps)
    });
    assert!(
        matches!(results[0].0, Error::Remote { arg: "sampler", .. }),
        "{}",
        results[0].0
    );
    assert!(matches!(results[1].0, Error::InvalidArgument { arg: "sampler", .. }));
    for (_, (stats, trace)) in &results {
        assert!(
            stats.to_string().contains("differ in steps taken or dimension"),
            "{stats}"
        );
        assert!(trace.to_string().contains("different numbers of steps"), "{trace}");
    }
}
