//! Sampler handles: creation from an energy and a params struct, and release.

use std::ffi::c_char;
use std::sync::Arc;

use super::args::{handle, out_pointer, store};
use super::energy::{ebm_energy, static_cstr};
use super::guard::{call, call_infallible};
use super::sampler_params::{
    ebm_hmc_params, ebm_kinetic_langevin_params, ebm_langevin_params, ebm_mala_params, ebm_nuts_params, read,
};
use super::status::ebm_status;
use crate::error::Result;
use crate::exclusive::{Exclusive, ExclusiveGuard};
use crate::sampler::{Method, Sampler, SamplerOptions};

/// A Markov-chain sampler of exp(-E) advancing n chains in parallel, created by
/// ebm_langevin_new, ebm_mala_new, ebm_hmc_new, ebm_kinetic_langevin_new or ebm_nuts_new and
/// released with ebm_sampler_free(). It keeps its energy alive (and CD losses keep it alive). Calls on one sampler are serialised
/// internally, so a sampler shared between threads never corrupts; give each thread its own
/// sampler for parallelism.
pub struct ebm_sampler {
    /// Shared with the CD losses that draw their negatives from it.
    pub(crate) sampler: Arc<Exclusive<Sampler>>,
    /// The method's name, fixed at creation: readable without the lock (even from the
    /// sampler's own callbacks).
    name: &'static str,
}

impl ebm_sampler {
    /// A handle for `sampler`, reported by ebm_sampler_name() as `name`.
    pub(crate) fn new(sampler: Arc<Exclusive<Sampler>>, name: &'static str) -> Self {
        ebm_sampler { sampler, name }
    }

    /// The sampler for one call: waits for other threads, EBM_ERR_BUSY from inside its own
    /// callbacks.
    pub(crate) fn lock(&self) -> Result<ExclusiveGuard<'_, Sampler>> {
        self.sampler.lock("sampler")
    }
}

unsafe fn new_sampler(
    function: &'static str,
    energy: *const ebm_energy,
    out: *mut *mut ebm_sampler,
    method: impl FnOnce() -> Result<(Method, SamplerOptions)>,
) -> ebm_status {
    call(function, || {
        out_pointer(out, "out")?;
        let energy = unsafe { handle(energy, "energy")? };
        let (method, options) = method()?;
        let sampler = Sampler::new(energy.energy.clone(), method, options)?;
        let name = sampler.method().name();
        // SAFETY: `out` checked above.
        unsafe {
            store(
                out,
                ebm_sampler {
                    sampler: Arc::new(Exclusive::new(sampler)),
                    name,
                },
            )
        };
        Ok(())
    })
}

/// Default parameters for ebm_langevin_new(): the specification's step_size 0.01 and
/// noise_scale 1, constant schedules, no clamp, seed 0, CPU, per-chain streams.
///
/// Example, a complete program (make test-header-examples compiles and runs it):
///
/// ```c
/// #include <math.h>
/// #include <stdio.h>
/// #include "torchebm.h"
///
/// static int32_t report(int64_t steps_done, int64_t steps_total, double mean_energy, void *user_data) {
///     (void)user_data;
///     printf("step %lld of %lld: mean energy %.3f\n", (long long)steps_done, (long long)steps_total,
///            mean_energy);
///     return EBM_PROGRESS_CONTINUE; // EBM_PROGRESS_CANCEL would stop the run here
/// }
///
/// int main(void) {
///     double mean[2] = {1, -1}, cov[4] = {1, 0, 0, 1};
///     ebm_energy *gaussian = NULL;
///     ebm_sampler *sampler = NULL;
///     ebm_langevin_params params = ebm_langevin_default_params(); // then change what you need
///     params.seed = 7;
///     if (ebm_energy_gaussian_new(mean, cov, 2, &gaussian) ||
///         ebm_langevin_new(gaussian, &params, &sampler) ||
///         ebm_sampler_set_progress_callback(sampler, report, 250, NULL, NULL) ||
///         ebm_sampler_init_f64(sampler, NULL, 1000, 2) || // 1000 chains from N(0, I)
///         ebm_sampler_run(sampler, 500)) {
///         fprintf(stderr, "%s\n", ebm_last_error_message());
///         return 1;
///     }
///     static double x[1000 * 2];
///     ebm_sampler_stats stats;
///     if (ebm_sampler_get_samples_f64(sampler, x, 1000, 2) ||
///         ebm_sampler_get_stats(sampler, &stats, sizeof stats))
///         return 1;
///     double m0 = 0, m1 = 0;
///     for (int i = 0; i < 1000; i++) m0 += x[2 * i] / 1000, m1 += x[2 * i + 1] / 1000;
///     printf("%lld steps; sample mean (%.3f, %.3f)\n", (long long)stats.steps, m0, m1);
///     ebm_sampler_free(sampler);
///     ebm_energy_free(gaussian);
///     return fabs(m0 - 1) < 0.15 && fabs(m1 + 1) < 0.15 ? 0 : 1;
/// }
/// ```
#[no_mangle]
pub extern "C" fn ebm_langevin_default_params() -> ebm_langevin_params {
    ebm_langevin_params::defaults()
}

