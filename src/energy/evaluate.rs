//! Evaluation of an energy on caller buffers: picks the host kernel or libtorch, and moves
//! data to the requested device and back.

use std::borrow::Cow;
use std::sync::Mutex;

use tch::{Device, Tensor};

use super::Energy;
use crate::error::{Error, Result};
use crate::host;
use crate::parallel;
use crate::tensor::{borrow_matrix, copy_to_slice, Real};

/// Matrix-vector host kernels (Gaussians, mixtures) beat libtorch's BLAS up to this many
/// multiply-adds per call, or at any size for dimensions up to [`MATVEC_HOST_MAX_DIM`].
pub const MATVEC_HOST_MAX_FLOPS: usize = 1 << 18;
/// See [`MATVEC_HOST_MAX_FLOPS`].
pub const MATVEC_HOST_MAX_DIM: usize = 16;

/// Whether a host kernel doing `matrices` dim × dim matrix-vector products per point beats
/// libtorch for `points` points.
pub(crate) fn matvec_host_is_faster(points: usize, dim: usize, matrices: usize) -> bool {
    dim <= MATVEC_HOST_MAX_DIM || points.saturating_mul(dim * dim * matrices) <= MATVEC_HOST_MAX_FLOPS
}

/// Which implementation evaluates an energy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvalPath {
    /// The host kernel where it is the faster one on the CPU (or the energy's natural home,
    /// a user callback); libtorch otherwise.
    Auto,
    /// libtorch's tensors, whatever the energy (callbacks still run on the host).
    Torch,
}

/// Evaluates `energy` on the row-major points `x` (each of length `dim`), writing energies
/// into `energy_out` (one per point) and gradients ∇ₓE into `gradient_out` (`dim` per point)
/// for whichever of the two is given, computing on `device`.
pub fn evaluate<T: Real>(
    energy: &dyn Energy,
    device: Device,
    x: &[T],
    dim: usize,
    energy_out: Option<&mut [T]>,
    gradient_out: Option<&mut [T]>,
) -> Result<()> {
    evaluate_with(EvalPath::Auto, energy, device, x, dim, energy_out, gradient_out)
}

/// The number of points of dim values in a buffer of `x_len` values (argument "x").
pub(crate) fn point_count(x_len: usize, dim: usize) -> Result<usize> {
    if dim == 0 {
        return Err(Error::invalid("dim", "must be >= 1"));
    }
    if x_len % dim != 0 {
        return Err(Error::LengthMismatch {
            arg: "x",
            reason: format!("has {x_len} elements, not a whole number of points of dim {dim}"),
        });
    }
    Ok(x_len / dim)
}

/// Checks that buffer `arg` of an evaluation of `n` points holds `want` values.
pub(crate) fn expect_len(arg: &'static str, got: usize, want: usize, n: usize) -> Result<()> {
    if got == want {
        Ok(())
    } else {
        Err(Error::LengthMismatch {
            arg,
            reason: format!("has {got} elements, {n} points need {want}"),
        })
    }
}

/// [`evaluate`] on a chosen implementation.
pub fn evaluate_with<T: Real>(
    path: EvalPath,
    energy: &dyn Energy,
    device: Device,
    x: &[T],
    dim: usize,
    energy_out: Option<&mut [T]>,
    gradient_out: Option<&mut [T]>,
) -> Result<()> {
    let n = point_count(x.len(), dim)?;
    let expect_len = |arg, got, want| expect_len(arg, got, want, n);
    if let Some(out) = &energy_out {
        expect_len("energy_out", out.len(), n)?;
    }
    if let Some(out) = &gradient_out {
        expect_len("gradient_out", out.len(), x.len())?;
    }
    energy.dim_spec().check("dim", energy.name(), dim)?;
    if n == 0 || (energy_out.is_none() && gradient_out.is_none()) {
        return Ok(());
    }
    match energy.host_kernel() {
        Some(kernel)
            if energy.prefers_host()
                || (path == EvalPath::Auto && device == Device::Cpu && kernel.host_is_faster(n, dim)) =>
        {
            evaluate_on_host(kernel, x, dim, energy_out, gradient_out)
        }
        _ if device == Device::Cpu && x.len() >= 2 * parallel::TORCH_VALUES_PER_TASK => {
            evaluate_in_parts(energy, x, dim, energy_out, gradient_out)
        }
        _ => evaluate_with_torch(energy, device, x, n, dim, energy_out, gradient_out),
    }
}

