//! Evaluation of energies into caller buffers, in float and double.

use super::args::{count, dimension, disjoint, element_count, handle, input, output, span};
use super::energy::ebm_energy;
use super::guard::call;
use super::status::ebm_status;
use crate::energy::evaluate;
use crate::error::Result;
use crate::tensor::Real;

/// Checks the C arguments of an evaluation and runs it. `energy_out` / `gradient_out` are
/// NULL exactly when the function does not produce them.
unsafe fn evaluate_ffi<T: Real>(
    energy: *const ebm_energy,
    x: *const T,
    n: i64,
    dim: i64,
    energy_out: Option<*mut T>,
    gradient_out: Option<*mut T>,
) -> Result<()> {
    let handle = unsafe { handle(energy, "energy")? };
    let n = count("n", n)?;
    let dim = dimension("dim", dim)?;
    let len = element_count::<T>("n, dim", &[n, dim])?;
    let mut spans = vec![span("x", x, len)];
    spans.extend(energy_out.map(|p| span("energy_out", p, n)));
    spans.extend(gradient_out.map(|p| span("gradient_out", p, len)));
    if n > 0 {
        disjoint(&spans)?;
    }
    let x = unsafe { input(x, "x", len)? };
    let energies = match energy_out {
        Some(p) => Some(unsafe { output(p, "energy_out", n)? }),
        None => None,
    };
    let gradients = match gradient_out {
        Some(p) => Some(unsafe { output(p, "gradient_out", len)? }),
        None => None,
    };
    evaluate(handle.energy.as_ref(), handle.device, x, dim, energies, gradients)
}

/// Energies of n points: energy_out[i] = E(x[i*dim .. i*dim+dim-1]).
///
/// x: n*dim floats, row-major. energy_out: n floats. n = 0 does nothing.
///
/// Errors: EBM_ERR_NULL_POINTER (energy, x, energy_out), EBM_ERR_INVALID_ARGUMENT (n < 0,
/// dim < 1, misaligned or overlapping buffers), EBM_ERR_SIZE_OVERFLOW (n*dim),
/// EBM_ERR_DIMENSION_MISMATCH (dim not accepted by the energy), EBM_ERR_CALLBACK (a user
/// energy failed), EBM_ERR_OUT_OF_MEMORY, EBM_ERR_TORCH.
///
/// Example, a complete program (make test-header-examples compiles and runs it):
///
/// ```c
/// #include <math.h>
/// #include <stdio.h>
/// #include "torchebm.h"
///
/// int main(void) {
///     ebm_energy *rosenbrock = NULL;
///     if (ebm_energy_rosenbrock_new(EBM_ROSENBROCK_DEFAULT_A, EBM_ROSENBROCK_DEFAULT_B, &rosenbrock))
///         return 1;
///     // Two points in two dimensions, row-major (n = 2, dim = 2): (1, 1) and (0, 0).
///     double x[4] = {1, 1, 0, 0}, e[2], grad[4];
///     if (ebm_energy_eval_and_gradient_f64(rosenbrock, x, 2, 2, e, grad) != EBM_OK) {
///         fprintf(stderr, "%s\n", ebm_last_error_message());
///         return 1;
///     }
///     printf("E(1,1) = %g, E(0,0) = %g, grad E(0,0) = (%g, %g)\n", e[0], e[1], grad[2], grad[3]);
///     float xf[2] = {0.0f, 0.0f}, ef; // the same in float, no conversion on the caller's side
///     if (ebm_energy_eval_f32(rosenbrock, xf, 1, 2, &ef) != EBM_OK) return 1;
///     ebm_energy_free(rosenbrock);
///     return e[0] == 0 && e[1] == 1 && grad[2] == -2 && grad[3] == 0 && ef == 1.0f ? 0 : 1;
/// }
/// ```
#[no_mangle]
pub unsafe extern "C" fn ebm_energy_eval_f32(
    energy: *const ebm_energy,
    x: *const f32,
    n: i64,
    dim: i64,
    energy_out: *mut f32,
) -> ebm_status {
    call("ebm_energy_eval_f32", || unsafe {
        evaluate_ffi(energy, x, n, dim, Some(energy_out), None)
    })
}

