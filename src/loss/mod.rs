//! Training losses for energy models: contrastive divergence (CD-k, PCD) and score matching
//! (exact, sliced, denoising). Each computes the loss for a batch of data and accumulates its
//! gradient into the model's parameters.

mod contrastive_divergence;
mod replay_buffer;
mod score_matching;

use std::sync::Arc;

use tch::Tensor;

use crate::energy::Energy;
use crate::error::{Error, Result};
use crate::tensor::{borrow_matrix, Real};

pub use contrastive_divergence::{CdOutcome, CdParams, ChainStart, ContrastiveDivergence};
pub use replay_buffer::ReplayBuffer;
pub use score_matching::{Projection, ScoreMatching, ScoreMatchingMethod};

/// A data batch as a tensor in the energy's precision and on its device, after checks.
pub(crate) fn data_tensor<T: Real>(energy: &Arc<dyn Energy>, data: &[T], dim: usize) -> Result<Tensor> {
    if dim == 0 {
        return Err(Error::invalid("dim", "must be >= 1"));
    }
    if data.is_empty() {
        return Err(Error::invalid("n", "a loss needs at least one data point"));
    }
    if data.len() % dim != 0 {
        return Err(Error::LengthMismatch {
            arg: "data",
            reason: format!("has {} values, not a whole number of points of dim {dim}", data.len()),
        });
    }
    energy.dim_spec().check("dim", energy.name(), dim)?;
    if let Some(i) = data.iter().position(|v| !v.to_f64().is_finite()) {
        return Err(Error::NonFinite {
            arg: "data",
            reason: format!("element {i} (point {}) is {}", i / dim, data[i].to_f64()),
        });
    }
    let (kind, device) = match energy.as_model() {
        Some(model) => (model.kind(), model.device()),
        None => (tch::Kind::Double, tch::Device::Cpu),
    };
    Ok(borrow_matrix(data, data.len() / dim, dim)?
        .f_to_kind(kind)?
        .f_to_device(device)?
        .f_detach_copy()?)
}

/// E(x) with the graph the loss needs: the model's training forward, or an analytic
/// energy's differentiable tensor form.
pub(crate) fn training_energy(energy: &Arc<dyn Energy>, x: &Tensor) -> Result<Tensor> {
    match energy.as_model() {
        Some(model) => model.training_energy(x),
        None => energy.energy(x),
    }
}

/// Backpropagates a scalar loss into the model's parameters (nothing to do for an energy
/// without parameters), refusing a non-finite one so that no gradient is corrupted.
pub(crate) fn backpropagate(energy: &Arc<dyn Energy>, loss: &Tensor) -> Result<f64> {
    let value = loss.f_double_value(&[])?;
    if !value.is_finite() {
        return Err(Error::NonFinite {
            arg: "loss",
            reason: format!("is {value}; the parameters' gradients were left unchanged"),
        });
    }
    if energy.as_model().is_some() && loss.requires_grad() {
        loss.f_backward()?;
    }
    Ok(value)
}