/// Default parameters for ebm_mala_new(): step_size 0.01, no adaptation (target 0.574 when
/// enabled), seed 0, CPU, per-chain streams.
#[no_mangle]
pub extern "C" fn ebm_mala_default_params() -> ebm_mala_params {
    ebm_mala_params::defaults()
}

/// Default parameters for ebm_hmc_new(): TorchEBM 0.8.9's step_size 0.001 and 10 leapfrog
/// steps, unit mass, no adaptation (target 0.8 when enabled), seed 0, CPU, per-chain streams.
#[no_mangle]
pub extern "C" fn ebm_hmc_default_params() -> ebm_hmc_params {
    ebm_hmc_params::defaults()
}

/// Default parameters for ebm_kinetic_langevin_new(): step_size 0.01, friction 1, unit mass,
/// seed 0, CPU, per-chain streams.
#[no_mangle]
pub extern "C" fn ebm_kinetic_langevin_default_params() -> ebm_kinetic_langevin_params {
    ebm_kinetic_langevin_params::defaults()
}

/// An unadjusted Langevin sampler of energy (see ebm_langevin_params). params is copied.
///
/// Errors: EBM_ERR_NULL_POINTER (energy, params, out), EBM_ERR_INVALID_ARGUMENT
/// (params.struct_size, step_size or noise_scale <= 0, a bad schedule, clamp_min >= clamp_max,
/// unknown rng, first_chain != 0 without per-chain CPU streams), EBM_ERR_NON_FINITE (a NaN or
/// infinite parameter), EBM_ERR_DEVICE_UNAVAILABLE (params.device), EBM_ERR_TORCH.
#[no_mangle]
pub unsafe extern "C" fn ebm_langevin_new(
    energy: *const ebm_energy,
    params: *const ebm_langevin_params,
    out: *mut *mut ebm_sampler,
) -> ebm_status {
    new_sampler("ebm_langevin_new", energy, out, || {
        let (params, options) = unsafe { read(params)? }.to_core()?;
        Ok((Method::Langevin(params), options))
    })
}

/// A Metropolis-adjusted Langevin sampler of energy (see ebm_mala_params). params is copied.
///
/// Errors: as ebm_langevin_new, plus EBM_ERR_INVALID_ARGUMENT for adapt_steps < 0, a
/// target_accept outside (0, 1), or a non-constant schedule with adaptation.
#[no_mangle]
pub unsafe extern "C" fn ebm_mala_new(
    energy: *const ebm_energy,
    params: *const ebm_mala_params,
    out: *mut *mut ebm_sampler,
) -> ebm_status {
    new_sampler("ebm_mala_new", energy, out, || {
        let (params, options) = unsafe { read(params)? }.to_core()?;
        Ok((Method::Mala(params), options))
    })
}

