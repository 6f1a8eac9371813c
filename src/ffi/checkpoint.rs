//! Training checkpoints from C: a model with its optimizer's state and CD replay buffer.

use std::ffi::c_char;

use super::args::{handle, handle_mut};
use super::cd_loss::ebm_cd_loss;
use super::energy::ebm_energy;
use super::guard::call;
use super::loss_args::lock;
use super::model::path_arg;
use super::optimizer::ebm_optimizer;
use super::status::ebm_status;
use crate::checkpoint;

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
