//! Losses against closed forms, optimizers against their update rules, flat parameters,
//! saving and resuming.

use std::sync::Arc;

use torchebm::exclusive::Exclusive;

use tch::{Device, Kind};
use torchebm::checkpoint;
use torchebm::data::Dataset;
use torchebm::energy::{evaluate, Energy, Gaussian};
use torchebm::loss::{CdParams, ChainStart, ContrastiveDivergence, Projection, ScoreMatching, ScoreMatchingMethod};
use torchebm::model::{self, Activation, Mlp, MlpSpec};
use torchebm::optim::{Optimizer, Rule};
use torchebm::sampler::{LangevinParams, Method, Sampler, SamplerOptions};
use torchebm::Error;

/// The Gaussian of the sampler tests and its precision matrix.
fn gaussian() -> (Arc<dyn Energy>, [f64; 2], [f64; 4]) {
    let mean = [1.0, -2.0];
    let cov = [1.0, 0.5, 0.5, 2.0];
    let det = cov[0] * cov[3] - cov[1] * cov[2];
    let precision = [cov[3] / det, -cov[1] / det, -cov[2] / det, cov[0] / det];
    (Arc::new(Gaussian::new(&mean, &cov).unwrap()), mean, precision)
}

fn points(n: usize) -> Vec<f64> {
    (0..2 * n).map(|k| ((k as f64) * 0.7).sin() * 2.0).collect()
}

/// mean over points of ½|P(x − μ)|².
fn half_score_norm(x: &[f64], mean: [f64; 2], p: [f64; 4]) -> f64 {
    x.chunks(2)
        .map(|q| {
            let d = [q[0] - mean[0], q[1] - mean[1]];
            let g = [p[0] * d[0] + p[1] * d[1], p[2] * d[0] + p[3] * d[1]];
            0.5 * (g[0] * g[0] + g[1] * g[1])
        })
        .sum::<f64>()
        / (x.len() / 2) as f64
}

#[test]
fn exact_score_matching_of_a_gaussian_is_its_closed_form() {
    let (energy, mean, p) = gaussian();
    let x = points(50);
    let mut loss = ScoreMatching::new(energy, ScoreMatchingMethod::Exact, 0).unwrap();
    let value = loss.compute(&x, 2).unwrap();
    let want = half_score_norm(&x, mean, p) - (p[0] + p[3]);
    assert!((value - want).abs() < 1e-12, "{value} vs {want}");
}

#[test]
fn sliced_score_matching_averages_to_the_exact_objective() {
    let (energy, mean, p) = gaussian();
    let x = points(40);
    let want = half_score_norm(&x, mean, p) - (p[0] + p[3]);
    for distribution in [Projection::Rademacher, Projection::Gaussian] {
        let method = ScoreMatchingMethod::Sliced {
            projections: 20_000,
            distribution,
        };
        let value = ScoreMatching::new(energy.clone(), method, 5)
            .unwrap()
            .compute(&x, 2)
            .unwrap();
        // E_v[(vᵀg)²] = |g|² and E_v[vᵀPv] = tr P; 20000 projections leave ~1% noise.
        assert!(
            (value - want).abs() < 0.03 * want.abs().max(1.0),
            "{distribution:?}: {value} vs {want}"
        );
    }
}

#[test]
fn denoising_score_matching_averages_to_its_closed_form() {
    let (energy, mean, p) = gaussian();
    let sigma = 0.3;
    // Many copies of a few points: the noise average approaches the expectation
    // ½|P(x−μ)|² + ½ tr((σP − I/σ)²).
    let x: Vec<f64> = points(4).repeat(20_000);
    let a = [
        sigma * p[0] - 1.0 / sigma,
        sigma * p[1],
        sigma * p[2],
        sigma * p[3] - 1.0 / sigma,
    ];
    let trace_square = a[0] * a[0] + a[1] * a[2] + a[2] * a[1] + a[3] * a[3];
    let want = half_score_norm(&x, mean, p) + 0.5 * trace_square;
    let value = ScoreMatching::new(energy, ScoreMatchingMethod::Denoising { noise_scale: sigma }, 9)
        .unwrap()
        .compute(&x, 2)
        .unwrap();
    assert!((value - want).abs() < 0.01 * want, "{value} vs {want}");
}

