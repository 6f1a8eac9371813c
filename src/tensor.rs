//! Moving data between caller slices and libtorch tensors, and per-device copies of
//! parameters.

use std::sync::Mutex;

use tch::{Device, Kind, Tensor};

use crate::error::{Error, Result};

/// The floating-point element types accepted in caller buffers.
pub trait Real: tch::kind::Element + Copy + Send + Sync + 'static {
    /// Widens to f64 (exact for both f32 and f64).
    fn to_f64(self) -> f64;
    /// Rounds to the nearest representable value.
    fn from_f64(value: f64) -> Self;
    /// The slice itself when the element type is f64.
    fn as_f64(values: &[Self]) -> Option<&[f64]>;
    /// The slice itself when the element type is f64.
    fn as_f64_mut(values: &mut [Self]) -> Option<&mut [f64]>;
}

impl Real for f32 {
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    fn from_f64(value: f64) -> Self {
        value as f32
    }
    fn as_f64(_: &[Self]) -> Option<&[f64]> {
        None
    }
    fn as_f64_mut(_: &mut [Self]) -> Option<&mut [f64]> {
        None
    }
}

impl Real for f64 {
    fn to_f64(self) -> f64 {
        self
    }
    fn from_f64(value: f64) -> Self {
        value
    }
    fn as_f64(values: &[Self]) -> Option<&[f64]> {
        Some(values)
    }
    fn as_f64_mut(values: &mut [Self]) -> Option<&mut [f64]> {
        Some(values)
    }
}

/// The `(rows, cols)` tensor viewing `data` in place, without a copy.
///
/// The tensor borrows `data`: it must not outlive it nor be written through.
pub(crate) fn borrow_matrix<T: Real>(data: &[T], rows: usize, cols: usize) -> Result<Tensor> {
    debug_assert_eq!(data.len(), rows * cols);
    // The first tensor of a path into libtorch: the CUDA backend must be in before it.
    crate::cuda_backend::prepare();
    // SAFETY: `data` holds rows * cols initialised elements of kind T::KIND and outlives every
    // use of the returned tensor inside this crate (callers copy results out before returning).
    let tensor = unsafe {
        Tensor::f_from_blob(
            data.as_ptr() as *const u8,
            &[rows as i64, cols as i64],
            &[],
            T::KIND,
            Device::Cpu,
        )?
    };
    Ok(tensor)
}

/// Copies a tensor's values (any device, any float kind) into `out`, converting the kind.
pub(crate) fn copy_to_slice<T: Real>(tensor: &Tensor, out: &mut [T]) -> Result<()> {
    let numel = tensor.numel();
    if numel != out.len() {
        return Err(Error::Torch(tch::TchError::Shape(format!(
            "result has {numel} elements where {} were expected",
            out.len()
        ))));
    }
    let host = tensor.f_to_device(Device::Cpu)?.f_to_kind(T::KIND)?.f_contiguous()?;
    host.f_copy_data(out, numel)?;
    Ok(())
}

/// A tensor's values as a host f64 vector.
pub(crate) fn to_f64_vec(tensor: &Tensor) -> Result<Vec<f64>> {
    let host = tensor
        .f_to_device(Device::Cpu)?
        .f_to_kind(Kind::Double)?
        .f_contiguous()?;
    let numel = host.numel();
    let mut out = vec![0.0; numel];
    host.f_copy_data(&mut out, numel)?;
    Ok(out)
}

/// A tensor with the given shape holding `values`, on `device` with element kind `kind`.
pub(crate) fn from_f64(values: &[f64], shape: &[i64], kind: Kind, device: Device) -> Result<Tensor> {
    crate::cuda_backend::prepare(); // as in borrow_matrix
    Ok(Tensor::f_from_slice(values)?
        .f_reshape(shape)?
        .f_to_kind(kind)?
        .f_to_device(device)?)
}

/// Constant parameter tensors (kept in f64 on the host) together with their copies on each
/// (device, kind) that evaluation has asked for, so that repeated calls do not re-upload them.
pub(crate) struct ParamCache {
    host: Vec<(Vec<f64>, Vec<i64>)>,
    copies: Mutex<Vec<(Device, Kind, Vec<Tensor>)>>,
}

impl ParamCache {
    /// `params`: each parameter's values and shape.
    pub(crate) fn new(params: Vec<(Vec<f64>, Vec<i64>)>) -> Self {
        ParamCache {
            host: params,
            copies: Mutex::new(Vec::new()),
        }
    }

    /// The parameters on `device` with element kind `kind`, in the order given to `new`.
    pub(crate) fn get(&self, device: Device, kind: Kind) -> Result<Vec<Tensor>> {
        let mut copies = self.copies.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((_, _, tensors)) = copies.iter().find(|(d, k, _)| *d == device && *k == kind) {
            return Ok(tensors.iter().map(Tensor::shallow_clone).collect());
        }
        let tensors = self
            .host
            .iter()
            .map(|(values, shape)| from_f64(values, shape, kind, device))
            .collect::<Result<Vec<_>>>()?;
        copies.push((device, kind, tensors.iter().map(Tensor::shallow_clone).collect()));
        Ok(tensors)
    }
}
