//! Training from C: contrastive divergence and score-matching losses, optimizers, one-call
//! training steps, and checkpoints.

use std::ffi::c_char;
use std::mem::size_of;
use std::sync::Arc;

use super::args::{count, dimension, element_count, handle, handle_mut, input, out_pointer, output, store};
use super::energy::ebm_energy;
use super::guard::call;
use super::model::path_arg;
use super::sampler::ebm_sampler;
use super::sampler_params::{read, read_appended};
use super::status::ebm_status;
use crate::checkpoint;
use crate::error::{Error, Result};
use crate::exclusive::{Exclusive, ExclusiveGuard};
use crate::loss::{CdParams, ChainStart, ContrastiveDivergence, Projection, ScoreMatching, ScoreMatchingMethod};
use crate::optim::{Optimizer, Rule};
use crate::tensor::Real;

/// ebm_cd_params.start: chains start from N(0, I) (the specification's choice).
pub const EBM_CD_START_NOISE: i32 = 0;
/// ebm_cd_params.start: chains start at the data batch (classic CD-k).
pub const EBM_CD_START_DATA: i32 = 1;
/// ebm_cd_params.start: chains start from a persistent replay buffer (PCD).
pub const EBM_CD_START_PERSISTENT: i32 = 2;

/// Contrastive divergence settings (ebm_cd_loss_new). loss = mean E(data) - mean E(neg) +
/// energy_reg_weight * (mean E(data)^2 + mean E(neg)^2), the negatives after k steps of the
/// sampler given to ebm_cd_loss_new.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ebm_cd_params {
    /// sizeof(ebm_cd_params); set by ebm_cd_default_params().
    pub struct_size: usize,
    /// Sampler steps per loss, >= 1. Default 1 (the specification's CD-1).
    pub k: i64,
    /// EBM_CD_START_NOISE (default), EBM_CD_START_DATA or EBM_CD_START_PERSISTENT.
    pub start: i32,
    /// PCD: points in the replay buffer (>= the number of negatives). Default 10000.
    pub buffer_size: i64,
    /// PCD: probability that a chain restarts from N(0, I), in [0, 1]. Default 0.05.
    pub reinit_fraction: f64,
    /// Weight of the energy-magnitude regulariser, >= 0. Default 0.001 (TorchEBM's).
    pub energy_reg_weight: f64,
    /// Negatives per loss; 0 (default) for as many as data points. Must be 0 with
    /// EBM_CD_START_DATA.
    pub n_negatives: i64,
    /// Seed of the replay buffer's draws and of the data noise. Default 0.
    pub seed: u64,
    /// PCD: sampler steps run over the whole replay buffer once, when it is first filled from
    /// N(0, I), so that the first negatives come from warmed-up chains; >= 0. Ignored by the
    /// other starts. Default 100 (TorchEBM's init_steps). Appended field: a caller whose
    /// struct_size ends before it gets the default.
    pub init_steps: i64,
    /// Nonzero: each data point is perturbed by real_noise_scale * N(0, I) before its energy
    /// enters the loss, which smooths the energy around the data. Default 0 (TorchEBM's
    /// add_noise_to_real). Appended field, as init_steps.
    pub add_noise_to_real: i32,
    /// Standard deviation of that perturbation, >= 0. Default 1e-4 (TorchEBM's noise_scale).
    /// Appended field, as init_steps.
    pub real_noise_scale: f64,
}

/// sizeof(ebm_cd_params) before init_steps, add_noise_to_real and real_noise_scale were
/// appended: callers built against it still work, with those fields' defaults.
const CD_PARAMS_SIZE_BEFORE_INIT_STEPS: usize = std::mem::offset_of!(ebm_cd_params, init_steps);

/// Default CD parameters: the specification's CD-1 from noise, TorchEBM's regulariser weight
/// 0.001, and for PCD a 10000-point buffer with 5% restarts warmed up by 100 sampler steps;
/// no noise on the data. With a Langevin sampler at its defaults this diverges on toy data:
/// see the example in ebm_cd_loss_new.
#[no_mangle]
pub extern "C" fn ebm_cd_default_params() -> ebm_cd_params {
    let d = CdParams::default();
    ebm_cd_params {
        struct_size: size_of::<ebm_cd_params>(),
        k: d.k as i64,
        start: EBM_CD_START_NOISE,
        buffer_size: 10_000,
        reinit_fraction: 0.05,
        energy_reg_weight: d.energy_reg_weight,
        n_negatives: 0,
        seed: d.seed,
        init_steps: d.init_steps as i64,
        add_noise_to_real: i32::from(d.add_noise_to_real),
        real_noise_scale: d.real_noise_scale,
    }
}