/// Large CPU batches through libtorch: parts of a fixed size (whatever the thread count, so
/// that results never depend on it), evaluated in parallel when CPUs are free; the error of
/// the first failing part is returned.
fn evaluate_in_parts<T: Real>(
    energy: &dyn Energy,
    x: &[T],
    dim: usize,
    energy_out: Option<&mut [T]>,
    gradient_out: Option<&mut [T]>,
) -> Result<()> {
    let n = x.len() / dim;
    let rows = parallel::TORCH_VALUES_PER_TASK.div_ceil(dim).min(n);
    let mut energies: Vec<Option<&mut [T]>> = match energy_out {
        Some(out) => out.chunks_mut(rows).map(Some).collect(),
        None => Vec::new(),
    };
    let mut gradients: Vec<Option<&mut [T]>> = match gradient_out {
        Some(out) => out.chunks_mut(rows * dim).map(Some).collect(),
        None => Vec::new(),
    };
    let parts: Vec<_> = x
        .chunks(rows * dim)
        .enumerate()
        .map(|(i, x)| {
            let e = energies.get_mut(i).and_then(Option::take);
            let g = gradients.get_mut(i).and_then(Option::take);
            (i, x, e, g)
        })
        .collect();
    let first_error: Mutex<Option<(usize, Error)>> = Mutex::new(None);
    parallel::for_each(parts, |(i, x, e, g)| {
        if let Err(error) = evaluate_with_torch(energy, Device::Cpu, x, x.len() / dim, dim, e, g) {
            let mut slot = first_error.lock().unwrap_or_else(|p| p.into_inner());
            if slot.as_ref().map_or(true, |(j, _)| i < *j) {
                *slot = Some((i, error));
            }
        }
    });
    match first_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
        Some((_, error)) => Err(error),
        None => Ok(()),
    }
}

fn evaluate_on_host<T: Real>(
    kernel: &dyn super::HostKernel,
    x: &[T],
    dim: usize,
    mut energy_out: Option<&mut [T]>,
    mut gradient_out: Option<&mut [T]>,
) -> Result<()> {
    let n = x.len() / dim;
    let points: Cow<[f64]> = match T::as_f64(x) {
        Some(values) => Cow::Borrowed(values),
        None => {
            let mut widened = host::with_capacity("x", x.len())?;
            widened.extend(x.iter().map(|v| v.to_f64()));
            Cow::Owned(widened)
        }
    };
    let mut energy_scratch = Vec::new();
    let mut gradient_scratch = Vec::new();
    // Write straight into f64 caller buffers; go through scratch otherwise.
    let energies: &mut [f64] = match energy_out.as_deref_mut().and_then(T::as_f64_mut) {
        Some(out) => out,
        None => {
            energy_scratch = host::zeroed("energy_out", n)?;
            &mut energy_scratch
        }
    };
    let gradients: Option<&mut [f64]> = match gradient_out.as_deref_mut() {
        None => None,
        Some(out) => match T::as_f64_mut(out) {
            Some(direct) => Some(direct),
            None => {
                gradient_scratch = host::zeroed("gradient_out", x.len())?;
                Some(&mut gradient_scratch[..])
            }
        },
    };
    kernel.eval_host(&points, dim, energies, gradients)?;
    narrow_into(&energy_scratch, energy_out);
    narrow_into(&gradient_scratch, gradient_out);
    Ok(())
}

/// Copies f64 scratch into a non-f64 caller buffer (no-op when the scratch was not used).
fn narrow_into<T: Real>(scratch: &[f64], out: Option<&mut [T]>) {
    if let Some(out) = out {
        if !scratch.is_empty() {
            for (o, v) in out.iter_mut().zip(scratch) {
                *o = T::from_f64(*v);
            }
        }
    }
}

fn evaluate_with_torch<T: Real>(
    energy: &dyn Energy,
    device: Device,
    x: &[T],
    n: usize,
    dim: usize,
    energy_out: Option<&mut [T]>,
    gradient_out: Option<&mut [T]>,
) -> Result<()> {
    let points = borrow_matrix(x, n, dim)?;
    let points = if device == Device::Cpu {
        points
    } else {
        points.f_to_device(device)?
    };
    let (energies, gradients) = tch::no_grad(|| -> Result<(Tensor, Option<Tensor>)> {
        if gradient_out.is_some() {
            let (e, g) = energy.energy_and_gradient(&points)?;
            Ok((e, Some(g)))
        } else {
            Ok((energy.energy(&points)?, None))
        }
    })?;
    check_shape(energy, "energy", &energies, &[n as i64])?;
    if let Some(out) = energy_out {
        copy_to_slice(&energies, out)?;
    }
    if let (Some(gradients), Some(out)) = (gradients, gradient_out) {
        check_shape(energy, "gradient", &gradients, &[n as i64, dim as i64])?;
        copy_to_slice(&gradients, out)?;
    }
    Ok(())
}

fn check_shape(energy: &dyn Energy, what: &str, tensor: &Tensor, want: &[i64]) -> Result<()> {
    let got = tensor.size();
    if got == want {
        Ok(())
    } else {
        Err(Error::Torch(tch::TchError::Shape(format!(
            "energy '{}' produced a {what} of shape {got:?}, expected {want:?}",
            energy.name()
        ))))
    }
}
