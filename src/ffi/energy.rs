//! Energy handles: constructors, accessors, device placement and release.

use std::collections::HashMap;
use std::ffi::{c_char, CString};
use std::sync::{Arc, Mutex};

use once_cell::sync::Lazy;

use tch::Device;

use super::args::{count, dimension, element_count, handle, handle_mut, input, out_pointer, store};
use super::guard::{call, call_infallible};
use super::status::ebm_status;
use crate::energy::{
    Ackley, Booth, Composite, DoubleWell, Energy, Gaussian, GaussianMixture, Harmonic, Himmelblau, Rastrigin,
    Rosenbrock, StyblinskiTang,
};
use crate::error::{Error, Result};
use crate::runtime;

/// An energy function E: R^dim -> R. Created by one of the ebm_energy_*_new functions,
/// released with ebm_energy_free(). Evaluated with ebm_energy_eval_*, ebm_energy_gradient_*
/// and ebm_energy_eval_and_gradient_*.
pub struct ebm_energy {
    pub(crate) energy: Arc<dyn Energy>,
    pub(crate) device: Device,
}

/// Specification default for ebm_energy_double_well_new's a.
pub const EBM_DOUBLE_WELL_DEFAULT_A: f64 = 1.0;
/// Specification default for ebm_energy_double_well_new's b.
pub const EBM_DOUBLE_WELL_DEFAULT_B: f64 = 2.0;
/// TorchEBM 0.8.9 default for ebm_energy_harmonic_new's k.
pub const EBM_HARMONIC_DEFAULT_K: f64 = 1.0;
/// TorchEBM 0.8.9 default for ebm_energy_rosenbrock_new's a.
pub const EBM_ROSENBROCK_DEFAULT_A: f64 = 1.0;
/// TorchEBM 0.8.9 default for ebm_energy_rosenbrock_new's b.
pub const EBM_ROSENBROCK_DEFAULT_B: f64 = 100.0;
/// TorchEBM 0.8.9 default for ebm_energy_ackley_new's a.
pub const EBM_ACKLEY_DEFAULT_A: f64 = 20.0;
/// TorchEBM 0.8.9 default for ebm_energy_ackley_new's b.
pub const EBM_ACKLEY_DEFAULT_B: f64 = 0.2;
/// TorchEBM 0.8.9 default for ebm_energy_ackley_new's c (2 pi).
#[allow(clippy::approx_constant)] // cbindgen needs a literal; it is exactly f64's TAU
pub const EBM_ACKLEY_DEFAULT_C: f64 = 6.283185307179586;
/// TorchEBM 0.8.9 default for ebm_energy_rastrigin_new's a.
pub const EBM_RASTRIGIN_DEFAULT_A: f64 = 10.0;
// cbindgen needs literals: each is tied to the core's default it repeats.
const _: () = {
    use crate::energy::{Ackley, DoubleWell, Harmonic, Rastrigin, Rosenbrock};
    assert!(EBM_DOUBLE_WELL_DEFAULT_A == DoubleWell::DEFAULT_A && EBM_DOUBLE_WELL_DEFAULT_B == DoubleWell::DEFAULT_B);
    assert!(EBM_HARMONIC_DEFAULT_K == Harmonic::DEFAULT_K);
    assert!(EBM_ROSENBROCK_DEFAULT_A == Rosenbrock::DEFAULT_A && EBM_ROSENBROCK_DEFAULT_B == Rosenbrock::DEFAULT_B);
    assert!(EBM_ACKLEY_DEFAULT_A == Ackley::DEFAULT_A && EBM_ACKLEY_DEFAULT_B == Ackley::DEFAULT_B);
    assert!(EBM_ACKLEY_DEFAULT_C == Ackley::DEFAULT_C);
    assert!(EBM_RASTRIGIN_DEFAULT_A == Rastrigin::DEFAULT_A);
};

/// Builds an energy and stores its new handle (on the CPU) into `out`, checked first.
pub(crate) unsafe fn new_energy(
    function: &'static str,
    out: *mut *mut ebm_energy,
    build: impl FnOnce() -> Result<Arc<dyn Energy>>,
) -> ebm_status {
    call(function, || {
        out_pointer(out, "out")?;
        let energy = build()?;
        // SAFETY: `out` checked above.
        unsafe {
            store(
                out,
                ebm_energy {
                    energy,
                    device: Device::Cpu,
                },
            )
        };
        Ok(())
    })
}