/// A contrastive-divergence loss: a model, a sampler of it, and (for PCD) a replay buffer.
/// Created by ebm_cd_loss_new, released by ebm_cd_loss_free; keeps its model and sampler alive.
pub struct ebm_cd_loss {
    loss: Exclusive<ContrastiveDivergence>,
}

/// A score-matching loss, created by ebm_score_matching_new, released by
/// ebm_score_matching_free; keeps its energy alive.
pub struct ebm_score_matching {
    loss: Exclusive<ScoreMatching>,
}

/// An optimizer of one model's parameters, created by ebm_optimizer_sgd_new or
/// ebm_optimizer_adam_new, released by ebm_optimizer_free; keeps its model alive.
pub struct ebm_optimizer {
    pub(super) optimizer: Exclusive<Optimizer>,
}

/// The object for one call: waits for other threads, EBM_ERR_BUSY from inside its own
/// callbacks (a CD loss runs its sampler's).
fn lock<'a, T>(value: &'a Exclusive<T>, arg: &'static str) -> Result<ExclusiveGuard<'a, T>> {
    value.lock(arg)
}

/// Creates a CD loss training `model` with negatives from `sampler`, which must sample that
/// same model (built with it as its energy). params is copied.
///
/// Example: PCD on 2-D data with settings that stay stable (examples/c/cd_eight_gaussians.c,
/// where the defaults diverge; see the README's "Training with contrastive divergence"):
///
///     ebm_langevin_params lp = ebm_langevin_default_params();
///     lp.step_size = 0.1;
///     lp.noise_scale = 0.01;  // temperature: the model learns exp(-E / 0.01)
///     ebm_sampler *sampler;
///     ebm_langevin_new(model, &lp, &sampler);
///     ebm_cd_params cd = ebm_cd_default_params();
///     cd.start = EBM_CD_START_PERSISTENT;
///     cd.k = 20;
///     cd.energy_reg_weight = 0.1;
///     ebm_cd_loss *loss;
///     ebm_cd_loss_new(model, sampler, &cd, &loss);
///     for (int step = 0; step < 3000; step++)  // adam: Adam of the model, lr 1e-2
///         ebm_cd_loss_train_step_f32(loss, adam, batch(step), 256, 2, NULL);
///
/// Errors: EBM_ERR_NULL_POINTER (model, sampler, params, out), EBM_ERR_INVALID_ARGUMENT
/// (struct_size, a model without parameters, a sampler of another energy, k < 1, unknown
/// start, buffer_size < 1, reinit_fraction outside [0, 1], energy_reg_weight < 0,
/// n_negatives < 0 or nonzero with EBM_CD_START_DATA, init_steps < 0,
/// real_noise_scale < 0), EBM_ERR_NON_FINITE.
#[no_mangle]
pub unsafe extern "C" fn ebm_cd_loss_new(
    model: *const ebm_energy,
    sampler: *const ebm_sampler,
    params: *const ebm_cd_params,
    out: *mut *mut ebm_cd_loss,
) -> ebm_status {
    call("ebm_cd_loss_new", || {
        out_pointer(out, "out")?;
        let model = unsafe { handle(model, "model")? };
        let sampler = unsafe { handle(sampler, "sampler")? };
        let p = unsafe { read_appended(params, ebm_cd_default_params(), &[CD_PARAMS_SIZE_BEFORE_INIT_STEPS])? };
        let start = match p.start {
            EBM_CD_START_NOISE => ChainStart::Noise,
            EBM_CD_START_DATA => ChainStart::Data,
            EBM_CD_START_PERSISTENT => ChainStart::Persistent {
                buffer_size: count("params.buffer_size", p.buffer_size)?,
                reinit_fraction: p.reinit_fraction,
            },
            other => {
                return Err(Error::invalid(
                    "params.start",
                    format!("{other} is not an EBM_CD_START_* value"),
                ))
            }
        };
        let params = CdParams {
            k: u64::try_from(p.k).map_err(|_| Error::invalid("params.k", format!("must be >= 1, got {}", p.k)))?,
            start,
            energy_reg_weight: p.energy_reg_weight,
            n_negatives: count("params.n_negatives", p.n_negatives)?,
            seed: p.seed,
            init_steps: u64::try_from(p.init_steps)
                .map_err(|_| Error::invalid("params.init_steps", format!("must be >= 0, got {}", p.init_steps)))?,
            add_noise_to_real: p.add_noise_to_real != 0,
            real_noise_scale: p.real_noise_scale,
        };
        let loss = ContrastiveDivergence::new(model.energy.clone(), Arc::clone(&sampler.sampler), params)?;
        // SAFETY: `out` checked above.
        unsafe {
            store(
                out,
                ebm_cd_loss {
                    loss: Exclusive::new(loss),
                },
            )
        };
        Ok(())
    })
}