/// Energies of n points: energy_out[i] = E(x[i*dim .. i*dim+dim-1]).
///
/// x: n*dim doubles, row-major. energy_out: n doubles. n = 0 does nothing.
/// A neural energy computes in its parameters' dtype (see Precision in the preamble).
///
/// Errors: as ebm_energy_eval_f32.
#[no_mangle]
pub unsafe extern "C" fn ebm_energy_eval_f64(
    energy: *const ebm_energy,
    x: *const f64,
    n: i64,
    dim: i64,
    energy_out: *mut f64,
) -> ebm_status {
    call("ebm_energy_eval_f64", || unsafe {
        evaluate_ffi(energy, x, n, dim, Some(energy_out), None)
    })
}

/// Gradients of the energy, grad_x E, at n points: gradient_out[i*dim + j] = dE/dx_j at point
/// i. This is the gradient of the ENERGY; the score grad_x log p is its negative.
///
/// x and gradient_out: n*dim floats, row-major. n = 0 does nothing. Analytic energies use
/// closed forms; a callback energy without gradient callback uses finite differences.
///
/// Errors: as ebm_energy_eval_f32, with gradient_out in place of energy_out.
#[no_mangle]
pub unsafe extern "C" fn ebm_energy_gradient_f32(
    energy: *const ebm_energy,
    x: *const f32,
    n: i64,
    dim: i64,
    gradient_out: *mut f32,
) -> ebm_status {
    call("ebm_energy_gradient_f32", || unsafe {
        evaluate_ffi(energy, x, n, dim, None, Some(gradient_out))
    })
}

/// Gradients of the energy, grad_x E (not the score, which is its negative), at n points:
/// gradient_out[i*dim + j] = dE/dx_j at point i.
///
/// x and gradient_out: n*dim doubles, row-major. n = 0 does nothing.
/// A neural energy computes in its parameters' dtype (see Precision in the preamble).
///
/// Errors: as ebm_energy_gradient_f32.
#[no_mangle]
pub unsafe extern "C" fn ebm_energy_gradient_f64(
    energy: *const ebm_energy,
    x: *const f64,
    n: i64,
    dim: i64,
    gradient_out: *mut f64,
) -> ebm_status {
    call("ebm_energy_gradient_f64", || unsafe {
        evaluate_ffi(energy, x, n, dim, None, Some(gradient_out))
    })
}

/// Energies (n floats into energy_out) and energy gradients grad_x E (n*dim floats into
/// gradient_out) in one pass, cheaper than the two separate calls.
///
/// Errors: as ebm_energy_eval_f32 and ebm_energy_gradient_f32.
#[no_mangle]
pub unsafe extern "C" fn ebm_energy_eval_and_gradient_f32(
    energy: *const ebm_energy,
    x: *const f32,
    n: i64,
    dim: i64,
    energy_out: *mut f32,
    gradient_out: *mut f32,
) -> ebm_status {
    call("ebm_energy_eval_and_gradient_f32", || unsafe {
        evaluate_ffi(energy, x, n, dim, Some(energy_out), Some(gradient_out))
    })
}

/// Energies (n doubles into energy_out) and energy gradients grad_x E (n*dim doubles into
/// gradient_out, row-major) of the n points in x (n*dim doubles), in one pass.
/// A neural energy computes in its parameters' dtype (see Precision in the preamble).
///
/// Errors: as ebm_energy_eval_f32 and ebm_energy_gradient_f32.
#[no_mangle]
pub unsafe extern "C" fn ebm_energy_eval_and_gradient_f64(
    energy: *const ebm_energy,
    x: *const f64,
    n: i64,
    dim: i64,
    energy_out: *mut f64,
    gradient_out: *mut f64,
) -> ebm_status {
    call("ebm_energy_eval_and_gradient_f64", || unsafe {
        evaluate_ffi(energy, x, n, dim, Some(energy_out), Some(gradient_out))
    })
}
