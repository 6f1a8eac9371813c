//! User-defined energies computed by C callbacks.

use std::cell::RefCell;
use std::ffi::{c_char, c_void, CStr};
use std::sync::Arc;

use super::args::dimension;
use super::energy::{ebm_energy, new_energy};
use super::status::ebm_status;
use crate::energy::{CallbackEnergy, CallbackFailure, EnergyCallback, GradientCallback};
use crate::error::Error;

/// Computes the energies of n points: energy_out[i] = E(x[i*dim .. i*dim+dim-1]).
///
/// x holds n*dim doubles (row-major), energy_out n doubles; both are valid only during the
/// call. Return 0 on success, any other value on failure (optionally after
/// ebm_callback_set_error()); the library then fails with EBM_ERR_CALLBACK. Must not throw
/// C++ exceptions or longjmp. May be called concurrently when the energy is evaluated from
/// several threads.
pub type ebm_energy_fn =
    Option<unsafe extern "C" fn(x: *const f64, n: i64, dim: i64, energy_out: *mut f64, user_data: *mut c_void) -> i32>;

/// Computes energies (n doubles into energy_out) and their gradients grad_x E (n*dim doubles
/// into gradient_out) of n points. Same contract as ebm_energy_fn.
pub type ebm_energy_gradient_fn = Option<
    unsafe extern "C" fn(
        x: *const f64,
        n: i64,
        dim: i64,
        energy_out: *mut f64,
        gradient_out: *mut f64,
        user_data: *mut c_void,
    ) -> i32,
>;

/// Releases user_data when the last handle using it is freed.
pub type ebm_free_fn = Option<unsafe extern "C" fn(user_data: *mut c_void)>;