/// Releases a CD loss. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn ebm_cd_loss_free(loss: *mut ebm_cd_loss) {
    if !loss.is_null() {
        // SAFETY: a handle from ebm_cd_loss_new, not freed before (header contract).
        super::guard::call_infallible((), || drop(unsafe { Box::from_raw(loss) }));
    }
}

/// Checked (data slice, dim) of a data batch.
unsafe fn batch<'a, T: Real>(data: *const T, n: i64, dim: i64) -> Result<(&'a [T], usize)> {
    let n = count("n", n)?;
    if n == 0 {
        return Err(Error::invalid("n", "a loss needs at least one data point"));
    }
    let dim = dimension("dim", dim)?;
    let len = element_count::<T>("n, dim", &[n, dim])?;
    Ok((unsafe { input(data, "data", len)? }, dim))
}

fn write_loss(loss_out: *mut f64, value: f64) {
    if let Some(out) = unsafe { loss_out.as_mut() } {
        *out = value;
    }
}

unsafe fn cd_compute<T: Real>(
    loss: *mut ebm_cd_loss,
    data: *const T,
    n: i64,
    dim: i64,
    loss_out: *mut f64,
) -> Result<()> {
    let loss = unsafe { handle_mut(loss, "loss")? };
    let (data, dim) = unsafe { batch(data, n, dim)? };
    let outcome = lock(&loss.loss, "loss")?.compute(data, dim)?;
    write_loss(loss_out, outcome.loss);
    Ok(())
}

/// Computes the CD loss on n data points (data: n*dim floats, row-major), writes it to
/// *loss_out (NULL to skip), and accumulates its gradient into the model's parameters (call
/// ebm_optimizer_zero_grad first, then ebm_optimizer_step; or use ebm_cd_loss_train_step).
///
/// Errors: EBM_ERR_NULL_POINTER (loss, data), EBM_ERR_INVALID_ARGUMENT (n < 1, dim < 1),
/// EBM_ERR_DIMENSION_MISMATCH (dim not the model's), EBM_ERR_NON_FINITE (NaN or infinite
/// data; a non-finite loss, in which case no gradient is accumulated), errors of the sampler,
/// EBM_ERR_TORCH.
#[no_mangle]
pub unsafe extern "C" fn ebm_cd_loss_compute_f32(
    loss: *mut ebm_cd_loss,
    data: *const f32,
    n: i64,
    dim: i64,
    loss_out: *mut f64,
) -> ebm_status {
    call("ebm_cd_loss_compute_f32", || unsafe {
        cd_compute(loss, data, n, dim, loss_out)
    })
}

/// ebm_cd_loss_compute_f32 with data as n*dim doubles.
#[no_mangle]
pub unsafe extern "C" fn ebm_cd_loss_compute_f64(
    loss: *mut ebm_cd_loss,
    data: *const f64,
    n: i64,
    dim: i64,
    loss_out: *mut f64,
) -> ebm_status {
    call("ebm_cd_loss_compute_f64", || unsafe {
        cd_compute(loss, data, n, dim, loss_out)
    })
}

unsafe fn cd_negatives<T: Real>(loss: *const ebm_cd_loss, out: *mut T, n: i64, dim: i64) -> Result<()> {
    let loss = unsafe { handle(loss, "loss")? };
    let n = count("n", n)?;
    let dim = dimension("dim", dim)?;
    let len = element_count::<T>("n, dim", &[n, dim])?;
    let out = unsafe { output(out, "negatives_out", len)? };
    lock(&loss.loss, "loss")?.last_negatives(out)
}

/// Copies the negatives of the last computed loss (n negatives of dimension dim, as chosen by
/// params.n_negatives) into negatives_out (n*dim floats, row-major).
///
/// Errors: EBM_ERR_NULL_POINTER (loss, negatives_out), EBM_ERR_INVALID_ARGUMENT (no loss
/// computed yet), EBM_ERR_LENGTH_MISMATCH (n*dim not the negatives' size).
#[no_mangle]
pub unsafe extern "C" fn ebm_cd_loss_get_negatives_f32(
    loss: *const ebm_cd_loss,
    negatives_out: *mut f32,
    n: i64,
    dim: i64,
) -> ebm_status {
    call("ebm_cd_loss_get_negatives_f32", || unsafe {
        cd_negatives(loss, negatives_out, n, dim)
    })
}