fn mlp_with(seed: u64, spectral_norm: bool) -> Arc<dyn Energy> {
    let spec = MlpSpec {
        input_dim: 2,
        hidden: vec![16, 16],
        activation: Activation::Silu,
        spectral_norm,
        kind: Kind::Float,
    };
    Arc::new(Mlp::new(spec, Device::Cpu, seed).unwrap())
}

fn small_mlp(seed: u64) -> Arc<dyn Energy> {
    mlp_with(seed, true)
}

fn langevin(model: &Arc<dyn Energy>, seed: u64) -> Arc<Exclusive<Sampler>> {
    let method = Method::Langevin(LangevinParams {
        step_size: 0.05,
        noise_scale: 0.1,
        ..Default::default()
    });
    Arc::new(Exclusive::new(
        Sampler::new(
            model.clone(),
            method,
            SamplerOptions {
                seed,
                ..Default::default()
            },
        )
        .unwrap(),
    ))
}

#[test]
fn cd_loss_is_the_energy_difference_of_its_negatives() {
    for start in [
        ChainStart::Noise,
        ChainStart::Data,
        ChainStart::Persistent {
            buffer_size: 100,
            reinit_fraction: 0.05,
        },
    ] {
        // Without spectral normalisation, whose power iteration advances at each training
        // forward pass (as in PyTorch), so that re-evaluating gives the loss's energies.
        let model = mlp_with(1, false);
        let params = CdParams {
            k: 5,
            start,
            energy_reg_weight: 0.01,
            n_negatives: 0,
            seed: 3,
            ..CdParams::default()
        };
        let mut loss = ContrastiveDivergence::new(model.clone(), langevin(&model, 2), params).unwrap();
        let data: Vec<f32> = points(32).iter().map(|v| *v as f32).collect();
        let outcome = loss.compute(&data, 2).unwrap();
        let mut negatives = vec![0f32; 64];
        loss.last_negatives(&mut negatives).unwrap();
        let (mut e_data, mut e_neg) = (vec![0.0; 32], vec![0.0; 32]);
        evaluate(
            model.as_ref(),
            Device::Cpu,
            &data.iter().map(|v| f64::from(*v)).collect::<Vec<_>>(),
            2,
            Some(&mut e_data),
            None,
        )
        .unwrap();
        evaluate(
            model.as_ref(),
            Device::Cpu,
            &negatives.iter().map(|v| f64::from(*v)).collect::<Vec<_>>(),
            2,
            Some(&mut e_neg),
            None,
        )
        .unwrap();
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let square = |v: &[f64]| v.iter().map(|e| e * e).sum::<f64>() / v.len() as f64;
        let want = mean(&e_data) - mean(&e_neg) + 0.01 * (square(&e_data) + square(&e_neg));
        assert!(
            (outcome.loss - want).abs() < 1e-6,
            "{start:?}: {} vs {want}",
            outcome.loss
        );
        assert!((outcome.data_energy - mean(&e_data)).abs() < 1e-6);
        assert!((outcome.negative_energy - mean(&e_neg)).abs() < 1e-6);
        let mut grads = vec![0f32; model::parameter_count(model.as_model().unwrap()).unwrap()];
        model::copy_gradients(model.as_model().unwrap(), &mut grads).unwrap();
        assert!(grads.iter().any(|g| *g != 0.0), "{start:?}: gradients accumulated");
    }
}

#[test]
fn cd_rejects_a_sampler_of_another_energy() {
    let model = small_mlp(1);
    let other = small_mlp(2);
    match ContrastiveDivergence::new(model, langevin(&other, 0), CdParams::default()) {
        Err(Error::InvalidArgument { arg: "sampler", .. }) => {}
        other => panic!("expected a sampler mismatch, got {:?}", other.err()),
    }
}

#[test]
fn flat_parameters_round_trip_and_count() {
    let spec = MlpSpec {
        input_dim: 2,
        hidden: vec![128, 128],
        activation: Activation::Silu,
        spectral_norm: false,
        kind: Kind::Double,
    };
    let model = Mlp::new(spec, Device::Cpu, 4).unwrap();
    let count = model::parameter_count(&model).unwrap();
    assert_eq!(count, (2 * 128 + 128) + (128 * 128 + 128) + (128 + 1));
    let mut values = vec![0.0; count];
    model::copy_parameters(&model, &mut values).unwrap();
    let changed: Vec<f64> = values.iter().map(|v| v * 2.0 + 1.0).collect();
    model::set_parameters(&model, &changed).unwrap();
    let mut back = vec![0.0; count];
    model::copy_parameters(&model, &mut back).unwrap();
    assert_eq!(back, changed);
    model::set_gradients(&model, &values).unwrap();
    let mut grads = vec![0.0; count];
    model::copy_gradients(&model, &mut grads).unwrap();
    assert_eq!(grads, values);
    model::zero_gradients(&model).unwrap();
    model::copy_gradients(&model, &mut grads).unwrap();
    assert!(grads.iter().all(|g| *g == 0.0));
}