/// The specification's Gaussian energy E(x) = 1/2 (x - mean)^T cov^-1 (x - mean), without
/// normalising constant.
///
/// mean: dim values. cov: dim*dim values, row-major, symmetric positive definite. Both are
/// copied. dim >= 1.
///
/// Errors: EBM_ERR_NULL_POINTER (mean, cov, out), EBM_ERR_INVALID_ARGUMENT (dim < 1),
/// EBM_ERR_SIZE_OVERFLOW (dim*dim), EBM_ERR_NON_FINITE (mean, cov),
/// EBM_ERR_NOT_POSITIVE_DEFINITE (cov not symmetric or not positive definite).
///
/// Example, a complete program (make test-header-examples compiles and runs it):
///
/// ```c
/// #include <math.h>
/// #include <stdio.h>
/// #include "torchebm.h"
///
/// int main(void) {
///     ebm_energy *well = NULL, *bowl = NULL, *sum = NULL;
///     if (ebm_energy_double_well_new(EBM_DOUBLE_WELL_DEFAULT_A, EBM_DOUBLE_WELL_DEFAULT_B, &well) ||
///         ebm_energy_harmonic_new(0.5, &bowl)) {
///         fprintf(stderr, "%s\n", ebm_last_error_message());
///         return 1;
///     }
///     // 2 E_well + 3 E_bowl; the composite keeps its parts alive, so they may be freed now.
///     const ebm_energy *parts[2] = {well, bowl};
///     double weights[2] = {2.0, 3.0};
///     ebm_status status = ebm_energy_composite_new(parts, 2, weights, 2, &sum);
///     ebm_energy_free(well);
///     ebm_energy_free(bowl);
///     if (status != EBM_OK) return 1;
///     double x[3] = {1.0, 0.0, -2.0}, e;
///     if (ebm_energy_eval_f64(sum, x, 1, 3, &e) != EBM_OK) return 1;
///     // double well a sum (x_i^2 - b)^2 = 1 + 4 + 4; harmonic k/2 sum x_i^2 = 0.25 * 5
///     printf("%s: E = %g\n", ebm_energy_name(sum), e);
///     ebm_energy_free(sum);
///     return fabs(e - (2 * 9.0 + 3 * 1.25)) < 1e-9 ? 0 : 1;
/// }
/// ```
#[no_mangle]
pub unsafe extern "C" fn ebm_energy_gaussian_new(
    mean: *const f64,
    cov: *const f64,
    dim: i64,
    out: *mut *mut ebm_energy,
) -> ebm_status {
    new_energy("ebm_energy_gaussian_new", out, || {
        let dim = dimension("dim", dim)?;
        let cov_len = element_count::<f64>("dim", &[dim, dim])?;
        let mean = unsafe { input(mean, "mean", dim)? };
        let cov = unsafe { input(cov, "cov", cov_len)? };
        Ok(Arc::new(Gaussian::new(mean, cov)?))
    })
}

/// The specification's double well, E(x) = a * sum_i (x_i^2 - b)^2, for any dim.
/// Specification defaults: EBM_DOUBLE_WELL_DEFAULT_A (1), EBM_DOUBLE_WELL_DEFAULT_B (2).
///
/// TorchEBM 0.8.9's DoubleWellModel(barrier_height=h, b=beta) is h * sum_i (x_i^2 - beta^2)^2:
/// pass a = h and b = beta^2 to get it (its defaults h = 2, beta = 1 are a = 2, b = 1).
///
/// Errors: EBM_ERR_NULL_POINTER (out), EBM_ERR_NON_FINITE (a, b).
#[no_mangle]
pub unsafe extern "C" fn ebm_energy_double_well_new(a: f64, b: f64, out: *mut *mut ebm_energy) -> ebm_status {
    new_energy("ebm_energy_double_well_new", out, || {
        Ok(Arc::new(DoubleWell::new(a, b)?))
    })
}