/// ebm_cd_loss_get_negatives_f32 into doubles.
#[no_mangle]
pub unsafe extern "C" fn ebm_cd_loss_get_negatives_f64(
    loss: *const ebm_cd_loss,
    negatives_out: *mut f64,
    n: i64,
    dim: i64,
) -> ebm_status {
    call("ebm_cd_loss_get_negatives_f64", || unsafe {
        cd_negatives(loss, negatives_out, n, dim)
    })
}

/// ebm_score_matching_params.method: exact score matching (Hessian trace by autograd; dim
/// backward passes, for small dimensions).
pub const EBM_SCORE_MATCHING_EXACT: i32 = 0;
/// ebm_score_matching_params.method: sliced score matching with random projections.
pub const EBM_SCORE_MATCHING_SLICED: i32 = 1;
/// ebm_score_matching_params.method: denoising score matching.
pub const EBM_SCORE_MATCHING_DENOISING: i32 = 2;
/// ebm_score_matching_params.projection: entries +-1.
pub const EBM_PROJECTION_RADEMACHER: i32 = 0;
/// ebm_score_matching_params.projection: entries N(0, 1).
pub const EBM_PROJECTION_GAUSSIAN: i32 = 1;

/// Score-matching settings (ebm_score_matching_new). With g = grad_x E, the per-point
/// losses are: exact 1/2 |g|^2 - tr(hess E); sliced 1/2 (v.g)^2 - v^T (hess E) v averaged
/// over n_projections directions v; denoising 1/2 |g(x + s eps) - eps / s|^2 with s =
/// noise_scale. The loss is their mean over the batch. The exact trace is the full trace
/// (TorchEBM 0.8.9's approximate variant divides it by dim, which is not reproduced).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ebm_score_matching_params {
    /// sizeof(ebm_score_matching_params); set by ebm_score_matching_default_params().
    pub struct_size: usize,
    /// EBM_SCORE_MATCHING_EXACT (default), _SLICED or _DENOISING.
    pub method: i32,
    /// SLICED: directions per point, >= 1. Default 1.
    pub n_projections: i64,
    /// SLICED: EBM_PROJECTION_RADEMACHER (default) or EBM_PROJECTION_GAUSSIAN.
    pub projection: i32,
    /// DENOISING: noise standard deviation > 0. Default 0.1.
    pub noise_scale: f64,
    /// Seed of the projections and noise. Default 0.
    pub seed: u64,
}

/// Default score matching: exact; 1 Rademacher projection when sliced; noise 0.1 when
/// denoising; seed 0.
#[no_mangle]
pub extern "C" fn ebm_score_matching_default_params() -> ebm_score_matching_params {
    ebm_score_matching_params {
        struct_size: size_of::<ebm_score_matching_params>(),
        method: EBM_SCORE_MATCHING_EXACT,
        n_projections: 1,
        projection: EBM_PROJECTION_RADEMACHER,
        noise_scale: 0.1,
        seed: 0,
    }
}

/// Creates a score-matching loss of energy: a model (whose parameters then receive the
/// loss's gradient) or any differentiable energy (analytic energies, for the value alone;
/// user callbacks are not differentiable). params is copied.
///
/// Errors: EBM_ERR_NULL_POINTER (energy, params, out), EBM_ERR_INVALID_ARGUMENT (struct_size,
/// unknown method or projection, n_projections < 1, noise_scale <= 0), EBM_ERR_NON_FINITE.
#[no_mangle]
pub unsafe extern "C" fn ebm_score_matching_new(
    energy: *const ebm_energy,
    params: *const ebm_score_matching_params,
    out: *mut *mut ebm_score_matching,
) -> ebm_status {
    call("ebm_score_matching_new", || {
        out_pointer(out, "out")?;
        let energy = unsafe { handle(energy, "energy")? };
        let p = unsafe { read(params)? };
        let method = match p.method {
            EBM_SCORE_MATCHING_EXACT => ScoreMatchingMethod::Exact,
            EBM_SCORE_MATCHING_SLICED => ScoreMatchingMethod::Sliced {
                projections: count("params.n_projections", p.n_projections)?,
                distribution: match p.projection {
                    EBM_PROJECTION_RADEMACHER => Projection::Rademacher,
                    EBM_PROJECTION_GAUSSIAN => Projection::Gaussian,
                    other => {
                        return Err(Error::invalid(
                            "params.projection",
                            format!("{other} is not an EBM_PROJECTION_* value"),
                        ))
                    }
                },
            },
            EBM_SCORE_MATCHING_DENOISING => ScoreMatchingMethod::Denoising {
                noise_scale: p.noise_scale,
            },
            other => {
                return Err(Error::invalid(
                    "params.method",
                    format!("{other} is not an EBM_SCORE_MATCHING_* value"),
                ))
            }
        };
        let loss = ScoreMatching::new(energy.energy.clone(), method, p.seed)?;
        // SAFETY: `out` checked above.
        unsafe {
            store(
                out,
                ebm_score_matching {
                    loss: Exclusive::new(loss),
                },
            )
        };
        Ok(())
    })
}