/// One optimizer step from parameters p and gradients g, both given as flat vectors.
fn step_once(rule: Rule, learning_rate: f64, p: &[f64], g: &[f64], max_norm: Option<f64>) -> Vec<f64> {
    let spec = MlpSpec {
        input_dim: 1,
        hidden: vec![],
        activation: Activation::Silu,
        spectral_norm: false,
        kind: Kind::Double,
    };
    let model: Arc<dyn Energy> = Arc::new(Mlp::new(spec, Device::Cpu, 0).unwrap());
    let m = model.as_model().unwrap();
    model::set_parameters(m, p).unwrap();
    model::set_gradients(m, g).unwrap();
    let mut optimizer = Optimizer::new(model.clone(), rule, learning_rate, max_norm).unwrap();
    optimizer.step().unwrap();
    let mut out = vec![0.0; 2];
    model::copy_parameters(m, &mut out).unwrap();
    out
}

#[test]
fn optimizers_follow_torch_optim_rules() {
    let (p, g) = ([0.5, -1.0], [0.2, -0.4]);
    let sgd = Rule::Sgd {
        momentum: 0.9,
        dampening: 0.0,
        nesterov: false,
        weight_decay: 0.1,
    };
    let out = step_once(sgd, 0.1, &p, &g, None);
    // d = g + 0.1 p; first momentum buffer = d.
    for i in 0..2 {
        assert!((out[i] - (p[i] - 0.1 * (g[i] + 0.1 * p[i]))).abs() < 1e-15);
    }
    let adam = Rule::Adam {
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.0,
        decoupled_weight_decay: false,
    };
    let out = step_once(adam, 0.01, &p, &g, None);
    // First Adam step: m̂ = g, v̂ = g², so p − lr · g / (|g| + eps).
    for i in 0..2 {
        let want = p[i] - 0.01 * g[i] / (g[i].abs() + 1e-8);
        assert!((out[i] - want).abs() < 1e-12, "{} vs {want}", out[i]);
    }
    let plain = Rule::Sgd {
        momentum: 0.0,
        dampening: 0.0,
        nesterov: false,
        weight_decay: 0.0,
    };
    let out = step_once(plain, 1.0, &p, &g, Some(0.1));
    let norm = (0.2f64 * 0.2 + 0.4 * 0.4).sqrt();
    for i in 0..2 {
        assert!(
            (out[i] - (p[i] - g[i] * 0.1 / (norm + 1e-6))).abs() < 1e-12,
            "clipped to norm 0.1"
        );
    }
}

/// ∇ₓE by autograd through the model's plain forward pass: the reference for the written-out
/// chain rule that samplers use.
fn autograd_gradient(model: &Arc<dyn Energy>, x: &tch::Tensor) -> (tch::Tensor, tch::Tensor) {
    tch::with_grad(|| {
        let input = x.detach().set_requires_grad(true);
        let energy = model.energy(&input).unwrap();
        let gradient = tch::Tensor::run_backward(&[&energy.sum(None::<Kind>)], &[&input], false, false);
        (energy.detach(), gradient[0].detach())
    })
}

