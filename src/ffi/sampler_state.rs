//! Reading and writing the chains' state between runs: energies, momenta, positions, the
//! acceptance trace, and refreshing the cached energy after the host changed it.

use super::args::{count, handle, handle_mut, input, output, write_shape};
use super::guard::call;
use super::sampler::ebm_sampler;
use super::sampler_run::{copy_exact, shape, write_trace};
use super::status::ebm_status;
use crate::error::{Error, Result};
use crate::tensor::Real;

/// Writes the number of this process's chains into *n_chains_out and their dimension into
/// *dim_out, both 0 before the chains are initialised: the sizes of the buffers the other
/// getters and setters take. Unlike ebm_sampler_get_stats with an all-reduce set, it is never
/// collective; wrappers ask it rather than remember sizes, which ebm_sampler_init_*,
/// ebm_sampler_sample_*, ebm_sampler_step_* and ebm_checkpoint_load may change.
///
/// Errors: EBM_ERR_NULL_POINTER (sampler, n_chains_out, dim_out).
#[no_mangle]
pub unsafe extern "C" fn ebm_sampler_get_shape(
    sampler: *const ebm_sampler,
    n_chains_out: *mut i64,
    dim_out: *mut i64,
) -> ebm_status {
    call("ebm_sampler_get_shape", || {
        let sampler = unsafe { handle(sampler, "sampler")? };
        let n_out = unsafe { n_chains_out.as_mut() }.ok_or(Error::null("n_chains_out"))?;
        let dim_out = unsafe { dim_out.as_mut() }.ok_or(Error::null("dim_out"))?;
        // The only failure of shape() is chains not initialised yet: (0, 0).
        write_shape(sampler.lock()?.shape().ok(), n_out, dim_out);
        Ok(())
    })
}

/// Writes, per chain, the energy E of its current state (not divided by the temperature) into
/// energies_out (n doubles, n the number of chains): the values the next step starts from.
///
/// Errors: EBM_ERR_NULL_POINTER (sampler, energies_out), EBM_ERR_INVALID_ARGUMENT (chains not
/// initialised, n < 0), EBM_ERR_LENGTH_MISMATCH (n), EBM_ERR_TORCH.
///
/// Example, a complete program (make test-header-examples compiles and runs it):
///
/// ```c
/// #include <math.h>
/// #include <stdio.h>
/// #include "torchebm.h"
///
/// int main(void) {
///     ebm_energy *bowl = NULL;
///     ebm_sampler *hmc = NULL;
///     ebm_hmc_params params = ebm_hmc_default_params();
///     double start[4] = {1, 0, 0, 2}; // two chains in two dimensions
///     double energies[2], momenta[4];
///     if (ebm_energy_harmonic_new(1.0, &bowl) || ebm_hmc_new(bowl, &params, &hmc) ||
///         ebm_sampler_init_f64(hmc, start, 2, 2) || ebm_sampler_get_energies(hmc, energies, 2)) {
///         fprintf(stderr, "%s\n", ebm_last_error_message());
///         return 1;
///     }
///     printf("energies at the start: %g %g\n", energies[0], energies[1]); // 0.5 and 2
///     if (energies[0] != 0.5 || energies[1] != 2) return 1;
///     // Move the chains without re-initialising them (a simulation's own update, say), then run.
///     double moved[4] = {0, 0, 3, 0};
///     if (ebm_sampler_set_samples_f64(hmc, moved, 2, 2) || ebm_sampler_get_energies(hmc, energies, 2) ||
///         ebm_sampler_run(hmc, 10) || ebm_sampler_get_momenta_f64(hmc, momenta, 2, 2))
///         return 1;
///     printf("after moving: %g %g; chain 0's momentum (%.3f, %.3f)\n", energies[0], energies[1],
///            momenta[0], momenta[1]);
///     ebm_sampler_free(hmc);
///     ebm_energy_free(bowl);
///     return energies[0] == 0 && energies[1] == 4.5 ? 0 : 1;
/// }
/// ```
#[no_mangle]
pub unsafe extern "C" fn ebm_sampler_get_energies(
    sampler: *const ebm_sampler,
    energies_out: *mut f64,
    n: i64,
) -> ebm_status {
    call("ebm_sampler_get_energies", || {
        let sampler = unsafe { handle(sampler, "sampler")? };
        let n = count("n", n)?;
        let out = unsafe { output(energies_out, "energies_out", n)? };
        let energies = sampler.lock()?.energies()?;
        copy_exact("n", &energies, out)
    })
}

