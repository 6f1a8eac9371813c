//! Contrastive-divergence losses from C: settings, the loss handle, its value and gradient,
//! and the negatives of the last loss.

use std::mem::size_of;
use std::sync::Arc;

use super::args::{count, dimension, element_count, handle, handle_mut, out_pointer, output, store, write_shape};
use super::energy::ebm_energy;
use super::guard::call;
use super::loss_args::{batch, lock, write_loss};
use super::sampler::ebm_sampler;
use super::sampler_params::read_appended;
use super::status::ebm_status;
use crate::error::{Error, Result};
use crate::exclusive::Exclusive;
use crate::loss::{CdParams, ChainStart, ContrastiveDivergence};
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
    // PCD's buffer settings are those of the default start when it is persistent.
    let persistent = match d.start {
        ChainStart::Persistent { .. } => d.start,
        _ => ChainStart::DEFAULT_PERSISTENT,
    };
    let ChainStart::Persistent {
        buffer_size,
        reinit_fraction,
    } = persistent
    else {
        unreachable!("ChainStart::DEFAULT_PERSISTENT is persistent")
    };
    ebm_cd_params {
        struct_size: size_of::<ebm_cd_params>(),
        k: d.k as i64,
        start: start_code(d.start),
        buffer_size: buffer_size as i64,
        reinit_fraction,
        energy_reg_weight: d.energy_reg_weight,
        n_negatives: d.n_negatives as i64,
        seed: d.seed,
        init_steps: d.init_steps as i64,
        add_noise_to_real: i32::from(d.add_noise_to_real),
        real_noise_scale: d.real_noise_scale,
    }
}

fn start_code(start: ChainStart) -> i32 {
    match start {
        ChainStart::Noise => EBM_CD_START_NOISE,
        ChainStart::Data => EBM_CD_START_DATA,
        ChainStart::Persistent { .. } => EBM_CD_START_PERSISTENT,
    }
}

/// A contrastive-divergence loss: a model, a sampler of it, and (for PCD) a replay buffer.
/// Created by ebm_cd_loss_new, released by ebm_cd_loss_free; keeps its model and sampler alive.
pub struct ebm_cd_loss {
    pub(super) loss: Exclusive<ContrastiveDivergence>,
}

/// Creates a CD loss training `model` with negatives from `sampler`, which must sample that
/// same model (built with it as its energy). params is copied.
///
/// Example, a complete program (make test-header-examples compiles and runs it): PCD on
/// eight Gaussians with settings that stay stable (examples/c/cd_eight_gaussians.c trains
/// longer and checks more; see the README's "Training with contrastive divergence").
///
/// ```c
/// #include <stdio.h>
/// #include "torchebm.h"
///
/// int main(void) {
///     static float data[4096 * 2]; // eight Gaussians, row-major (n, 2)
///     ebm_dataset_params dataset = ebm_dataset_default_params(EBM_DATASET_EIGHT_GAUSSIANS);
///     dataset.std = 0.05;
///     int64_t hidden[2] = {32, 32};
///     ebm_mlp_params mlp = ebm_mlp_default_params(); // 2 -> 32 -> 32 -> 1, SiLU
///     mlp.hidden = hidden;
///     mlp.n_hidden = 2;
///     ebm_langevin_params langevin = ebm_langevin_default_params();
///     langevin.step_size = 0.1;
///     langevin.noise_scale = 0.01; // the model learns exp(-E / 0.01)
///     ebm_cd_params cd = ebm_cd_default_params();
///     cd.start = EBM_CD_START_PERSISTENT; // PCD: a replay buffer, warmed up by init_steps steps
///     cd.k = 20;
///     cd.energy_reg_weight = 0.1; // the defaults (CD-1 from noise, 0.001) diverge here
///     ebm_adam_params adam = ebm_adam_default_params();
///     adam.learning_rate = 1e-2;
///     ebm_energy *model = NULL;
///     ebm_sampler *sampler = NULL;
///     ebm_cd_loss *loss = NULL;
///     ebm_optimizer *optimizer = NULL;
///     double value = 0;
///     ebm_status status = ebm_dataset_generate_f32(&dataset, 4096, data);
///     if (status == EBM_OK) status = ebm_model_mlp_new(&mlp, &model);
///     if (status == EBM_OK) status = ebm_langevin_new(model, &langevin, &sampler);
///     if (status == EBM_OK) status = ebm_cd_loss_new(model, sampler, &cd, &loss);
///     if (status == EBM_OK) status = ebm_optimizer_adam_new(model, &adam, &optimizer);
///     for (int step = 0; step < 300 && status == EBM_OK; step++)
///         status = ebm_cd_loss_train_step_f32(loss, optimizer, data + 2 * ((step * 128) % 4096), 128, 2, &value);
///     float points[3 * 2] = {2, 0, 0, 2, 0, 0}; // two modes, then the origin
///     float energies[3] = {0};
///     if (status == EBM_OK) status = ebm_energy_eval_f32(model, points, 3, 2, energies);
///     if (status != EBM_OK) fprintf(stderr, "%s\n", ebm_last_error_message());
///     else printf("loss %.3f; E at two modes %.3f %.3f, at the origin %.3f\n", value, energies[0], energies[1], energies[2]);
///     ebm_optimizer_free(optimizer);
///     ebm_cd_loss_free(loss);
///     ebm_sampler_free(sampler);
///     ebm_energy_free(model);
///     return status == EBM_OK && energies[0] < energies[2] && energies[1] < energies[2] ? 0 : 1;
/// }
/// ```
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
/// ebm_optimizer_zero_grad first, then ebm_optimizer_step; or use ebm_cd_loss_train_step_f32).
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

/// Writes the number of negatives of the last computed loss into *n_out and their dimension
/// into *dim_out, both 0 before the first loss: the sizes ebm_cd_loss_get_negatives_* takes.
/// Wrappers ask it rather than remember them (n follows params.n_negatives or the batch).
///
/// Errors: EBM_ERR_NULL_POINTER (loss, n_out, dim_out).
#[no_mangle]
pub unsafe extern "C" fn ebm_cd_loss_get_negatives_shape(
    loss: *const ebm_cd_loss,
    n_out: *mut i64,
    dim_out: *mut i64,
) -> ebm_status {
    call("ebm_cd_loss_get_negatives_shape", || {
        let loss = unsafe { handle(loss, "loss")? };
        let n_out = unsafe { n_out.as_mut() }.ok_or(Error::null("n_out"))?;
        let dim_out = unsafe { dim_out.as_mut() }.ok_or(Error::null("dim_out"))?;
        write_shape(lock(&loss.loss, "loss")?.last_negatives_shape(), n_out, dim_out);
        Ok(())
    })
}