/// TorchEBM 0.8.9's harmonic oscillator, E(x) = k/2 * sum_i x_i^2, for any dim.
/// Default: EBM_HARMONIC_DEFAULT_K (1).
///
/// Errors: EBM_ERR_NULL_POINTER (out), EBM_ERR_NON_FINITE (k).
#[no_mangle]
pub unsafe extern "C" fn ebm_energy_harmonic_new(k: f64, out: *mut *mut ebm_energy) -> ebm_status {
    new_energy("ebm_energy_harmonic_new", out, || Ok(Arc::new(Harmonic::new(k)?)))
}

/// TorchEBM 0.8.9's Rosenbrock function,
/// E(x) = sum_{i=1}^{dim-1} [(a - x_i)^2 + b (x_{i+1} - x_i^2)^2], for dim >= 2.
/// Defaults: EBM_ROSENBROCK_DEFAULT_A (1), EBM_ROSENBROCK_DEFAULT_B (100).
///
/// Errors: EBM_ERR_NULL_POINTER (out), EBM_ERR_NON_FINITE (a, b).
#[no_mangle]
pub unsafe extern "C" fn ebm_energy_rosenbrock_new(a: f64, b: f64, out: *mut *mut ebm_energy) -> ebm_status {
    new_energy("ebm_energy_rosenbrock_new", out, || {
        Ok(Arc::new(Rosenbrock::new(a, b)?))
    })
}

/// TorchEBM 0.8.9's Ackley function, for any dim d:
/// E(x) = -a exp(-b sqrt(sum_i x_i^2 / d)) - exp(sum_i cos(c x_i) / d) + a + e.
/// Defaults: EBM_ACKLEY_DEFAULT_A (20), EBM_ACKLEY_DEFAULT_B (0.2), EBM_ACKLEY_DEFAULT_C
/// (2 pi). E is not differentiable at x = 0; the gradient reported there is 0.
///
/// Errors: EBM_ERR_NULL_POINTER (out), EBM_ERR_NON_FINITE (a, b, c).
#[no_mangle]
pub unsafe extern "C" fn ebm_energy_ackley_new(a: f64, b: f64, c: f64, out: *mut *mut ebm_energy) -> ebm_status {
    new_energy("ebm_energy_ackley_new", out, || Ok(Arc::new(Ackley::new(a, b, c)?)))
}

/// TorchEBM 0.8.9's Rastrigin function, E(x) = a d + sum_i (x_i^2 - a cos(2 pi x_i)), for any
/// dim d. Default: EBM_RASTRIGIN_DEFAULT_A (10).
///
/// Errors: EBM_ERR_NULL_POINTER (out), EBM_ERR_NON_FINITE (a).
#[no_mangle]
pub unsafe extern "C" fn ebm_energy_rastrigin_new(a: f64, out: *mut *mut ebm_energy) -> ebm_status {
    new_energy("ebm_energy_rastrigin_new", out, || Ok(Arc::new(Rastrigin::new(a)?)))
}

/// TorchEBM 0.8.9's Himmelblau function, E(x) = (x1^2 + x2 - 11)^2 + (x1 + x2^2 - 7)^2,
/// dim 2.
///
/// Errors: EBM_ERR_NULL_POINTER (out).
#[no_mangle]
pub unsafe extern "C" fn ebm_energy_himmelblau_new(out: *mut *mut ebm_energy) -> ebm_status {
    new_energy("ebm_energy_himmelblau_new", out, || Ok(Arc::new(Himmelblau)))
}

/// TorchEBM 0.8.9's Booth function, E(x) = (x1 + 2 x2 - 7)^2 + (2 x1 + x2 - 5)^2, dim 2.
///
/// Errors: EBM_ERR_NULL_POINTER (out).
#[no_mangle]
pub unsafe extern "C" fn ebm_energy_booth_new(out: *mut *mut ebm_energy) -> ebm_status {
    new_energy("ebm_energy_booth_new", out, || Ok(Arc::new(Booth)))
}

