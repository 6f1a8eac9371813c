//! Training: an MLP (arbitrary architecture parameters, kept tiny), a sampler of it, CD and
//! score-matching losses and SGD/Adam optimizers with every params field arbitrary, then
//! losses, train steps, parameter and gradient access, and save/load round trips.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use arbitrary::Arbitrary;
use common::*;
use libfuzzer_sys::fuzz_target;
use std::ptr;

/// A count kept small when valid (`modulo` values from 1), else as given.
fn small(c: Count, modulo: i64) -> i64 {
    let v = c.get();
    if v > 0 && v < ABSURD {
        v % modulo + 1
    } else {
        v
    }
}

/// As `small`, but absurd values become small too (they would cost time, not memory).
fn bounded(c: Count, modulo: i64) -> i64 {
    let v = c.get();
    if v > 0 {
        v % modulo + 1
    } else {
        v
    }
}

#[derive(Arbitrary, Debug)]
struct MlpSpec {
    struct_size_zero: bool,
    input_dim: Count,
    hidden: Vec<Count>,
    null_hidden: bool,
    activation: u8,
    spectral_norm: bool,
    dtype: u8,
    device: Option<i32>,
    seed: u64,
}

#[derive(Arbitrary, Debug)]
struct CdSpec {
    struct_size_zero: bool,
    k: Count,
    start: u8,
    buffer_size: Count,
    reinit_fraction: Num,
    energy_reg_weight: Num,
    n_negatives: Count,
    seed: u64,
}

#[derive(Arbitrary, Debug)]
struct SmSpec {
    struct_size_zero: bool,
    method: u8,
    n_projections: Count,
    projection: u8,
    noise_scale: Num,
    seed: u64,
    /// Score matching of an analytic energy instead of the model.
    analytic: Option<EnergySpec>,
}

#[derive(Arbitrary, Debug)]
enum OptSpec {
    Sgd { struct_size_zero: bool, lr: Num, momentum: Num, dampening: Num, nesterov: bool, weight_decay: Num, clip: Num },
    Adam { struct_size_zero: bool, lr: Num, beta1: Num, beta2: Num, eps: Num, weight_decay: Num, decoupled: bool, clip: Num },
}

#[derive(Arbitrary, Debug)]
struct Batch {
    f64: bool,
    n: Count,
    dim: Option<Count>,
    data: Vec<Num>,
    loss_out: bool,
}

#[derive(Arbitrary, Debug)]
enum Op {
    CdCompute(Batch),
    CdTrain(Batch),
    SmCompute(Batch),
    SmTrain(Batch),
    Negatives { f64: bool, n: Option<Count>, dim: Option<Count> },
    GetParams { f64: bool, gradients: bool, len: Option<Count> },
    SetParams { f64: bool, gradients: bool, len: Option<Count>, values: Vec<Num> },
    ZeroGrad,
    OptZeroGrad,
    OptStep,
    SetLearningRate(Num),
    Checkpoint { with_optimizer: bool, with_loss: bool },
    SaveLoadModel,
}

#[derive(Arbitrary, Debug)]
struct Input {
    mlp: MlpSpec,
    langevin_step: Num,
    cd: CdSpec,
    sm: SmSpec,
    opt: OptSpec,
    ops: Vec<Op>,
}

fn mlp(spec: &MlpSpec) -> Option<Energy> {
    let mut p = ebm_mlp_default_params();
    if spec.struct_size_zero {
        p.struct_size = 0;
    }
    p.input_dim = small(spec.input_dim, 4);
    let hidden: Vec<i64> = spec.hidden.iter().take(3).map(|h| small(*h, 8)).collect();
    p.hidden = if spec.null_hidden { ptr::null() } else { hidden.as_ptr() };
    p.n_hidden = hidden.len() as i64;
    p.activation = i32::from(spec.activation % 7) - 1;
    p.spectral_norm = i32::from(spec.spectral_norm);
    p.dtype = i32::from(spec.dtype % 4) - 1;
    if let Some(d) = spec.device {
        p.device = d;
    }
    p.seed = spec.seed;
    let model = new_handle!(ebm_model_mlp_new(&p)).map(Energy);
    let must_reject = spec.struct_size_zero
        || p.input_dim < 1
        || p.input_dim >= ABSURD
        || hidden.iter().any(|&h| h < 1 || h >= ABSURD)
        || (spec.null_hidden && !hidden.is_empty());
    assert!(!(must_reject && model.is_some()), "ebm_model_mlp_new accepted {p:?}");
    model
}