/// Releases a score-matching loss. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn ebm_score_matching_free(loss: *mut ebm_score_matching) {
    if !loss.is_null() {
        // SAFETY: a handle from ebm_score_matching_new, not freed before (header contract).
        super::guard::call_infallible((), || drop(unsafe { Box::from_raw(loss) }));
    }
}

unsafe fn sm_compute<T: Real>(
    loss: *mut ebm_score_matching,
    data: *const T,
    n: i64,
    dim: i64,
    loss_out: *mut f64,
) -> Result<()> {
    let loss = unsafe { handle_mut(loss, "loss")? };
    let (data, dim) = unsafe { batch(data, n, dim)? };
    let value = lock(&loss.loss, "loss")?.compute(data, dim)?;
    write_loss(loss_out, value);
    Ok(())
}

/// Computes the score-matching loss on n data points (n*dim floats, row-major), writes it to
/// *loss_out (NULL to skip) and accumulates its gradient into the model's parameters.
///
/// Errors: EBM_ERR_NULL_POINTER (loss, data), EBM_ERR_INVALID_ARGUMENT (n < 1, dim < 1, an
/// energy autograd cannot differentiate), EBM_ERR_DIMENSION_MISMATCH, EBM_ERR_NON_FINITE
/// (data; a non-finite loss, then no gradient is accumulated), EBM_ERR_TORCH.
#[no_mangle]
pub unsafe extern "C" fn ebm_score_matching_compute_f32(
    loss: *mut ebm_score_matching,
    data: *const f32,
    n: i64,
    dim: i64,
    loss_out: *mut f64,
) -> ebm_status {
    call("ebm_score_matching_compute_f32", || unsafe {
        sm_compute(loss, data, n, dim, loss_out)
    })
}

/// ebm_score_matching_compute_f32 with data as n*dim doubles.
#[no_mangle]
pub unsafe extern "C" fn ebm_score_matching_compute_f64(
    loss: *mut ebm_score_matching,
    data: *const f64,
    n: i64,
    dim: i64,
    loss_out: *mut f64,
) -> ebm_status {
    call("ebm_score_matching_compute_f64", || unsafe {
        sm_compute(loss, data, n, dim, loss_out)
    })
}

/// SGD settings (torch.optim.SGD's rule). Get defaults from ebm_sgd_default_params().
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ebm_sgd_params {
    /// sizeof(ebm_sgd_params); set by ebm_sgd_default_params().
    pub struct_size: usize,
    /// Learning rate >= 0 (changeable later with ebm_optimizer_set_learning_rate). Default 0.01.
    pub learning_rate: f64,
    /// Momentum >= 0. Default 0.
    pub momentum: f64,
    /// Dampening of the momentum, in [0, 1]. Default 0.
    pub dampening: f64,
    /// Nonzero: Nesterov momentum (needs momentum > 0, dampening 0). Default 0.
    pub nesterov: i32,
    /// L2 weight decay >= 0. Default 0.
    pub weight_decay: f64,
    /// When positive, gradients are rescaled to this joint L2 norm at most before each step (as
    /// torch.nn.utils.clip_grad_norm_). 0 (default): no clipping.
    pub max_grad_norm: f64,
}

/// Adam settings (torch.optim.Adam's rule, or AdamW's with decoupled_weight_decay). Get
/// defaults from ebm_adam_default_params().
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ebm_adam_params {
    /// sizeof(ebm_adam_params); set by ebm_adam_default_params().
    pub struct_size: usize,
    /// Learning rate >= 0. Default 0.001.
    pub learning_rate: f64,
    /// First-moment decay in [0, 1). Default 0.9.
    pub beta1: f64,
    /// Second-moment decay in [0, 1). Default 0.999.
    pub beta2: f64,
    /// Denominator term >= 0. Default 1e-8.
    pub eps: f64,
    /// Weight decay >= 0 (L2 added to the gradient, or decoupled). Default 0.
    pub weight_decay: f64,
    /// Nonzero: AdamW's decoupled weight decay. Default 0.
    pub decoupled_weight_decay: i32,
    /// > 0: gradient-norm clipping, as in ebm_sgd_params. Default 0.
    pub max_grad_norm: f64,
}

/// Default SGD: learning rate 0.01, no momentum, no weight decay, no clipping.
#[no_mangle]
pub extern "C" fn ebm_sgd_default_params() -> ebm_sgd_params {
    ebm_sgd_params {
        struct_size: size_of::<ebm_sgd_params>(),
        learning_rate: 0.01,
        momentum: 0.0,
        dampening: 0.0,
        nesterov: 0,
        weight_decay: 0.0,
        max_grad_norm: 0.0,
    }
}