thread_local! {
    static CALLBACK_DETAIL: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Called from inside a failing callback: records a message that the library adds to the
/// EBM_ERR_CALLBACK error it reports (e.g. "energy_fn: callback returned 3 (out of range)").
/// message is copied; NULL clears it. Applies to the callback running on the calling thread.
///
/// Example, a complete program (make test-header-examples compiles and runs it):
///
/// ```c
/// #include <math.h>
/// #include <stdio.h>
/// #include "torchebm.h"
///
/// // E(x) = scale * |x|^2 for n points at once; user_data is the caller's context.
/// static int32_t scaled_square(const double *x, int64_t n, int64_t dim, double *energy_out,
///                              void *user_data) {
///     double scale = *(const double *)user_data;
///     for (int64_t i = 0; i < n; i++) {
///         double s = 0;
///         for (int64_t j = 0; j < dim; j++) s += x[i * dim + j] * x[i * dim + j];
///         if (!isfinite(s)) {
///             ebm_callback_set_error("x is not finite");
///             return 1; // the library fails with EBM_ERR_CALLBACK and this message
///         }
///         energy_out[i] = scale * s;
///     }
///     return 0;
/// }
///
/// int main(void) {
///     static double scale = 0.5;
///     ebm_energy *energy = NULL;
///     // No gradient_fn: gradients by central differences of energy_fn.
///     if (ebm_energy_callback_new(3, scaled_square, NULL, &scale, NULL, &energy) != EBM_OK) return 1;
///     double x[3] = {1, 2, 3}, grad[3];
///     if (ebm_energy_gradient_f64(energy, x, 1, 3, grad) != EBM_OK) return 1;
///     printf("grad E(1, 2, 3) = (%.6f, %.6f, %.6f)\n", grad[0], grad[1], grad[2]);
///     ebm_energy_free(energy);
///     return fabs(grad[0] - 1) + fabs(grad[1] - 2) + fabs(grad[2] - 3) < 1e-8 ? 0 : 1;
/// }
/// ```
#[no_mangle]
pub unsafe extern "C" fn ebm_callback_set_error(message: *const c_char) {
    let detail = if message.is_null() {
        None
    } else {
        // SAFETY: a NUL-terminated string (header contract).
        Some(unsafe { CStr::from_ptr(message) }.to_string_lossy().into_owned())
    };
    CALLBACK_DETAIL.with(|d| *d.borrow_mut() = detail);
}

/// The user's context pointer, released once when no callback holds it any more.
pub(super) struct UserData {
    ptr: *mut c_void,
    free: ebm_free_fn,
}

impl UserData {
    /// Takes ownership of ptr: free (if any) is called with it when this is dropped.
    pub(super) fn new(ptr: *mut c_void, free: ebm_free_fn) -> Self {
        Self { ptr, free }
    }

    pub(super) fn ptr(&self) -> *mut c_void {
        self.ptr
    }
}

// SAFETY: the header requires callbacks, and so their user_data, to be usable from any thread.
unsafe impl Send for UserData {}
unsafe impl Sync for UserData {}

impl Drop for UserData {
    fn drop(&mut self) {
        if let Some(free) = self.free {
            // SAFETY: the user's own release function for their own pointer, called once.
            unsafe { free(self.ptr) };
        }
    }
}

/// Turns a callback's return code into the core's result, collecting its message.
fn outcome(code: i32) -> Result<(), CallbackFailure> {
    let detail = take_detail();
    if code == 0 {
        Ok(())
    } else {
        Err(CallbackFailure { code, detail })
    }
}

pub(super) fn clear_detail() {
    CALLBACK_DETAIL.with(|d| *d.borrow_mut() = None);
}

/// The message the callback that just ran on this thread left with ebm_callback_set_error.
pub(super) fn take_detail() -> Option<String> {
    CALLBACK_DETAIL.with(|d| d.borrow_mut().take())
}

/// A user-defined energy in dimension dim computed by C callbacks.
///
/// energy_fn (required) computes energies. gradient_fn (optional) computes energies and
/// gradients together; when it is NULL, gradients are computed from energy_fn by
/// fourth-order central finite differences,
///   dE/dx_j ~ [8 (E(x + h e_j) - E(x - h e_j)) - (E(x + 2h e_j) - E(x - 2h e_j))] / (12 h),
/// h = DBL_EPSILON^(1/5) * max(1, |x_j|): 4*dim extra energy evaluations per point, batched
/// into few energy_fn calls. For smooth energies the absolute error is about
/// 1e-12 * max(1, |E(x)|). Because h grows with |x_j|, an energy varying on length scales
/// much shorter than |x_j| needs gradient_fn; supply it too when gradients are cheaper.
///
/// Callbacks always receive double-precision host points, whatever the buffers' type and the
/// energy's device. user_data is passed to every callback; free_user_data (optional) is
/// called with it exactly once, when this energy and every composite using it have been
/// freed. If this function fails, free_user_data is not called: user_data stays the caller's.
///
/// Errors: EBM_ERR_NULL_POINTER (energy_fn, out), EBM_ERR_INVALID_ARGUMENT (dim < 1).
#[no_mangle]
pub unsafe extern "C" fn ebm_energy_callback_new(
    dim: i64,
    energy_fn: ebm_energy_fn,
    gradient_fn: ebm_energy_gradient_fn,
    user_data: *mut c_void,
    free_user_data: ebm_free_fn,
    out: *mut *mut ebm_energy,
) -> ebm_status {
    new_energy("ebm_energy_callback_new", out, || {
        let dim = dimension("dim", dim)?;
        let energy_fn = energy_fn.ok_or(Error::null("energy_fn"))?;
        // Every check is done: from here on nothing fails, so the library takes ownership of
        // user_data (and free_user_data is called once the energy is gone).
        let data = Arc::new(UserData::new(user_data, free_user_data));
        let energy_data = Arc::clone(&data);
        let energies: EnergyCallback = Box::new(move |x, dim, energy_out| {
            clear_detail();
            let n = (x.len() / dim) as i64;
            // SAFETY: buffers sized n*dim and n; the user's function honours the typedef.
            outcome(unsafe { energy_fn(x.as_ptr(), n, dim as i64, energy_out.as_mut_ptr(), energy_data.ptr) })
        });
        let gradients: Option<GradientCallback> = gradient_fn.map(|gradient_fn| {
            let gradient_data = Arc::clone(&data);
            Box::new(
                move |x: &[f64], dim: usize, energy_out: &mut [f64], gradient_out: &mut [f64]| {
                    clear_detail();
                    let n = (x.len() / dim) as i64;
                    // SAFETY: as above, with gradient_out sized n*dim.
                    outcome(unsafe {
                        gradient_fn(
                            x.as_ptr(),
                            n,
                            dim as i64,
                            energy_out.as_mut_ptr(),
                            gradient_out.as_mut_ptr(),
                            gradient_data.ptr,
                        )
                    })
                },
            ) as GradientCallback
        });
        drop(data);
        Ok(Arc::new(CallbackEnergy::new(dim, energies, gradients)?))
    })
}
