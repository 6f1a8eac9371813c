//! Hessian-vector products ∇²ₓE(xᵢ) vᵢ: closed forms where an energy has a simple one, and
//! otherwise libtorch's double backward through the energy's differentiable tensor form.

use tch::{Device, Tensor};

use super::evaluate::{expect_len, point_count};
use super::Energy;
use crate::error::{Error, Result};
use crate::tensor::{borrow_matrix, copy_to_slice, Real};

/// Energies (n,), gradients ∇ₓE (n, dim) and Hessian-vector products ∇²ₓE(xᵢ) vᵢ (n, dim) of
/// the energies `forward` computes, by double backward: the gradient g is built with its own
/// graph, then the gradient of Σᵢ ⟨gᵢ, vᵢ⟩ with respect to x is H v, row by row since the
/// rows of x do not interact. Everything returned is detached; parameter gradients are left
/// untouched (only x is differentiated).
pub(crate) fn autograd_hvp(
    x: &Tensor,
    v: &Tensor,
    forward: impl FnOnce(&Tensor) -> Result<Tensor>,
) -> Result<(Tensor, Tensor, Tensor)> {
    tch::with_grad(|| {
        let input = x.f_detach()?.f_set_requires_grad(true)?;
        let energy = forward(&input)?;
        // libtorch's backward dereferences the grad_fn of its roots: without one it would
        // crash rather than raise.
        if !energy.requires_grad() {
            return Err(Error::Torch(tch::TchError::Torch(format!(
                "energy: its {:?} output has no autograd graph, so x has no derivatives",
                energy.kind()
            ))));
        }
        let gradient = Tensor::f_run_backward(&[&energy], &[&input], true, true)?.remove(0);
        // An undefined gradient: E does not depend on x. A gradient without a graph back to
        // x: E is affine in x. Either way the Hessian is 0.
        let (gradient, hvp) = if !gradient.defined() {
            (input.f_zeros_like()?, input.f_zeros_like()?)
        } else if !gradient.requires_grad() {
            (gradient, input.f_zeros_like()?)
        } else {
            let direction = v.f_detach()?.f_to_kind(gradient.kind())?;
            let along = gradient.f_mul(&direction)?;
            let hvp = Tensor::f_run_backward(&[&along], &[&input], false, false)?.remove(0);
            let hvp = if hvp.defined() { hvp } else { input.f_zeros_like()? };
            (gradient, hvp)
        };
        Ok((energy.f_detach()?, gradient.f_detach()?, hvp.f_detach()?))
    })
}

/// Computes, for the row-major points `x` and directions `v` (each `dim` per point), the
/// Hessian-vector products ∇²ₓE(xᵢ) vᵢ into `hvp_out` and, when given, the energies into
/// `energy_out` (one per point) and the gradients ∇ₓE into `gradient_out` (`dim` per point),
/// on `device`, in the precision of `T`.
///
/// Always computed with libtorch's tensors (there are no host kernels of second
/// derivatives). Energies without second derivatives (user callbacks) are refused, even for
/// zero points.
#[allow(clippy::too_many_arguments)]
pub fn hessian_vector_product<T: Real>(
    energy: &dyn Energy,
    device: Device,
    x: &[T],
    v: &[T],
    dim: usize,
    hvp_out: &mut [T],
    energy_out: Option<&mut [T]>,
    gradient_out: Option<&mut [T]>,
) -> Result<()> {
    let n = point_count(x.len(), dim)?;
    let expect_len = |arg, got, want| expect_len(arg, got, want, n);
    expect_len("v", v.len(), x.len())?;
    expect_len("hvp_out", hvp_out.len(), x.len())?;
    if let Some(out) = &energy_out {
        expect_len("energy_out", out.len(), n)?;
    }
    if let Some(out) = &gradient_out {
        expect_len("gradient_out", out.len(), x.len())?;
    }
    energy.dim_spec().check("dim", energy.name(), dim)?;
    energy.check_twice_differentiable()?;
    if n == 0 {
        return Ok(());
    }
    let to_device = |t: Tensor| -> Result<Tensor> {
        if device == Device::Cpu {
            Ok(t)
        } else {
            Ok(t.f_to_device(device)?)
        }
    };
    let points = to_device(borrow_matrix(x, n, dim)?)?;
    let directions = to_device(borrow_matrix(v, n, dim)?)?;
    let (energies, gradients, products) = energy.energy_gradient_hvp(&points, &directions)?;
    check_shape(energy, "energy", &energies, &[n as i64])?;
    check_shape(energy, "gradient", &gradients, &[n as i64, dim as i64])?;
    check_shape(energy, "Hessian-vector product", &products, &[n as i64, dim as i64])?;
    copy_to_slice(&products, hvp_out)?;
    if let Some(out) = energy_out {
        copy_to_slice(&energies, out)?;
    }
    if let Some(out) = gradient_out {
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