/// Default Adam: torch.optim.Adam's learning rate 0.001, betas (0.9, 0.999), eps 1e-8, no
/// weight decay, no clipping.
#[no_mangle]
pub extern "C" fn ebm_adam_default_params() -> ebm_adam_params {
    ebm_adam_params {
        struct_size: size_of::<ebm_adam_params>(),
        learning_rate: 0.001,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.0,
        decoupled_weight_decay: 0,
        max_grad_norm: 0.0,
    }
}

unsafe fn new_optimizer(
    model: *const ebm_energy,
    out: *mut *mut ebm_optimizer,
    rule: Rule,
    learning_rate: f64,
    max_grad_norm: f64,
) -> Result<()> {
    out_pointer(out, "out")?;
    let model = unsafe { handle(model, "model")? };
    let clip = if max_grad_norm == 0.0 {
        None
    } else {
        Some(max_grad_norm)
    };
    let optimizer = Optimizer::new(model.energy.clone(), rule, learning_rate, clip)?;
    // SAFETY: `out` checked above.
    unsafe {
        store(
            out,
            ebm_optimizer {
                optimizer: Exclusive::new(optimizer),
            },
        )
    };
    Ok(())
}

/// An SGD optimizer of model's parameters. params is copied.
///
/// Errors: EBM_ERR_NULL_POINTER (model, params, out), EBM_ERR_INVALID_ARGUMENT (struct_size,
/// a model without parameters, a value out of range, nesterov without momentum),
/// EBM_ERR_NON_FINITE.
#[no_mangle]
pub unsafe extern "C" fn ebm_optimizer_sgd_new(
    model: *const ebm_energy,
    params: *const ebm_sgd_params,
    out: *mut *mut ebm_optimizer,
) -> ebm_status {
    call("ebm_optimizer_sgd_new", || {
        let p = unsafe { read(params)? };
        let rule = Rule::Sgd {
            momentum: p.momentum,
            dampening: p.dampening,
            nesterov: p.nesterov != 0,
            weight_decay: p.weight_decay,
        };
        unsafe { new_optimizer(model, out, rule, p.learning_rate, p.max_grad_norm) }
    })
}

/// An Adam optimizer of model's parameters. params is copied.
///
/// Errors: as ebm_optimizer_sgd_new.
#[no_mangle]
pub unsafe extern "C" fn ebm_optimizer_adam_new(
    model: *const ebm_energy,
    params: *const ebm_adam_params,
    out: *mut *mut ebm_optimizer,
) -> ebm_status {
    call("ebm_optimizer_adam_new", || {
        let p = unsafe { read(params)? };
        let rule = Rule::Adam {
            beta1: p.beta1,
            beta2: p.beta2,
            eps: p.eps,
            weight_decay: p.weight_decay,
            decoupled_weight_decay: p.decoupled_weight_decay != 0,
        };
        unsafe { new_optimizer(model, out, rule, p.learning_rate, p.max_grad_norm) }
    })
}

/// Releases an optimizer. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn ebm_optimizer_free(optimizer: *mut ebm_optimizer) {
    if !optimizer.is_null() {
        // SAFETY: a handle from ebm_optimizer_*_new, not freed before (header contract).
        super::guard::call_infallible((), || drop(unsafe { Box::from_raw(optimizer) }));
    }
}

/// Sets the gradients of the optimizer's model to zero.
///
/// Errors: EBM_ERR_NULL_POINTER (optimizer).
#[no_mangle]
pub unsafe extern "C" fn ebm_optimizer_zero_grad(optimizer: *mut ebm_optimizer) -> ebm_status {
    call("ebm_optimizer_zero_grad", || {
        lock(&unsafe { handle_mut(optimizer, "optimizer")? }.optimizer, "optimizer")?.zero_grad()
    })
}

/// Updates the model's parameters from their gradients (clipped first when max_grad_norm is
/// set). With an all-reduce set (ebm_optimizer_set_allreduce) this is a collective call that
/// first averages the gradients of every process with equal weights.
///
/// Errors: EBM_ERR_NULL_POINTER (optimizer), EBM_ERR_NON_FINITE (a NaN or infinite gradient:
/// nothing is changed), EBM_ERR_TORCH.
#[no_mangle]
pub unsafe extern "C" fn ebm_optimizer_step(optimizer: *mut ebm_optimizer) -> ebm_status {
    call("ebm_optimizer_step", || {
        lock(&unsafe { handle_mut(optimizer, "optimizer")? }.optimizer, "optimizer")?.step()
    })
}