fn optimizer(model: &Energy, spec: &OptSpec) -> Option<Optimizer> {
    let o = match spec {
        OptSpec::Sgd { struct_size_zero, lr, momentum, dampening, nesterov, weight_decay, clip } => {
            let mut p = ebm_sgd_default_params();
            if *struct_size_zero {
                p.struct_size = 0;
            }
            p.learning_rate = lr.get();
            p.momentum = momentum.get();
            p.dampening = dampening.get();
            p.nesterov = i32::from(*nesterov);
            p.weight_decay = weight_decay.get();
            p.max_grad_norm = clip.get();
            new_handle!(ebm_optimizer_sgd_new(model.0, &p))
        }
        OptSpec::Adam { struct_size_zero, lr, beta1, beta2, eps, weight_decay, decoupled, clip } => {
            let mut p = ebm_adam_default_params();
            if *struct_size_zero {
                p.struct_size = 0;
            }
            p.learning_rate = lr.get();
            p.beta1 = beta1.get();
            p.beta2 = beta2.get();
            p.eps = eps.get();
            p.weight_decay = weight_decay.get();
            p.decoupled_weight_decay = i32::from(*decoupled);
            p.max_grad_norm = clip.get();
            new_handle!(ebm_optimizer_adam_new(model.0, &p))
        }
    };
    o.map(Optimizer)
}

/// Runs a loss computation or train step on a batch; the closure gets (f64?, data, n, dim, loss_out).
fn batch(b: &Batch, dim: i64, f: impl FnOnce(bool, *const u8, i64, i64, *mut f64) -> bool) {
    let n = b.n.get();
    let dim = b.dim.map_or(dim, |d| d.get());
    let len = honest_len(&[n, dim]);
    match len {
        Honest::Len(l) if l <= 64 => {}
        Honest::MustReject => {}
        _ => return,
    }
    let mut loss = f64::from_bits(0x7ff8_dead_beef_0001);
    let lp = if b.loss_out { &mut loss as *mut f64 } else { ptr::null_mut() };
    let ok = if b.f64 {
        let data = Buf::new(len, &to_f64(&b.data), BufMode::Honest);
        f(true, data.ptr() as *const u8, n, dim, lp)
    } else {
        let data = Buf::new(len, &to_f32(&b.data), BufMode::Honest);
        f(false, data.ptr() as *const u8, n, dim, lp)
    };
    assert!(!(ok && (n < 1 || dim < 1 || len == Honest::MustReject)), "a loss accepted n {n}, dim {dim}");
    if ok && b.loss_out {
        assert!(loss.is_finite(), "a loss succeeded with loss {loss}");
    }
}

fn params(model: &Energy, f64: bool, gradients: bool, len: Option<Count>, values: Option<&[Num]>) {
    let mut count = -1;
    assert!(ebm!(ebm_model_parameter_count(model.0, &mut count)));
    assert!(count > 0);
    let len = len.map_or(count, |l| l.get());
    let Honest::Len(l) = honest_len(&[len]) else {
        if len < 0 || len >= ABSURD {
            // Negative or absurd lengths with a small buffer.
            let mut one = [0.0f64; 1];
            let status = unsafe {
                match (values.is_some(), gradients) {
                    (false, false) => ebm_model_get_parameters_f64(model.0, one.as_mut_ptr(), len),
                    (false, true) => ebm_model_get_gradients_f64(model.0, one.as_mut_ptr(), len),
                    (true, false) => ebm_model_set_parameters_f64(model.0, one.as_ptr(), len),
                    (true, true) => ebm_model_set_gradients_f64(model.0, one.as_ptr(), len),
                }
            };
            assert!(!check("ebm_model_", status), "a parameter access accepted len {len}");
        }
        return;
    };
    let ok = match (values, f64) {
        (None, true) => {
            let mut out = vec![0.0f64; l];
            if gradients {
                ebm!(ebm_model_get_gradients_f64(model.0, out.as_mut_ptr(), len))
            } else {
                ebm!(ebm_model_get_parameters_f64(model.0, out.as_mut_ptr(), len))
            }
        }
        (None, false) => {
            let mut out = vec![0.0f32; l];
            if gradients {
                ebm!(ebm_model_get_gradients_f32(model.0, out.as_mut_ptr(), len))
            } else {
                ebm!(ebm_model_get_parameters_f32(model.0, out.as_mut_ptr(), len))
            }
        }
        (Some(v), true) => {
            let b = Buf::new(Honest::Len(l), &to_f64(v), BufMode::Honest);
            if gradients {
                ebm!(ebm_model_set_gradients_f64(model.0, b.ptr(), len))
            } else {
                ebm!(ebm_model_set_parameters_f64(model.0, b.ptr(), len))
            }
        }
        (Some(v), false) => {
            let b = Buf::new(Honest::Len(l), &to_f32(v), BufMode::Honest);
            if gradients {
                ebm!(ebm_model_set_gradients_f32(model.0, b.ptr(), len))
            } else {
                ebm!(ebm_model_set_parameters_f32(model.0, b.ptr(), len))
            }
        }
    };
    assert!(!ok || len == count, "a parameter access accepted len {len} for {count} parameters");
}