unsafe fn get_momenta<T: Real>(sampler: *const ebm_sampler, out: *mut T, n: i64, dim: i64) -> Result<()> {
    let sampler = unsafe { handle(sampler, "sampler")? };
    let (_, _, len) = shape::<T>(n, dim)?;
    let out = unsafe { output(out, "momenta_out", len)? };
    sampler.lock()?.momenta(out)
}

/// Copies the chains' momenta into momenta_out (n*dim floats, row-major; n and dim the
/// chains'). HMC: the momenta at the end of the last transition (the proposal's final
/// momenta where it was accepted, its initial momenta where it was rejected; zeros before the
/// first transition). Kinetic Langevin: p = M v, v the velocities (with a unit mass, the
/// velocities themselves).
///
/// Errors: EBM_ERR_NULL_POINTER (sampler, momenta_out), EBM_ERR_INVALID_ARGUMENT (chains not
/// initialised, a sampler without momenta: langevin, mala, nuts), EBM_ERR_LENGTH_MISMATCH (n, dim
/// not the chains'), EBM_ERR_TORCH.
#[no_mangle]
pub unsafe extern "C" fn ebm_sampler_get_momenta_f32(
    sampler: *const ebm_sampler,
    momenta_out: *mut f32,
    n: i64,
    dim: i64,
) -> ebm_status {
    call("ebm_sampler_get_momenta_f32", || unsafe {
        get_momenta(sampler, momenta_out, n, dim)
    })
}

/// ebm_sampler_get_momenta_f32 into n*dim doubles.
#[no_mangle]
pub unsafe extern "C" fn ebm_sampler_get_momenta_f64(
    sampler: *const ebm_sampler,
    momenta_out: *mut f64,
    n: i64,
    dim: i64,
) -> ebm_status {
    call("ebm_sampler_get_momenta_f64", || unsafe {
        get_momenta(sampler, momenta_out, n, dim)
    })
}

unsafe fn set_momenta<T: Real>(sampler: *mut ebm_sampler, values: *const T, n: i64, dim: i64) -> Result<()> {
    let sampler = unsafe { handle_mut(sampler, "sampler")? };
    let (_, _, len) = shape::<T>(n, dim)?;
    let values = unsafe { input(values, "momenta", len)? };
    sampler.lock()?.set_momenta(values)
}

/// Sets the chains' momenta from momenta (n*dim floats, row-major, copied; n and dim the
/// chains'). HMC: the next transition starts from these momenta instead of a fresh draw (the
/// one after it draws again). Kinetic Langevin: the chains continue with velocities
/// v = M^-1 p. Step counts and statistics are unchanged.
///
/// Errors: EBM_ERR_NULL_POINTER (sampler, momenta), EBM_ERR_INVALID_ARGUMENT (chains not
/// initialised, a sampler without momenta), EBM_ERR_LENGTH_MISMATCH (n, dim not the chains'),
/// EBM_ERR_NON_FINITE (a NaN or infinite momentum; nothing is changed), EBM_ERR_TORCH.
#[no_mangle]
pub unsafe extern "C" fn ebm_sampler_set_momenta_f32(
    sampler: *mut ebm_sampler,
    momenta: *const f32,
    n: i64,
    dim: i64,
) -> ebm_status {
    call("ebm_sampler_set_momenta_f32", || unsafe {
        set_momenta(sampler, momenta, n, dim)
    })
}

/// ebm_sampler_set_momenta_f32 from n*dim doubles.
#[no_mangle]
pub unsafe extern "C" fn ebm_sampler_set_momenta_f64(
    sampler: *mut ebm_sampler,
    momenta: *const f64,
    n: i64,
    dim: i64,
) -> ebm_status {
    call("ebm_sampler_set_momenta_f64", || unsafe {
        set_momenta(sampler, momenta, n, dim)
    })
}

unsafe fn set_samples<T: Real>(sampler: *mut ebm_sampler, values: *const T, n: i64, dim: i64) -> Result<()> {
    let sampler = unsafe { handle_mut(sampler, "sampler")? };
    let (_, _, len) = shape::<T>(n, dim)?;
    let values = unsafe { input(values, "samples", len)? };
    sampler.lock()?.set_samples(values)
}

/// Moves the chains to samples (n*dim floats, row-major, copied; n and dim the chains')
/// without re-initialising them: unlike ebm_sampler_init_f32, step counts, statistics,
/// traces, adaptation, schedules, momenta and random streams continue. E and grad E are
/// evaluated at the new states; a chain frozen as non-finite is live again when its new state
/// is finite.
///
/// Errors: EBM_ERR_NULL_POINTER (sampler, samples), EBM_ERR_INVALID_ARGUMENT (chains not
/// initialised), EBM_ERR_LENGTH_MISMATCH (n, dim not the chains'), EBM_ERR_CALLBACK,
/// EBM_ERR_TORCH.
#[no_mangle]
pub unsafe extern "C" fn ebm_sampler_set_samples_f32(
    sampler: *mut ebm_sampler,
    samples: *const f32,
    n: i64,
    dim: i64,
) -> ebm_status {
    call("ebm_sampler_set_samples_f32", || unsafe {
        set_samples(sampler, samples, n, dim)
    })
}