/// Changes the learning rate used by the next steps.
///
/// Errors: EBM_ERR_NULL_POINTER (optimizer), EBM_ERR_INVALID_ARGUMENT (< 0),
/// EBM_ERR_NON_FINITE.
#[no_mangle]
pub unsafe extern "C" fn ebm_optimizer_set_learning_rate(
    optimizer: *mut ebm_optimizer,
    learning_rate: f64,
) -> ebm_status {
    call("ebm_optimizer_set_learning_rate", || {
        lock(&unsafe { handle_mut(optimizer, "optimizer")? }.optimizer, "optimizer")?.set_learning_rate(learning_rate)
    })
}

/// Writes the current learning rate and the number of steps taken (either pointer may be
/// NULL).
///
/// Errors: EBM_ERR_NULL_POINTER (optimizer).
#[no_mangle]
pub unsafe extern "C" fn ebm_optimizer_get_state(
    optimizer: *const ebm_optimizer,
    learning_rate_out: *mut f64,
    steps_out: *mut i64,
) -> ebm_status {
    call("ebm_optimizer_get_state", || {
        let optimizer = lock(&unsafe { handle(optimizer, "optimizer")? }.optimizer, "optimizer")?;
        if let Some(out) = unsafe { learning_rate_out.as_mut() } {
            *out = optimizer.learning_rate();
        }
        if let Some(out) = unsafe { steps_out.as_mut() } {
            *out = i64::try_from(optimizer.steps()).unwrap_or(i64::MAX);
        }
        Ok(())
    })
}

/// Checks that a loss and an optimizer train the same model.
unsafe fn cd_train_step<T: Real>(
    loss: *mut ebm_cd_loss,
    optimizer: *mut ebm_optimizer,
    data: *const T,
    n: i64,
    dim: i64,
    loss_out: *mut f64,
) -> Result<()> {
    let loss = unsafe { handle_mut(loss, "loss")? };
    let optimizer = unsafe { handle_mut(optimizer, "optimizer")? };
    let (data, dim) = unsafe { batch(data, n, dim)? };
    let mut loss = lock(&loss.loss, "loss")?;
    let model = Arc::clone(loss.model());
    let points = data.len() / dim;
    let outcome = lock(&optimizer.optimizer, "optimizer")?.train_step(&model, points, || loss.compute(data, dim))?;
    write_loss(loss_out, outcome.loss);
    Ok(())
}

/// One training step: zero the gradients, compute the CD loss on the batch (n*dim floats)
/// with its gradient, and take an optimizer step. Writes the loss to *loss_out (NULL to skip).
/// With an all-reduce set on the optimizer (ebm_optimizer_set_allreduce) it is a collective,
/// data-parallel step: the gradients and the loss are those of every process's batch together.
///
/// Errors: those of ebm_cd_loss_compute_f32 and ebm_optimizer_step, EBM_ERR_NULL_POINTER
/// (optimizer), EBM_ERR_INVALID_ARGUMENT (the optimizer is for another model); with an
/// all-reduce, EBM_ERR_REMOTE and EBM_ERR_CALLBACK (see ebm_optimizer_set_allreduce).
#[no_mangle]
pub unsafe extern "C" fn ebm_cd_loss_train_step_f32(
    loss: *mut ebm_cd_loss,
    optimizer: *mut ebm_optimizer,
    data: *const f32,
    n: i64,
    dim: i64,
    loss_out: *mut f64,
) -> ebm_status {
    call("ebm_cd_loss_train_step_f32", || unsafe {
        cd_train_step(loss, optimizer, data, n, dim, loss_out)
    })
}

/// ebm_cd_loss_train_step_f32 with data as n*dim doubles.
#[no_mangle]
pub unsafe extern "C" fn ebm_cd_loss_train_step_f64(
    loss: *mut ebm_cd_loss,
    optimizer: *mut ebm_optimizer,
    data: *const f64,
    n: i64,
    dim: i64,
    loss_out: *mut f64,
) -> ebm_status {
    call("ebm_cd_loss_train_step_f64", || unsafe {
        cd_train_step(loss, optimizer, data, n, dim, loss_out)
    })
}

unsafe fn sm_train_step<T: Real>(
    loss: *mut ebm_score_matching,
    optimizer: *mut ebm_optimizer,
    data: *const T,
    n: i64,
    dim: i64,
    loss_out: *mut f64,
) -> Result<()> {
    let loss = unsafe { handle_mut(loss, "loss")? };
    let optimizer = unsafe { handle_mut(optimizer, "optimizer")? };
    let (data, dim) = unsafe { batch(data, n, dim)? };
    let mut loss = lock(&loss.loss, "loss")?;
    let model = Arc::clone(loss.energy());
    let points = data.len() / dim;
    let value = lock(&optimizer.optimizer, "optimizer")?.train_step(&model, points, || loss.compute(data, dim))?;
    write_loss(loss_out, value);
    Ok(())
}

