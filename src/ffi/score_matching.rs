//! Score-matching losses from C: exact, sliced and denoising settings, the loss handle, and
//! its value and gradient.

use std::mem::size_of;

use super::args::{count, handle, handle_mut, out_pointer, store};
use super::energy::ebm_energy;
use super::guard::call;
use super::loss_args::{batch, lock, write_loss};
use super::sampler_params::read;
use super::status::ebm_status;
use crate::error::{Error, Result};
use crate::exclusive::Exclusive;
use crate::loss::{Projection, ScoreMatching, ScoreMatchingMethod};
use crate::tensor::Real;

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
    let mut params = ebm_score_matching_params {
        struct_size: size_of::<ebm_score_matching_params>(),
        method: EBM_SCORE_MATCHING_EXACT,
        n_projections: 0,
        projection: EBM_PROJECTION_RADEMACHER,
        noise_scale: 0.0,
        seed: ScoreMatching::DEFAULT_SEED,
    };
    // Each method's own fields from its default, the default method's last (it sets method).
    for method in [
        ScoreMatchingMethod::DEFAULT_SLICED,
        ScoreMatchingMethod::DEFAULT_DENOISING,
        ScoreMatchingMethod::default(),
    ] {
        write_method(method, &mut params);
    }
    params
}

/// Writes `method`'s code and the fields it reads into `p`.
fn write_method(method: ScoreMatchingMethod, p: &mut ebm_score_matching_params) {
    p.method = match method {
        ScoreMatchingMethod::Exact => EBM_SCORE_MATCHING_EXACT,
        ScoreMatchingMethod::Sliced {
            projections,
            distribution,
        } => {
            p.n_projections = projections as i64;
            p.projection = match distribution {
                Projection::Rademacher => EBM_PROJECTION_RADEMACHER,
                Projection::Gaussian => EBM_PROJECTION_GAUSSIAN,
            };
            EBM_SCORE_MATCHING_SLICED
        }
        ScoreMatchingMethod::Denoising { noise_scale } => {
            p.noise_scale = noise_scale;
            EBM_SCORE_MATCHING_DENOISING
        }
    };
}

/// A score-matching loss, created by ebm_score_matching_new, released by
/// ebm_score_matching_free; keeps its energy alive.
pub struct ebm_score_matching {
    pub(super) loss: Exclusive<ScoreMatching>,
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