fuzz_target!(init: init(), |input: Input| {
    let Some(model) = mlp(&input.mlp) else { return };
    let dim = energy_dim(&model).expect("an MLP has a fixed dim");
    let mut lp = ebm_langevin_default_params();
    lp.step_size = input.langevin_step.get();
    let Some(sampler) = new_handle!(ebm_langevin_new(model.0, &lp)).map(Sampler) else { return };

    let c = &input.cd;
    let mut cp = ebm_cd_default_params();
    if c.struct_size_zero {
        cp.struct_size = 0;
    }
    cp.k = bounded(c.k, 3);
    cp.start = i32::from(c.start % 5) - 1;
    cp.buffer_size = small(c.buffer_size, 64);
    cp.reinit_fraction = c.reinit_fraction.get();
    cp.energy_reg_weight = c.energy_reg_weight.get();
    cp.n_negatives = small(c.n_negatives, 16);
    cp.seed = c.seed;
    let cd = new_handle!(ebm_cd_loss_new(model.0, sampler.0, &cp)).map(CdLoss);
    drop(sampler);

    let sm_energy = input.sm.analytic.as_ref().and_then(|spec| spec.build(0));
    let sm_dim = sm_energy.as_ref().map_or(dim, |e| energy_dim(e).unwrap_or(2));
    let mut sp = ebm_score_matching_default_params();
    if input.sm.struct_size_zero {
        sp.struct_size = 0;
    }
    sp.method = i32::from(input.sm.method % 5) - 1;
    sp.n_projections = bounded(input.sm.n_projections, 3);
    sp.projection = i32::from(input.sm.projection % 4) - 1;
    sp.noise_scale = input.sm.noise_scale.get();
    sp.seed = input.sm.seed;
    let sm_target = sm_energy.as_ref().unwrap_or(&model);
    let sm = new_handle!(ebm_score_matching_new(sm_target.0, &sp)).map(ScoreMatching);
    drop(sm_energy);

    let opt = optimizer(&model, &input.opt);
    let cdp = cd.as_ref().map_or(ptr::null_mut(), |l| l.0);
    let smp = sm.as_ref().map_or(ptr::null_mut(), |l| l.0);
    let op_ptr = opt.as_ref().map_or(ptr::null_mut(), |o| o.0);

    for op in input.ops.iter().take(8) {
        match op {
            Op::CdCompute(b) if !cdp.is_null() => batch(b, dim, |f64, data, n, d, loss| {
                if f64 {
                    ebm!(ebm_cd_loss_compute_f64(cdp, data as *const f64, n, d, loss))
                } else {
                    ebm!(ebm_cd_loss_compute_f32(cdp, data as *const f32, n, d, loss))
                }
            }),
            Op::CdTrain(b) if !cdp.is_null() => batch(b, dim, |f64, data, n, d, loss| {
                let ok = if f64 {
                    ebm!(ebm_cd_loss_train_step_f64(cdp, op_ptr, data as *const f64, n, d, loss))
                } else {
                    ebm!(ebm_cd_loss_train_step_f32(cdp, op_ptr, data as *const f32, n, d, loss))
                };
                assert!(!(ok && op_ptr.is_null()), "cd train step without optimizer");
                ok
            }),
            Op::SmCompute(b) if !smp.is_null() => batch(b, sm_dim, |f64, data, n, d, loss| {
                if f64 {
                    ebm!(ebm_score_matching_compute_f64(smp, data as *const f64, n, d, loss))
                } else {
                    ebm!(ebm_score_matching_compute_f32(smp, data as *const f32, n, d, loss))
                }
            }),
            Op::SmTrain(b) if !smp.is_null() => batch(b, sm_dim, |f64, data, n, d, loss| {
                let ok = if f64 {
                    ebm!(ebm_score_matching_train_step_f64(smp, op_ptr, data as *const f64, n, d, loss))
                } else {
                    ebm!(ebm_score_matching_train_step_f32(smp, op_ptr, data as *const f32, n, d, loss))
                };
                assert!(!(ok && op_ptr.is_null()), "score matching train step without optimizer");
                ok
            }),
            Op::Negatives { f64, n, dim: d } if !cdp.is_null() => {
                let n = n.map_or(1, |n| n.get());
                let d = d.map_or(dim, |d| d.get());
                let Honest::Len(l) = honest_len(&[n, d]) else { continue };
                if *f64 {
                    let mut out = vec![0.0f64; l];
                    ebm!(ebm_cd_loss_get_negatives_f64(cdp, out.as_mut_ptr(), n, d));
                } else {
                    let mut out = vec![0.0f32; l];
                    ebm!(ebm_cd_loss_get_negatives_f32(cdp, out.as_mut_ptr(), n, d));
                }
            }
            Op::GetParams { f64, gradients, len } => params(&model, *f64, *gradients, *len, None),
            Op::SetParams { f64, gradients, len, values } => params(&model, *f64, *gradients, *len, Some(values)),
            Op::ZeroGrad => assert!(ebm!(ebm_model_zero_grad(model.0))),
            Op::OptZeroGrad if !op_ptr.is_null() => assert!(ebm!(ebm_optimizer_zero_grad(op_ptr))),
            Op::OptStep if !op_ptr.is_null() => {
                ebm!(ebm_optimizer_step(op_ptr));
            }
            Op::SetLearningRate(lr) if !op_ptr.is_null() => {
                let lr = lr.get();
                let ok = ebm!(ebm_optimizer_set_learning_rate(op_ptr, lr));
                assert_eq!(ok, lr.is_finite() && lr >= 0.0, "set_learning_rate({lr})");
                let (mut got, mut steps) = (f64::NAN, -1i64);
                assert!(ebm!(ebm_optimizer_get_state(op_ptr, &mut got, &mut steps)));
                assert!(steps >= 0);
                if ok {
                    assert_eq!(got, lr);
                }
            }
            Op::Checkpoint { with_optimizer, with_loss } => {
                let path = temp_path("checkpoint");
                let o = if *with_optimizer { op_ptr } else { ptr::null_mut() };
                let l = if *with_loss { cdp } else { ptr::null_mut() };
                if ebm!(ebm_checkpoint_save(path.as_ptr(), model.0, o, l)) {
                    assert!(ebm!(ebm_checkpoint_load(path.as_ptr(), model.0, o, l)), "a checkpoint just saved does not load");
                }
                let _ = std::fs::remove_file(path.to_str().unwrap());
            }
            Op::SaveLoadModel => {
                let path = temp_path("model");
                assert!(ebm!(ebm_model_save(model.0, path.as_ptr())), "an MLP does not save");
                let loaded = new_handle!(ebm_model_load(path.as_ptr(), EBM_DEVICE_CPU)).map(Energy);
                let loaded = loaded.expect("a model just saved does not load");
                let (mut a, mut b) = (0i64, 0i64);
                assert!(ebm!(ebm_model_parameter_count(model.0, &mut a)));
                assert!(ebm!(ebm_model_parameter_count(loaded.0, &mut b)));
                assert_eq!(a, b);
                let mut pa = vec![0.0f64; a as usize];
                let mut pb = vec![0.0f64; b as usize];
                assert!(ebm!(ebm_model_get_parameters_f64(model.0, pa.as_mut_ptr(), a)));
                assert!(ebm!(ebm_model_get_parameters_f64(loaded.0, pb.as_mut_ptr(), b)));
                assert!(same_bits(&pa, &pb), "a saved and loaded model has other parameters");
                let _ = std::fs::remove_file(path.to_str().unwrap());
            }
            _ => {}
        }
    }
});