#[test]
fn mlp_input_gradients_match_autograd_for_every_architecture() {
    let activations = [
        Activation::Silu,
        Activation::Relu,
        Activation::Tanh,
        Activation::Softplus,
        Activation::Elu,
    ];
    tch::manual_seed(3);
    for activation in activations {
        for spectral_norm in [false, true] {
            for hidden in [vec![], vec![5], vec![6, 7]] {
                for (kind, tolerance) in [(Kind::Float, 1e-5), (Kind::Double, 1e-12)] {
                    let spec = MlpSpec {
                        input_dim: 3,
                        hidden: hidden.clone(),
                        activation,
                        spectral_norm,
                        kind,
                    };
                    let model: Arc<dyn Energy> = Arc::new(Mlp::new(spec, Device::Cpu, 11).unwrap());
                    let x = tch::Tensor::randn([40, 3], (kind, Device::Cpu)) * 3.0;
                    let (energy, gradient) = model.energy_and_gradient(&x).unwrap();
                    let (want_energy, want_gradient) = autograd_gradient(&model, &x);
                    let label = format!("{activation:?}, spectral norm {spectral_norm}, hidden {hidden:?}, {kind:?}");
                    assert_eq!(gradient.size(), vec![40, 3], "{label}");
                    assert_eq!(gradient.kind(), kind, "{label}");
                    let energy_error = (energy - want_energy).abs().max().double_value(&[]);
                    let scale = want_gradient.abs().max().double_value(&[]).max(1.0);
                    let gradient_error = (gradient - want_gradient).abs().max().double_value(&[]) / scale;
                    assert!(
                        energy_error <= tolerance,
                        "{label}: energies differ by {energy_error:e}"
                    );
                    assert!(
                        gradient_error <= tolerance,
                        "{label}: gradients differ by {gradient_error:e} (relative)"
                    );
                }
            }
        }
    }
}

#[test]
fn optimizers_skip_parameters_without_a_gradient() {
    // Exact score matching never reaches the output bias (it does not change ∇ₓE), so that
    // parameter has no gradient and, as in torch.optim, must not move, even with weight decay.
    let spec = MlpSpec {
        input_dim: 2,
        hidden: vec![8],
        activation: Activation::Tanh,
        spectral_norm: false,
        kind: Kind::Double,
    };
    let model: Arc<dyn Energy> = Arc::new(Mlp::new(spec, Device::Cpu, 5).unwrap());
    let parameters = model.as_model().unwrap().parameters().unwrap();
    let output_bias = parameters.last().unwrap();
    assert!(!output_bias.grad().defined());
    let mut loss = ScoreMatching::new(model.clone(), ScoreMatchingMethod::Exact, 0).unwrap();
    loss.compute(&points(32), 2).unwrap();
    assert!(!output_bias.grad().defined(), "the output bias got a gradient");
    for rule in [
        Rule::Adam {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.1,
            decoupled_weight_decay: false,
        },
        Rule::Sgd {
            momentum: 0.9,
            dampening: 0.0,
            nesterov: false,
            weight_decay: 0.1,
        },
    ] {
        let before: Vec<tch::Tensor> = parameters.iter().map(|p| p.detach().copy()).collect();
        let mut optimizer = Optimizer::new(model.clone(), rule, 0.01, Some(1.0)).unwrap();
        optimizer.step().unwrap();
        optimizer.step().unwrap();
        for (i, (p, old)) in parameters.iter().zip(&before).enumerate() {
            let moved = (p.detach() - old).abs().max().double_value(&[]);
            if i + 1 == parameters.len() {
                assert_eq!(moved, 0.0, "{}: the output bias moved", rule.name());
            } else {
                assert!(moved > 0.0, "{}: parameter tensor {i} did not move", rule.name());
            }
        }
        // Its checkpointed state still has one entry per parameter tensor and state tensor.
        assert_eq!(
            optimizer.state().unwrap().len(),
            parameters.len() * rule_state_count(rule)
        );
    }
}

#[test]
fn a_training_step_refuses_a_loss_of_another_model_and_changes_nothing() {
    let model = small_mlp(5);
    let other = small_mlp(5);
    let adam = Rule::Adam {
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.0,
        decoupled_weight_decay: false,
    };
    let mut optimizer = Optimizer::new(model.clone(), adam, 1e-2, None).unwrap();
    let parameters = |m: &Arc<dyn Energy>| {
        let m = m.as_model().unwrap();
        let mut values = vec![0.0f64; model::parameter_count(m).unwrap()];
        model::copy_parameters(m, &mut values).unwrap();
        values
    };
    let before = parameters(&model);
    let mut called = false;
    match optimizer.train_step(&other, 1, || {
        called = true;
        Ok(0.0)
    }) {
        Err(error @ Error::InvalidArgument { .. }) => {
            assert_eq!(
                error.to_string(),
                "optimizer: optimizes another model than the loss trains"
            )
        }
        result => panic!("expected a refusal, got {result:?}"),
    }
    assert!(!called, "the loss must not run");
    assert_eq!(optimizer.steps(), 0);
    assert_eq!(parameters(&model), before);
    // Its own model: the loss runs once and one update is taken.
    let mut data = vec![0.0f64; 64 * 2];
    Dataset::EightGaussians { std: 0.02, scale: 2.0 }
        .generate(64, 1, &mut data)
        .unwrap();
    let mut loss = ScoreMatching::new(model.clone(), ScoreMatchingMethod::Exact, 0).unwrap();
    let value = optimizer
        .train_step(&model, data.len() / 2, || loss.compute(&data, 2))
        .unwrap();
    assert!(value.is_finite());
    assert_eq!(optimizer.steps(), 1);
    assert_ne!(parameters(&model), before);
}