/// TorchEBM 0.8.9's Styblinski-Tang function, E(x) = 1/2 sum_i (x_i^4 - 16 x_i^2 + 5 x_i), for
/// any dim.
///
/// Errors: EBM_ERR_NULL_POINTER (out).
#[no_mangle]
pub unsafe extern "C" fn ebm_energy_styblinski_tang_new(out: *mut *mut ebm_energy) -> ebm_status {
    new_energy("ebm_energy_styblinski_tang_new", out, || Ok(Arc::new(StyblinskiTang)))
}

/// A Gaussian mixture, E(x) = -log sum_k w_k N(x; mean_k, cov_k): the exact negative
/// log-density (normalising constants included; weights normalised to sum to 1).
///
/// weights: n_components values, >= 0, with a positive sum. means: n_components * dim values
/// (row k is mean_k). covs: n_components * dim * dim values (matrix k, row-major, symmetric
/// positive definite). All are copied. n_components >= 1, dim >= 1.
///
/// Errors: EBM_ERR_NULL_POINTER (weights, means, covs, out), EBM_ERR_INVALID_ARGUMENT
/// (n_components < 1, dim < 1, a negative weight, weights summing to 0),
/// EBM_ERR_SIZE_OVERFLOW, EBM_ERR_NON_FINITE, EBM_ERR_NOT_POSITIVE_DEFINITE (a covariance;
/// the message names the component).
#[no_mangle]
pub unsafe extern "C" fn ebm_energy_gaussian_mixture_new(
    weights: *const f64,
    means: *const f64,
    covs: *const f64,
    n_components: i64,
    dim: i64,
    out: *mut *mut ebm_energy,
) -> ebm_status {
    new_energy("ebm_energy_gaussian_mixture_new", out, || {
        if n_components < 1 {
            return Err(Error::invalid(
                "n_components",
                format!("must be >= 1, got {n_components}"),
            ));
        }
        let k = count("n_components", n_components)?;
        let dim = dimension("dim", dim)?;
        let means_len = element_count::<f64>("n_components, dim", &[k, dim])?;
        let covs_len = element_count::<f64>("n_components, dim", &[k, dim, dim])?;
        let weights = unsafe { input(weights, "weights", k)? };
        let means = unsafe { input(means, "means", means_len)? };
        let covs = unsafe { input(covs, "covs", covs_len)? };
        Ok(Arc::new(GaussianMixture::new(weights, means, covs, dim)?))
    })
}

/// The specification's composite energy, E(x) = sum_i weights[i] * E_i(x).
///
/// energies: n_energies non-NULL handles (composites allowed). The composite keeps each of
/// them alive: they may be freed before or after it. weights: NULL for all ones (the
/// specification's default), else n_weights == n_energies finite values (copied). All parts
/// must accept a common dim; the composite evaluates on its own device, whatever the parts'.
///
/// Errors: EBM_ERR_NULL_POINTER (energies, an element of it, weights when n_weights > 0,
/// out), EBM_ERR_INVALID_ARGUMENT (n_energies < 1, n_weights < 0),
/// EBM_ERR_LENGTH_MISMATCH (n_weights != n_energies), EBM_ERR_NON_FINITE (weights),
/// EBM_ERR_DIMENSION_MISMATCH (parts with incompatible dims).
#[no_mangle]
pub unsafe extern "C" fn ebm_energy_composite_new(
    energies: *const *const ebm_energy,
    n_energies: i64,
    weights: *const f64,
    n_weights: i64,
    out: *mut *mut ebm_energy,
) -> ebm_status {
    new_energy("ebm_energy_composite_new", out, || {
        if n_energies < 1 {
            return Err(Error::invalid("n_energies", format!("must be >= 1, got {n_energies}")));
        }
        let n = count("n_energies", n_energies)?;
        let handles = unsafe { input(energies, "energies", n)? };
        let parts = handles
            .iter()
            .enumerate()
            .map(|(i, part)| {
                // SAFETY: each element is a handle from an ebm_energy_*_new (header contract).
                unsafe { part.as_ref() }
                    .map(|p| Arc::clone(&p.energy))
                    .ok_or(Error::NullPointer {
                        arg: "energies",
                        element: Some(i),
                    })
            })
            .collect::<Result<Vec<_>>>()?;
        let weights = if weights.is_null() && n_weights == 0 {
            None
        } else {
            let len = count("n_weights", n_weights)?;
            if len == 0 {
                return Err(Error::LengthMismatch {
                    arg: "n_weights",
                    reason: format!("is 0 with weights non-NULL, expected {n}"),
                });
            }
            Some(unsafe { input(weights, "weights", len)? })
        };
        Ok(Arc::new(Composite::new(parts, weights)?))
    })
}