/// One score-matching training step (zero grad, loss and gradient, optimizer step). With an
/// all-reduce set on the optimizer it is a collective, data-parallel step, as
/// ebm_cd_loss_train_step_f32.
///
/// Errors: those of ebm_score_matching_compute_f32 and ebm_optimizer_step,
/// EBM_ERR_NULL_POINTER (optimizer), EBM_ERR_INVALID_ARGUMENT (another model); with an
/// all-reduce, EBM_ERR_REMOTE and EBM_ERR_CALLBACK (see ebm_optimizer_set_allreduce).
#[no_mangle]
pub unsafe extern "C" fn ebm_score_matching_train_step_f32(
    loss: *mut ebm_score_matching,
    optimizer: *mut ebm_optimizer,
    data: *const f32,
    n: i64,
    dim: i64,
    loss_out: *mut f64,
) -> ebm_status {
    call("ebm_score_matching_train_step_f32", || unsafe {
        sm_train_step(loss, optimizer, data, n, dim, loss_out)
    })
}

/// ebm_score_matching_train_step_f32 with data as n*dim doubles.
#[no_mangle]
pub unsafe extern "C" fn ebm_score_matching_train_step_f64(
    loss: *mut ebm_score_matching,
    optimizer: *mut ebm_optimizer,
    data: *const f64,
    n: i64,
    dim: i64,
    loss_out: *mut f64,
) -> ebm_status {
    call("ebm_score_matching_train_step_f64", || unsafe {
        sm_train_step(loss, optimizer, data, n, dim, loss_out)
    })
}

/// Saves a training checkpoint to path: the model (an MLP), and when given the optimizer's
/// state and the CD loss's replay buffer. Saving also restarts the loss's and its sampler's
/// random streams from a key stored in the file, so that a run resumed with
/// ebm_checkpoint_load continues exactly as this one does.
///
/// Errors: EBM_ERR_NULL_POINTER (path, model), EBM_ERR_INVALID_ARGUMENT (not an MLP model,
/// an optimizer or loss of another model), EBM_ERR_IO.
#[no_mangle]
pub unsafe extern "C" fn ebm_checkpoint_save(
    path: *const c_char,
    model: *mut ebm_energy,
    optimizer: *mut ebm_optimizer,
    loss: *mut ebm_cd_loss,
) -> ebm_status {
    call("ebm_checkpoint_save", || {
        let path = unsafe { path_arg(path)? };
        let model = &unsafe { handle(model, "model")? }.energy;
        let optimizer = unsafe { optimizer.as_ref() }
            .map(|o| lock(&o.optimizer, "optimizer"))
            .transpose()?;
        let mut loss = unsafe { loss.as_ref() }.map(|l| lock(&l.loss, "loss")).transpose()?;
        checkpoint::save_training(path, model, optimizer.as_deref(), loss.as_deref_mut())
    })
}

/// Restores a checkpoint written by ebm_checkpoint_save into handles of the same
/// configuration (model architecture, optimizer rule; optimizer and loss may be NULL to skip
/// them), and re-keys the loss's random streams as the saving run did.
///
/// The optimizer must update, and the loss train, this very model (as for
/// ebm_checkpoint_save); otherwise nothing is read or changed.
///
/// Errors: EBM_ERR_NULL_POINTER (path, model), EBM_ERR_IO, EBM_ERR_FORMAT (truncated,
/// corrupted, another architecture or optimizer rule), EBM_ERR_INVALID_ARGUMENT (not an MLP
/// model, an optimizer or loss of another model).
#[no_mangle]
pub unsafe extern "C" fn ebm_checkpoint_load(
    path: *const c_char,
    model: *mut ebm_energy,
    optimizer: *mut ebm_optimizer,
    loss: *mut ebm_cd_loss,
) -> ebm_status {
    call("ebm_checkpoint_load", || {
        let path = unsafe { path_arg(path)? };
        let model = &unsafe { handle_mut(model, "model")? }.energy;
        let mut optimizer = unsafe { optimizer.as_ref() }
            .map(|o| lock(&o.optimizer, "optimizer"))
            .transpose()?;
        let mut loss = unsafe { loss.as_ref() }.map(|l| lock(&l.loss, "loss")).transpose()?;
        checkpoint::load_training(path, model, optimizer.as_deref_mut(), loss.as_deref_mut())
    })
}
