//! Optimizers from C: SGD and Adam settings, the optimizer handle, and its steps and state.

use std::mem::size_of;

use super::args::{handle, handle_mut, out_pointer, store};
use super::energy::ebm_energy;
use super::guard::call;
use super::loss_args::lock;
use super::sampler_params::read;
use super::status::ebm_status;
use crate::error::Result;
use crate::exclusive::Exclusive;
use crate::optim::{Optimizer, Rule};

/// An optimizer of one model's parameters, created by ebm_optimizer_sgd_new or
/// ebm_optimizer_adam_new, released by ebm_optimizer_free; keeps its model alive.
pub struct ebm_optimizer {
    pub(super) optimizer: Exclusive<Optimizer>,
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
    let rule = Rule::DEFAULT_SGD;
    let Rule::Sgd {
        momentum,
        dampening,
        nesterov,
        weight_decay,
    } = rule
    else {
        unreachable!("Rule::DEFAULT_SGD is an SGD rule")
    };
    ebm_sgd_params {
        struct_size: size_of::<ebm_sgd_params>(),
        learning_rate: rule.default_learning_rate(),
        momentum,
        dampening,
        nesterov: i32::from(nesterov),
        weight_decay,
        max_grad_norm: max_grad_norm_field(Optimizer::DEFAULT_MAX_GRAD_NORM),
    }
}

/// Default Adam: torch.optim.Adam's learning rate 0.001, betas (0.9, 0.999), eps 1e-8, no
/// weight decay, no clipping.
#[no_mangle]
pub extern "C" fn ebm_adam_default_params() -> ebm_adam_params {
    let rule = Rule::DEFAULT_ADAM;
    let Rule::Adam {
        beta1,
        beta2,
        eps,
        weight_decay,
        decoupled_weight_decay,
    } = rule
    else {
        unreachable!("Rule::DEFAULT_ADAM is an Adam rule")
    };
    ebm_adam_params {
        struct_size: size_of::<ebm_adam_params>(),
        learning_rate: rule.default_learning_rate(),
        beta1,
        beta2,
        eps,
        weight_decay,
        decoupled_weight_decay: i32::from(decoupled_weight_decay),
        max_grad_norm: max_grad_norm_field(Optimizer::DEFAULT_MAX_GRAD_NORM),
    }
}

/// The C field's encoding of a clipping norm: 0 for none.
fn max_grad_norm_field(max_grad_norm: Option<f64>) -> f64 {
    max_grad_norm.unwrap_or(0.0)
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