fn rule_state_count(rule: Rule) -> usize {
    match rule {
        Rule::Adam { .. } => 2,
        Rule::Sgd { momentum, .. } => usize::from(momentum != 0.0),
    }
}

#[test]
fn saved_models_load_with_identical_energies_and_bad_files_are_errors() {
    let dir = std::env::temp_dir().join(format!("torchebm-save-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("model.safetensors");
    let model = small_mlp(7);
    checkpoint::save_model(model.as_model().unwrap(), &path).unwrap();
    let loaded = checkpoint::load_model(&path, Device::Cpu).unwrap();
    assert_eq!(loaded.architecture().hidden, vec![16, 16]);
    let x = points(20);
    let (mut a, mut b) = (vec![0.0; 20], vec![0.0; 20]);
    evaluate(model.as_ref(), Device::Cpu, &x, 2, Some(&mut a), None).unwrap();
    evaluate(&loaded, Device::Cpu, &x, 2, Some(&mut b), None).unwrap();
    assert_eq!(a, b);

    let bytes = std::fs::read(&path).unwrap();
    let truncated = dir.join("truncated.safetensors");
    std::fs::write(&truncated, &bytes[..bytes.len() - 10]).unwrap();
    assert!(matches!(
        checkpoint::load_model(&truncated, Device::Cpu),
        Err(Error::Format { .. })
    ));
    let mut corrupted = bytes.clone();
    corrupted[12] ^= 0xff;
    let garbled = dir.join("garbled.safetensors");
    std::fs::write(&garbled, &corrupted).unwrap();
    assert!(matches!(
        checkpoint::load_model(&garbled, Device::Cpu),
        Err(Error::Format { .. })
    ));
    assert!(matches!(
        checkpoint::load_model(&dir.join("missing"), Device::Cpu),
        Err(Error::Io { .. })
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A training run that can stop, checkpoint, and resume.
struct Run {
    model: Arc<dyn Energy>,
    loss: ContrastiveDivergence,
    optimizer: Optimizer,
    data: Vec<f32>,
    step: usize,
}

impl Run {
    fn new() -> Run {
        let model = small_mlp(11);
        let params = CdParams {
            k: 3,
            start: ChainStart::Persistent {
                buffer_size: 200,
                reinit_fraction: 0.1,
            },
            energy_reg_weight: 0.001,
            n_negatives: 0,
            seed: 5,
            ..CdParams::default()
        };
        let loss = ContrastiveDivergence::new(model.clone(), langevin(&model, 6), params).unwrap();
        let rule = Rule::Adam {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            decoupled_weight_decay: false,
        };
        let optimizer = Optimizer::new(model.clone(), rule, 1e-3, Some(1.0)).unwrap();
        let mut data = vec![0f32; 2000];
        Dataset::TwoMoons { noise: 0.05 }.generate(1000, 2, &mut data).unwrap();
        Run {
            model,
            loss,
            optimizer,
            data,
            step: 0,
        }
    }

    fn train(&mut self, steps: usize) {
        for _ in 0..steps {
            let start = (self.step * 64) % (1000 - 64);
            let batch = &self.data[start * 2..(start + 64) * 2];
            let loss = &mut self.loss;
            self.optimizer
                .train_step(&self.model, batch.len() / 2, || loss.compute(batch, 2))
                .unwrap();
            self.step += 1;
        }
    }

    fn parameters(&self) -> Vec<f32> {
        let m = self.model.as_model().unwrap();
        let mut out = vec![0f32; model::parameter_count(m).unwrap()];
        model::copy_parameters(m, &mut out).unwrap();
        out
    }
}

#[test]
fn training_resumed_from_a_checkpoint_continues_identically() {
    let path = std::env::temp_dir().join(format!("torchebm-checkpoint-{}.safetensors", std::process::id()));
    let mut original = Run::new();
    original.train(15);
    checkpoint::save_training(
        &path,
        &original.model,
        Some(&original.optimizer),
        Some(&mut original.loss),
    )
    .unwrap();
    original.train(10);

    let mut resumed = Run::new();
    checkpoint::load_training(
        &path,
        &resumed.model,
        Some(&mut resumed.optimizer),
        Some(&mut resumed.loss),
    )
    .unwrap();
    resumed.step = 15;
    resumed.train(10);
    assert_eq!(original.parameters(), resumed.parameters());
    assert_eq!(resumed.optimizer.steps(), 25);

    // A checkpoint of another architecture is refused, and leaves the model as it was.
    let spec = MlpSpec {
        input_dim: 2,
        hidden: vec![8],
        activation: Activation::Silu,
        spectral_norm: true,
        kind: Kind::Float,
    };
    let other: Arc<dyn Energy> = Arc::new(Mlp::new(spec, Device::Cpu, 0).unwrap());
    assert!(matches!(
        checkpoint::load_training(&path, &other, None, None),
        Err(Error::Format { .. })
    ));
    // Another model's optimizer or loss is refused before anything is read, both ways.
    let before = resumed.parameters();
    let mut stranger = Run::new();
    assert!(matches!(
        checkpoint::load_training(&path, &resumed.model, Some(&mut stranger.optimizer), None),
        Err(Error::InvalidArgument { arg: "optimizer", .. })
    ));
    assert!(matches!(
        checkpoint::load_training(&path, &resumed.model, None, Some(&mut stranger.loss)),
        Err(Error::InvalidArgument { arg: "loss", .. })
    ));
    assert!(matches!(
        checkpoint::save_training(&path, &resumed.model, Some(&stranger.optimizer), None),
        Err(Error::InvalidArgument { arg: "optimizer", .. })
    ));
    assert_eq!(resumed.parameters(), before);
    std::fs::remove_file(&path).unwrap();
}

/// The steps_total of every sampler run the loss makes, in order.
fn record_runs(sampler: &Arc<Exclusive<Sampler>>) -> Arc<std::sync::Mutex<Vec<u64>>> {
    let runs = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = Arc::clone(&runs);
    let callback: torchebm::sampler::ProgressCallback = Box::new(move |p| {
        if p.steps_done == p.steps_total {
            seen.lock().unwrap().push(p.steps_total);
        }
        std::ops::ControlFlow::Continue(())
    });
    sampler
        .lock("sampler")
        .unwrap()
        .set_progress(Some(callback), 1)
        .unwrap();
    runs
}

fn persistent(buffer_size: usize) -> ChainStart {
    ChainStart::Persistent {
        buffer_size,
        reinit_fraction: 0.05,
    }
}

#[test]
fn pcd_warms_up_a_fresh_buffer_with_init_steps_sampler_steps_once() {
    let data: Vec<f32> = points(32).iter().map(|v| *v as f32).collect();
    let buffer_after_first_loss = |init_steps: u64| {
        let model = mlp_with(1, false);
        let sampler = langevin(&model, 2);
        let runs = record_runs(&sampler);
        let params = CdParams {
            k: 5,
            start: persistent(100),
            seed: 3,
            init_steps,
            ..CdParams::default()
        };
        let mut loss = ContrastiveDivergence::new(model, sampler, params).unwrap();
        loss.compute(&data, 2).unwrap();
        let buffer = loss.buffer().unwrap().samples().unwrap().copy();
        loss.compute(&data, 2).unwrap();
        let runs = runs.lock().unwrap().clone();
        (runs, Vec::<f64>::try_from(buffer.flatten(0, -1)).unwrap())
    };
    // The warm-up is one extra run before the first loss's k steps, never again.
    let (warm_runs, warm) = buffer_after_first_loss(50);
    assert_eq!(warm_runs, [50, 5, 5]);
    let (cold_runs, cold) = buffer_after_first_loss(0);
    assert_eq!(cold_runs, [5, 5]);
    // Both buffers start from the same N(0, I) fill and draw the same rows: the 68 rows the
    // first loss did not draw are that fill without the warm-up and moved with it.
    let moved = warm.chunks(2).zip(cold.chunks(2)).filter(|(w, c)| w != c).count();
    assert_eq!(moved, 100);
}

#[test]
fn init_steps_is_ignored_unless_chains_persist() {
    let data: Vec<f32> = points(16).iter().map(|v| *v as f32).collect();
    for start in [ChainStart::Noise, ChainStart::Data] {
        let model = mlp_with(1, false);
        let sampler = langevin(&model, 2);
        let runs = record_runs(&sampler);
        let params = CdParams {
            k: 4,
            start,
            init_steps: 50,
            ..CdParams::default()
        };
        ContrastiveDivergence::new(model, sampler, params)
            .unwrap()
            .compute(&data, 2)
            .unwrap();
        assert_eq!(*runs.lock().unwrap(), [4], "{start:?}");
    }
}

#[test]
fn noise_added_to_real_data_has_the_stated_scale() {
    // A linear energy E(x) = w·x + b: the perturbation z shifts the mean data energy by
    // scale · mean(w·z), linear in the scale for the same draws z (same seed).
    let spec = MlpSpec {
        input_dim: 2,
        hidden: vec![],
        activation: Activation::Silu,
        spectral_norm: false,
        kind: Kind::Double,
    };
    let model: Arc<dyn Energy> = Arc::new(Mlp::new(spec, Device::Cpu, 4).unwrap());
    let n = 4096;
    let data = points(n);
    let data_energy = |add_noise_to_real: bool, real_noise_scale: f64| {
        let params = CdParams {
            add_noise_to_real,
            real_noise_scale,
            seed: 8,
            ..CdParams::default()
        };
        let mut loss = ContrastiveDivergence::new(model.clone(), langevin(&model, 2), params).unwrap();
        loss.compute(&data, 2).unwrap().data_energy
    };
    let clean = data_energy(false, 0.5);
    assert_eq!(data_energy(true, 0.0), clean);
    let shift = data_energy(true, 0.5) - clean;
    let doubled = data_energy(true, 1.0) - clean;
    assert!((doubled - 2.0 * shift).abs() < 1e-12, "{doubled} vs 2 × {shift}");
    // mean(w·z) ~ N(0, |w|² / n): nonzero, and within 5 standard deviations.
    let mut e = [0.0f64; 3];
    evaluate(
        model.as_ref(),
        Device::Cpu,
        &[0.0, 0.0, 1.0, 0.0, 0.0, 1.0],
        2,
        Some(&mut e),
        None,
    )
    .unwrap();
    let w_norm = ((e[1] - e[0]).powi(2) + (e[2] - e[0]).powi(2)).sqrt();
    let sd = 0.5 * w_norm / (n as f64).sqrt();
    assert!(
        shift != 0.0 && shift.abs() < 5.0 * sd,
        "shift {shift}, standard deviation {sd}"
    );
}

#[test]
fn cd_refuses_a_negative_or_non_finite_real_noise_scale() {
    let model = small_mlp(1);
    for (scale, negative) in [(-1e-4, true), (f64::NAN, false), (f64::INFINITY, false)] {
        let params = CdParams {
            add_noise_to_real: true,
            real_noise_scale: scale,
            ..CdParams::default()
        };
        match ContrastiveDivergence::new(model.clone(), langevin(&model, 0), params) {
            Err(Error::InvalidArgument {
                arg: "params.real_noise_scale",
                ..
            }) if negative => {}
            Err(Error::NonFinite {
                arg: "params.real_noise_scale",
                ..
            }) if !negative => {}
            other => panic!("{scale}: {:?}", other.err()),
        }
    }
}

#[test]
fn a_failed_warm_up_is_run_again_by_the_next_loss() {
    let data: Vec<f32> = points(32).iter().map(|v| *v as f32).collect();
    let model = mlp_with(1, false);
    let sampler = langevin(&model, 2);
    let cancel_warm_up: torchebm::sampler::ProgressCallback = Box::new(|p| {
        if p.steps_total == 50 {
            std::ops::ControlFlow::Break(Some("cancelled".into()))
        } else {
            std::ops::ControlFlow::Continue(())
        }
    });
    sampler
        .lock("sampler")
        .unwrap()
        .set_progress(Some(cancel_warm_up), 1)
        .unwrap();
    let params = CdParams {
        k: 5,
        start: persistent(100),
        init_steps: 50,
        ..CdParams::default()
    };
    let mut loss = ContrastiveDivergence::new(model, Arc::clone(&sampler), params).unwrap();
    assert!(loss.compute(&data, 2).is_err());
    let runs = record_runs(&sampler);
    loss.compute(&data, 2).unwrap();
    assert_eq!(*runs.lock().unwrap(), [50, 5]);
}
