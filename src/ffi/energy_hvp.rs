//! Hessian-vector products of energies into caller buffers, in float and double.

use super::args::{count, dimension, disjoint, element_count, handle, input, output, span};
use super::energy::ebm_energy;
use super::guard::call;
use super::status::ebm_status;
use crate::energy::hessian_vector_product;
use crate::error::Result;
use crate::tensor::Real;

/// Checks the C arguments of a Hessian-vector product and runs it. `energy_out` and
/// `gradient_out` may be NULL (not wanted).
#[allow(clippy::too_many_arguments)]
unsafe fn hvp_ffi<T: Real>(
    energy: *const ebm_energy,
    x: *const T,
    v: *const T,
    n: i64,
    dim: i64,
    hvp_out: *mut T,
    energy_out: *mut T,
    gradient_out: *mut T,
) -> Result<()> {
    let handle = unsafe { handle(energy, "energy")? };
    let n = count("n", n)?;
    let dim = dimension("dim", dim)?;
    let len = element_count::<T>("n, dim", &[n, dim])?;
    let mut outputs = vec![span("hvp_out", hvp_out, len)];
    if !energy_out.is_null() {
        outputs.push(span("energy_out", energy_out, n));
    }
    if !gradient_out.is_null() {
        outputs.push(span("gradient_out", gradient_out, len));
    }
    if n > 0 {
        // x and v are only read, so they may overlap each other (v = x is a valid direction).
        for read in [span("x", x, len), span("v", v, len)] {
            let mut spans = vec![read];
            spans.extend(outputs.iter().copied());
            disjoint(&spans)?;
        }
    }
    let x = unsafe { input(x, "x", len)? };
    let v = unsafe { input(v, "v", len)? };
    let products = unsafe { output(hvp_out, "hvp_out", len)? };
    let energies = match energy_out.is_null() {
        true => None,
        false => Some(unsafe { output(energy_out, "energy_out", n)? }),
    };
    let gradients = match gradient_out.is_null() {
        true => None,
        false => Some(unsafe { output(gradient_out, "gradient_out", len)? }),
    };
    hessian_vector_product(
        handle.energy.as_ref(),
        handle.device,
        x,
        v,
        dim,
        products,
        energies,
        gradients,
    )
}

/// Hessian-vector products of the energy at n points: hvp_out[i*dim .. i*dim+dim-1] =
/// H(x_i) v_i, where H(x_i) is the Hessian of E at point i (x[i*dim .. i*dim+dim-1]) and
/// v_i = v[i*dim .. i*dim+dim-1] its direction. Optionally also the energies E(x_i) and the
/// gradients grad_x E(x_i) of the same pass, at no extra cost (what Newton-type methods use).
///
/// x, v and hvp_out: n*dim floats, row-major. energy_out: n floats, or NULL when not wanted.
/// gradient_out: n*dim floats (the gradient of the ENERGY, not the score), or NULL when not
/// wanted. x and v may be the same buffer; the output buffers must not overlap each other,
/// x or v. n = 0 does nothing (after the checks of energy and dim). Computed on the energy's
/// device, in float (a neural energy in its parameters' precision, as ebm_energy_eval_f32).
/// Inputs are not checked for NaN or infinities (as ebm_energy_eval_f32).
///
/// Gaussian, harmonic, double-well, Rastrigin, Styblinski-Tang and Booth energies use closed
/// forms; Rosenbrock, Himmelblau, Ackley, Gaussian-mixture, MLP and TorchScript energies use
/// libtorch's double backward through the energy (a TorchScript module must be twice
/// differentiable, else EBM_ERR_TORCH); a composite sums its parts' products with its
/// weights. Where E is not twice differentiable the result is whatever autograd's one-sided
/// rules give: Ackley at the origin (a cone point) gives NaN (its energy and gradient there
/// are ebm_energy_eval_f32's: gradient 0); a ReLU network gives 0 from its activations'
/// second derivatives.
///
/// Errors: EBM_ERR_NULL_POINTER (energy, x, v, hvp_out; x, v and hvp_out may be NULL when
/// n = 0), EBM_ERR_INVALID_ARGUMENT (n < 0, dim < 1, misaligned or overlapping buffers, a
/// callback energy or a composite with one: callbacks give no second derivatives; the
/// message names "energy"), EBM_ERR_SIZE_OVERFLOW (n*dim), EBM_ERR_DIMENSION_MISMATCH (dim
/// not accepted by the energy), EBM_ERR_OUT_OF_MEMORY, EBM_ERR_TORCH.
#[no_mangle]
pub unsafe extern "C" fn ebm_energy_hvp_f32(
    energy: *const ebm_energy,
    x: *const f32,
    v: *const f32,
    n: i64,
    dim: i64,
    hvp_out: *mut f32,
    energy_out: *mut f32,
    gradient_out: *mut f32,
) -> ebm_status {
    call("ebm_energy_hvp_f32", || unsafe {
        hvp_ffi(energy, x, v, n, dim, hvp_out, energy_out, gradient_out)
    })
}

/// Hessian-vector products H(x_i) v_i of the energy at n points, as ebm_energy_hvp_f32 in
/// double: x, v, hvp_out and gradient_out (nullable) are n*dim doubles, row-major;
/// energy_out (nullable) n doubles.
/// A neural energy computes in its parameters' dtype (see Precision in the preamble).
///
/// Errors: as ebm_energy_hvp_f32.
#[no_mangle]
pub unsafe extern "C" fn ebm_energy_hvp_f64(
    energy: *const ebm_energy,
    x: *const f64,
    v: *const f64,
    n: i64,
    dim: i64,
    hvp_out: *mut f64,
    energy_out: *mut f64,
    gradient_out: *mut f64,
) -> ebm_status {
    call("ebm_energy_hvp_f64", || unsafe {
        hvp_ffi(energy, x, v, n, dim, hvp_out, energy_out, gradient_out)
    })
}