/// ebm_sampler_set_samples_f32 from n*dim doubles.
#[no_mangle]
pub unsafe extern "C" fn ebm_sampler_set_samples_f64(
    sampler: *mut ebm_sampler,
    samples: *const f64,
    n: i64,
    dim: i64,
) -> ebm_status {
    call("ebm_sampler_set_samples_f64", || unsafe {
        set_samples(sampler, samples, n, dim)
    })
}

/// Evaluates E and grad E again at the chains' current states. Every step reuses the energy
/// and gradient cached at the end of the previous one, so call this between runs when the
/// energy has changed (a callback energy reading the host's state, a model whose parameters
/// were set); a CD loss's own updates need no call. Chains whose refreshed state is
/// non-finite are frozen as after a step. Counts and statistics are unchanged.
///
/// Errors: EBM_ERR_NULL_POINTER (sampler), EBM_ERR_INVALID_ARGUMENT (chains not
/// initialised), EBM_ERR_CALLBACK, EBM_ERR_TORCH.
#[no_mangle]
pub unsafe extern "C" fn ebm_sampler_refresh(sampler: *mut ebm_sampler) -> ebm_status {
    call("ebm_sampler_refresh", || {
        unsafe { handle_mut(sampler, "sampler")? }.lock()?.refresh()
    })
}

/// Accepted proposals over proposals at each step since initialisation, all chains together
/// (MALA, HMC; for NUTS the mean of Stan's acceptance statistic): writes the first min(capacity, steps) values into trace_out and the number of
/// steps into *length_out. Call with capacity 0 (trace_out may then be NULL) to learn the
/// length. With an all-reduce set (ebm_sampler_set_allreduce) this is a collective call (with
/// capacity 0 too) over every process's chains.
///
/// Errors: EBM_ERR_NULL_POINTER (sampler, length_out, trace_out when capacity > 0),
/// EBM_ERR_INVALID_ARGUMENT (capacity < 0, chains not initialised, a sampler without
/// accept/reject), EBM_ERR_TORCH; with an all-reduce, those of ebm_sampler_get_energy_trace.
#[no_mangle]
pub unsafe extern "C" fn ebm_sampler_get_acceptance_trace(
    sampler: *const ebm_sampler,
    trace_out: *mut f64,
    capacity: i64,
    length_out: *mut i64,
) -> ebm_status {
    call("ebm_sampler_get_acceptance_trace", || unsafe {
        write_trace(sampler, "trace_out", trace_out, capacity, length_out, |s| {
            s.acceptance_trace()
        })
    })
}

/// Writes the inverse mass M^-1 the next HMC or kinetic Langevin step uses (after any windowed
/// adaptation, see ebm_hmc_params.adapt_mass) into inverse_mass_out (len doubles): dim values,
/// the diagonal, for a diagonal mass (the default, and after EBM_ADAPT_MASS_DIAGONAL), or dim*dim
/// values, the row-major matrix, for a dense one (a dense params.mass, or after
/// EBM_ADAPT_MASS_DENSE once its first slow window ended). An adapted metric can be reused by
/// passing 1/inverse (diagonal), or the inverse matrix (dense), as params.mass of a new sampler.
///
/// Errors: EBM_ERR_NULL_POINTER (sampler, inverse_mass_out), EBM_ERR_INVALID_ARGUMENT (chains
/// not initialised, len < 0, a sampler without a mass: langevin, mala), EBM_ERR_LENGTH_MISMATCH
/// (len not the number of values described above).
#[no_mangle]
pub unsafe extern "C" fn ebm_sampler_get_inverse_mass(
    sampler: *const ebm_sampler,
    inverse_mass_out: *mut f64,
    len: i64,
) -> ebm_status {
    call("ebm_sampler_get_inverse_mass", || {
        let sampler = unsafe { handle(sampler, "sampler")? };
        let len = count("len", len)?;
        let out = unsafe { output(inverse_mass_out, "inverse_mass_out", len)? };
        let inverse = sampler.lock()?.inverse_mass()?;
        if inverse.len() != out.len() {
            return Err(Error::LengthMismatch {
                arg: "len",
                reason: format!("is {}, the inverse mass has {} values", out.len(), inverse.len()),
            });
        }
        out.copy_from_slice(&inverse);
        Ok(())
    })
}