/// Releases an energy handle. NULL is a no-op. Composites that use this energy keep it alive
/// until they are released too.
#[no_mangle]
pub unsafe extern "C" fn ebm_energy_free(energy: *mut ebm_energy) {
    if !energy.is_null() {
        // SAFETY: a handle from an ebm_energy_*_new, not freed before (header contract).
        call_infallible((), || drop(unsafe { Box::from_raw(energy) }));
    }
}

/// The energy's kind as a static lowercase string: "gaussian", "double_well", "harmonic",
/// "rosenbrock", "ackley", "rastrigin", "himmelblau", "booth", "styblinski_tang",
/// "gaussian_mixture", "composite", "callback", or for neural energies "mlp" and
/// "torchscript". NULL if energy is NULL. Do not free.
#[no_mangle]
pub unsafe extern "C" fn ebm_energy_name(energy: *const ebm_energy) -> *const c_char {
    // SAFETY: a handle from an ebm_energy_*_new or NULL.
    match unsafe { energy.as_ref() } {
        None => std::ptr::null(),
        Some(e) => call_infallible(std::ptr::null(), || static_cstr(e.energy.name())),
    }
}

/// A NUL-terminated copy of a static name, made once per name and kept for the process.
pub(crate) fn static_cstr(name: &'static str) -> *const c_char {
    static NAMES: Lazy<Mutex<HashMap<&'static str, CString>>> = Lazy::new(|| Mutex::new(HashMap::new()));
    let mut names = NAMES.lock().unwrap_or_else(|p| p.into_inner());
    names
        .entry(name)
        .or_insert_with(|| CString::new(name).expect("names have no NUL"))
        .as_ptr()
}

/// Writes the point dimension the energy requires into *dim_out, or 0 when it accepts a range
/// of dimensions (double well, harmonic, Rastrigin, Ackley, Styblinski-Tang: any dim >= 1;
/// Rosenbrock: any dim >= 2).
///
/// Errors: EBM_ERR_NULL_POINTER (energy, dim_out).
#[no_mangle]
pub unsafe extern "C" fn ebm_energy_dim(energy: *const ebm_energy, dim_out: *mut i64) -> ebm_status {
    call("ebm_energy_dim", || {
        let energy = unsafe { handle(energy, "energy")? };
        let out = unsafe { dim_out.as_mut() }.ok_or(Error::null("dim_out"))?;
        *out = energy.energy.dim_spec().fixed().map_or(0, |d| d as i64);
        Ok(())
    })
}

/// Chooses where the energy is evaluated: EBM_DEVICE_CPU (the default) or a CUDA device
/// index. Needs exclusive access to the handle.
///
/// Errors: EBM_ERR_NULL_POINTER (energy), EBM_ERR_INVALID_ARGUMENT (device < -1),
/// EBM_ERR_DEVICE_UNAVAILABLE (no such CUDA device on this build or machine).
#[no_mangle]
pub unsafe extern "C" fn ebm_energy_set_device(energy: *mut ebm_energy, device: i32) -> ebm_status {
    call("ebm_energy_set_device", || {
        let energy = unsafe { handle_mut(energy, "energy")? };
        energy.device = runtime::device_from_code("device", device)?;
        Ok(())
    })
}

/// Writes the energy's device (EBM_DEVICE_CPU or a CUDA index) into *device_out.
///
/// Errors: EBM_ERR_NULL_POINTER (energy, device_out).
#[no_mangle]
pub unsafe extern "C" fn ebm_energy_get_device(energy: *const ebm_energy, device_out: *mut i32) -> ebm_status {
    call("ebm_energy_get_device", || {
        let energy = unsafe { handle(energy, "energy")? };
        let out = unsafe { device_out.as_mut() }.ok_or(Error::null("device_out"))?;
        *out = runtime::device_code(energy.device);
        Ok(())
    })
}
