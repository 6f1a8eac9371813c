//! Argument helpers shared by the losses, training steps and checkpoints: a data batch, the
//! optional loss output, and locking a handle's object for one call.

use super::args::{count, dimension, element_count, input};
use crate::error::{Error, Result};
use crate::exclusive::{Exclusive, ExclusiveGuard};
use crate::tensor::Real;

/// The object for one call: waits for other threads, EBM_ERR_BUSY from inside its own
/// callbacks (a CD loss runs its sampler's).
pub(super) fn lock<'a, T>(value: &'a Exclusive<T>, arg: &'static str) -> Result<ExclusiveGuard<'a, T>> {
    value.lock(arg)
}

/// Checked (data slice, dim) of a data batch.
pub(super) unsafe fn batch<'a, T: Real>(data: *const T, n: i64, dim: i64) -> Result<(&'a [T], usize)> {
    let n = count("n", n)?;
    if n == 0 {
        return Err(Error::invalid("n", "a loss needs at least one data point"));
    }
    let dim = dimension("dim", dim)?;
    let len = element_count::<T>("n, dim", &[n, dim])?;
    Ok((unsafe { input(data, "data", len)? }, dim))
}

pub(super) fn write_loss(loss_out: *mut f64, value: f64) {
    if let Some(out) = unsafe { loss_out.as_mut() } {
        *out = value;
    }
}