/// A Hamiltonian Monte Carlo sampler of energy (see ebm_hmc_params). params, and the mass
/// values it points to, are copied.
///
/// Errors: as ebm_mala_new, plus EBM_ERR_INVALID_ARGUMENT for n_leapfrog_steps < 1, a
/// negative mass_len or a mass <= 0, EBM_ERR_NULL_POINTER for mass NULL with mass_len > 0.
/// A mass of the wrong length is reported when the chains are initialised
/// (EBM_ERR_DIMENSION_MISMATCH).
#[no_mangle]
pub unsafe extern "C" fn ebm_hmc_new(
    energy: *const ebm_energy,
    params: *const ebm_hmc_params,
    out: *mut *mut ebm_sampler,
) -> ebm_status {
    new_sampler("ebm_hmc_new", energy, out, || {
        let (params, options) = unsafe { read(params)?.to_core()? };
        Ok((Method::Hmc(params), options))
    })
}

/// A kinetic Langevin (BAOAB) sampler of energy (see ebm_kinetic_langevin_params). params,
/// and the mass values it points to, are copied.
///
/// Errors: as ebm_langevin_new, plus EBM_ERR_INVALID_ARGUMENT for friction <= 0, a negative
/// mass_len or a mass <= 0.
#[no_mangle]
pub unsafe extern "C" fn ebm_kinetic_langevin_new(
    energy: *const ebm_energy,
    params: *const ebm_kinetic_langevin_params,
    out: *mut *mut ebm_sampler,
) -> ebm_status {
    new_sampler("ebm_kinetic_langevin_new", energy, out, || {
        let (params, options) = unsafe { read(params)?.to_core()? };
        Ok((Method::KineticLangevin(params), options))
    })
}

/// Releases a sampler. NULL is a no-op. Its energy is released too unless still used elsewhere.
#[no_mangle]
pub unsafe extern "C" fn ebm_sampler_free(sampler: *mut ebm_sampler) {
    if !sampler.is_null() {
        // SAFETY: a handle from an ebm_*_new, not freed before (header contract).
        call_infallible((), || drop(unsafe { Box::from_raw(sampler) }));
    }
}

/// The sampler's kind as a static string: "langevin", "mala", "hmc", "kinetic_langevin",
/// "nuts" or "parallel_tempering".
/// NULL if sampler is NULL. Do not free.
#[no_mangle]
pub unsafe extern "C" fn ebm_sampler_name(sampler: *const ebm_sampler) -> *const c_char {
    // SAFETY: a handle from an ebm_*_new or NULL.
    match unsafe { sampler.as_ref() } {
        None => std::ptr::null(),
        Some(s) => call_infallible(std::ptr::null(), || static_cstr(s.name)),
    }
}

/// Default parameters for ebm_nuts_new(): step_size 0.1, max_tree_depth 10 (Stan's), unit
/// mass, temperature 1, no adaptation (target 0.8 when enabled), seed 0, CPU, per-chain
/// streams.
#[no_mangle]
pub extern "C" fn ebm_nuts_default_params() -> ebm_nuts_params {
    ebm_nuts_params::defaults()
}

/// A No-U-Turn sampler of energy (see ebm_nuts_params). params, and the mass values it
/// points to, are copied.
///
/// Errors: EBM_ERR_NULL_POINTER (energy, params, out; mass NULL with mass_len > 0),
/// EBM_ERR_INVALID_ARGUMENT (params.struct_size, step_size <= 0, max_tree_depth outside
/// [1, 30], temperature <= 0, a negative mass_len or a mass <= 0, a bad schedule,
/// adapt_steps < 0, a target_accept outside (0, 1), a non-constant schedule with adaptation,
/// unknown rng, first_chain != 0 without per-chain CPU streams), EBM_ERR_NON_FINITE (a NaN
/// or infinite parameter), EBM_ERR_DEVICE_UNAVAILABLE (params.device), EBM_ERR_TORCH. A mass
/// of the wrong length is reported when the chains are initialised
/// (EBM_ERR_DIMENSION_MISMATCH).
#[no_mangle]
pub unsafe extern "C" fn ebm_nuts_new(
    energy: *const ebm_energy,
    params: *const ebm_nuts_params,
    out: *mut *mut ebm_sampler,
) -> ebm_status {
    new_sampler("ebm_nuts_new", energy, out, || {
        let (params, options) = unsafe { read(params)?.to_core()? };
        Ok((Method::Nuts(params), options))
    })
}
