//! One-call training steps from C: zero the gradients, compute a loss with its gradient, and
//! step the optimizer (data-parallel with an all-reduce set on the optimizer).

use std::sync::Arc;

use super::args::handle_mut;
use super::cd_loss::ebm_cd_loss;
use super::guard::call;
use super::loss_args::{batch, lock, write_loss};
use super::optimizer::ebm_optimizer;
use super::score_matching::ebm_score_matching;
use super::status::ebm_status;
use crate::error::Result;
use crate::tensor::Real;

/// A CD training step (the optimizer's train_step refuses a loss of another model).
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
