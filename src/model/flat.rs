//! A model's parameters and their gradients as one flat vector, in `Model::parameters`
//! order: what lets a host average gradients across processes with its own MPI.

use tch::Tensor;

use super::Model;
use crate::error::{Error, Result};
use crate::tensor::{copy_to_slice, Real};

/// Number of scalar parameters.
pub fn parameter_count(model: &dyn Model) -> Result<usize> {
    Ok(model.parameters()?.iter().map(Tensor::numel).sum())
}

fn expect_len(arg: &'static str, got: usize, want: usize) -> Result<()> {
    if got == want {
        Ok(())
    } else {
        Err(Error::LengthMismatch {
            arg,
            reason: format!("has {got} values, the model has {want} parameters"),
        })
    }
}

/// Copies every parameter, or with `gradients` their gradients (zero where none has been
/// computed yet), into `out`.
fn copy_out<T: Real>(model: &dyn Model, out: &mut [T], gradients: bool) -> Result<()> {
    let _reading = model.parameter_lock().read();
    let parameters = model.parameters()?;
    expect_len("out", out.len(), parameters.iter().map(Tensor::numel).sum())?;
    let mut offset = 0;
    for p in &parameters {
        let len = p.numel();
        let source = if gradients { p.f_grad()? } else { p.shallow_clone() };
        let target = &mut out[offset..offset + len];
        if source.defined() {
            copy_to_slice(&source, target)?;
        } else {
            target.fill(T::from_f64(0.0));
        }
        offset += len;
    }
    Ok(())
}

/// Writes `values` into every parameter, or with `gradients` into their gradients.
fn copy_in<T: Real>(model: &dyn Model, values: &[T], gradients: bool) -> Result<()> {
    let parameters = model.parameters()?;
    expect_len("values", values.len(), parameters.iter().map(Tensor::numel).sum())?;
    if let Some(i) = values.iter().position(|v| !v.to_f64().is_finite()) {
        return Err(Error::NonFinite {
            arg: "values",
            reason: format!("element {i} is {}", values[i].to_f64()),
        });
    }
    let mut offset = 0;
    let _writing = model.parameter_lock().write("model")?;
    tch::no_grad(|| -> Result<()> {
        for p in &parameters {
            let len = p.numel();
            let chunk = Tensor::f_from_slice(&values[offset..offset + len])?
                .f_reshape(p.size())?
                .f_to_kind(p.kind())?
                .f_to_device(p.device())?;
            if gradients {
                assign_gradient(p, &chunk)?;
            } else {
                let mut target = p.shallow_clone();
                target.f_copy_(&chunk)?;
            }
            offset += len;
        }
        Ok(())
    })
}

/// Makes `values` (shaped, typed and placed as `p`) the gradient of the parameter `p`.
pub fn assign_gradient(p: &Tensor, values: &Tensor) -> Result<()> {
    let mut grad = p.f_grad()?;
    if grad.defined() {
        tch::no_grad(|| grad.f_copy_(values))?;
    } else {
        // No gradient yet, and tch cannot attach one directly: a backward pass of Σ p·values
        // leaves exactly `values` as p's gradient.
        tch::with_grad(|| p.f_mul(values)?.f_sum(None::<tch::Kind>)?.f_backward())?;
    }
    Ok(())
}

/// The flat parameter vector.
pub fn copy_parameters<T: Real>(model: &dyn Model, out: &mut [T]) -> Result<()> {
    copy_out(model, out, false)
}

/// The flat gradient vector (zeros before the first backward pass).
pub fn copy_gradients<T: Real>(model: &dyn Model, out: &mut [T]) -> Result<()> {
    copy_out(model, out, true)
}

/// Replaces the parameters by `values`.
pub fn set_parameters<T: Real>(model: &dyn Model, values: &[T]) -> Result<()> {
    copy_in(model, values, false)
}

/// Replaces the gradients by `values` (e.g. after an all-reduce).
pub fn set_gradients<T: Real>(model: &dyn Model, values: &[T]) -> Result<()> {
    copy_in(model, values, true)
}

/// Sets every gradient to zero.
pub fn zero_gradients(model: &dyn Model) -> Result<()> {
    let _writing = model.parameter_lock().write("model")?;
    for mut p in model.parameters()? {
        p.zero_grad();
    }
    Ok(())
}
