//! Running samplers and reading their chains and diagnostics, in float and double.

use std::ffi::c_void;
use std::mem::size_of;
use std::ops::ControlFlow;

use super::args::{count, dimension, disjoint, element_count, handle, handle_mut, input, output, span};
use super::callback::{clear_detail, ebm_free_fn, take_detail, UserData};
use super::guard::call;
use super::sampler::ebm_sampler;
use super::status::ebm_status;
use crate::error::{Error, Result};
use crate::sampler::Progress;
use crate::tensor::Real;

/// Checked (n, dim) and the number of elements of an n × dim caller buffer.
pub(crate) fn shape<T>(n: i64, dim: i64) -> Result<(usize, usize, usize)> {
    let n = count("n", n)?;
    let dim = dimension("dim", dim)?;
    Ok((n, dim, element_count::<T>("n, dim", &[n, dim])?))
}

/// Checked numbers of new chains (`n_arg` names the count: at least 1) and their dimension.
fn new_chains(n_arg: &'static str, n: i64, dim: i64) -> Result<(usize, usize)> {
    if n < 1 {
        return Err(Error::invalid(n_arg, format!("must be >= 1, got {n}")));
    }
    Ok((count(n_arg, n)?, dimension("dim", dim)?))
}

fn steps(arg: &'static str, value: i64) -> Result<u64> {
    Ok(count(arg, value)? as u64)
}

/// A step interval (thinning, progress reports): at least 1.
fn interval(arg: &'static str, value: i64) -> Result<u64> {
    if value < 1 {
        return Err(Error::invalid(arg, format!("must be >= 1, got {value}")));
    }
    Ok(value as u64)
}

unsafe fn init<T: Real>(sampler: *mut ebm_sampler, initial: *const T, n: i64, dim: i64) -> Result<()> {
    let sampler = unsafe { handle_mut(sampler, "sampler")? };
    let (n, dim) = new_chains("n", n, dim)?;
    // Without initial points there is no caller buffer: the chains' size is bounded by the
    // memory available (EBM_ERR_OUT_OF_MEMORY), checked by the sampler.
    let initial = if initial.is_null() {
        None
    } else {
        let len = element_count::<T>("n, dim", &[n, dim])?;
        Some(unsafe { input(initial, "initial", len)? })
    };
    sampler.lock()?.init(initial, n, dim)
}

/// Starts n chains of dimension dim at initial (n*dim floats, row-major, copied), or at
/// N(0, I) draws when initial is NULL. Resets the step count, the diagnostics and step-size
/// adaptation; the random streams continue (see ebm_sampler_reseed()).
///
/// Errors: EBM_ERR_NULL_POINTER (sampler), EBM_ERR_INVALID_ARGUMENT (n < 1, dim < 1),
/// EBM_ERR_SIZE_OVERFLOW, EBM_ERR_DIMENSION_MISMATCH (dim not accepted by the energy, or a
/// mass of another length), EBM_ERR_CALLBACK, EBM_ERR_TORCH.
#[no_mangle]
pub unsafe extern "C" fn ebm_sampler_init_f32(
    sampler: *mut ebm_sampler,
    initial: *const f32,
    n: i64,
    dim: i64,
) -> ebm_status {
    call("ebm_sampler_init_f32", || unsafe { init(sampler, initial, n, dim) })
}

/// ebm_sampler_init_f32 with initial as n*dim doubles. With EBM_RNG_TORCH or on CUDA the
/// chains are then kept in double precision (in single precision after the _f32 call).
#[no_mangle]
pub unsafe extern "C" fn ebm_sampler_init_f64(
    sampler: *mut ebm_sampler,
    initial: *const f64,
    n: i64,
    dim: i64,
) -> ebm_status {
    call("ebm_sampler_init_f64", || unsafe { init(sampler, initial, n, dim) })
}

/// Advances the chains by n_steps steps (0 does nothing). Can be called repeatedly: the
/// chains, step count, schedules, adaptation and random streams continue where they were.
///
/// Errors: EBM_ERR_NULL_POINTER (sampler), EBM_ERR_INVALID_ARGUMENT (n_steps < 0, chains
/// not initialised), EBM_ERR_CALLBACK, EBM_ERR_CANCELLED (by the progress callback; the chains
/// hold the state reached), EBM_ERR_TORCH.
#[no_mangle]
pub unsafe extern "C" fn ebm_sampler_run(sampler: *mut ebm_sampler, n_steps: i64) -> ebm_status {
    call("ebm_sampler_run", || {
        let sampler = unsafe { handle_mut(sampler, "sampler")? };
        sampler.lock()?.run::<f64>(steps("n_steps", n_steps)?, 1, None)
    })
}

unsafe fn run_trajectory<T: Real>(
    sampler: *mut ebm_sampler,
    n_steps: i64,
    thin: i64,
    trajectory: *mut T,
    trajectory_len: i64,
) -> Result<()> {
    let sampler = unsafe { handle_mut(sampler, "sampler")? };
    let n_steps = steps("n_steps", n_steps)?;
    let thin = interval("thin", thin)?;
    let len = count("trajectory_len", trajectory_len)?;
    element_count::<T>("trajectory_len", &[len])?;
    let trajectory = unsafe { output(trajectory, "trajectory", len)? };
    sampler.lock()?.run(n_steps, thin, Some(trajectory))
}

/// ebm_sampler_run, also writing every thin-th state into trajectory: after steps thin,
/// 2*thin, ..., floor(n_steps / thin) states in all, laid out [kept][chain][coordinate]
/// (row-major (kept, n, dim); a Julia (dim, n, kept) array). trajectory holds trajectory_len
/// floats, at least floor(n_steps / thin) * n * dim.
///
/// Errors: as ebm_sampler_run, plus EBM_ERR_INVALID_ARGUMENT (thin < 1, trajectory_len < 0),
/// EBM_ERR_NULL_POINTER (trajectory), EBM_ERR_LENGTH_MISMATCH (trajectory too small).
#[no_mangle]
pub unsafe extern "C" fn ebm_sampler_run_trajectory_f32(
    sampler: *mut ebm_sampler,
    n_steps: i64,
    thin: i64,
    trajectory: *mut f32,
    trajectory_len: i64,
) -> ebm_status {
    call("ebm_sampler_run_trajectory_f32", || unsafe {
        run_trajectory(sampler, n_steps, thin, trajectory, trajectory_len)
    })
}

/// ebm_sampler_run_trajectory_f32 with a trajectory of doubles.
#[no_mangle]
pub unsafe extern "C" fn ebm_sampler_run_trajectory_f64(
    sampler: *mut ebm_sampler,
    n_steps: i64,
    thin: i64,
    trajectory: *mut f64,
    trajectory_len: i64,
) -> ebm_status {
    call("ebm_sampler_run_trajectory_f64", || unsafe {
        run_trajectory(sampler, n_steps, thin, trajectory, trajectory_len)
    })
}

unsafe fn get_samples<T: Real>(sampler: *const ebm_sampler, out: *mut T, n: i64, dim: i64) -> Result<()> {
    let sampler = unsafe { handle(sampler, "sampler")? };
    let (_, _, len) = shape::<T>(n, dim)?;
    let out = unsafe { output(out, "samples_out", len)? };
    sampler.lock()?.samples(out)
}

/// Copies the chains' current states into samples_out (n*dim floats, row-major); n and dim
/// must be the chains'.
///
/// Errors: EBM_ERR_NULL_POINTER (sampler, samples_out), EBM_ERR_INVALID_ARGUMENT (chains not
/// initialised), EBM_ERR_LENGTH_MISMATCH (n, dim not the chains').
#[no_mangle]
pub unsafe extern "C" fn ebm_sampler_get_samples_f32(
    sampler: *const ebm_sampler,
    samples_out: *mut f32,
    n: i64,
    dim: i64,
) -> ebm_status {
    call("ebm_sampler_get_samples_f32", || unsafe {
        get_samples(sampler, samples_out, n, dim)
    })
}

/// ebm_sampler_get_samples_f32 into n*dim doubles.
#[no_mangle]
pub unsafe extern "C" fn ebm_sampler_get_samples_f64(
    sampler: *const ebm_sampler,
    samples_out: *mut f64,
    n: i64,
    dim: i64,
) -> ebm_status {
    call("ebm_sampler_get_samples_f64", || unsafe {
        get_samples(sampler, samples_out, n, dim)
    })
}

#[allow(clippy::too_many_arguments)]
unsafe fn sample_chain<T: Real>(
    sampler: *mut ebm_sampler,
    initial: *const T,
    n_arg: &'static str,
    n: i64,
    dim: i64,
    n_steps: i64,
    thin: i64,
    samples_out: *mut T,
    trajectory: *mut T,
    trajectory_len: i64,
) -> Result<()> {
    let sampler = unsafe { handle_mut(sampler, "sampler")? };
    let (n, dim) = new_chains(n_arg, n, dim)?;
    let len = element_count::<T>(n_arg, &[n, dim])?;
    let n_steps = steps("n_steps", n_steps)?;
    let thin = interval("thin", thin)?;
    let trajectory_len = if trajectory.is_null() {
        0
    } else {
        count("trajectory_len", trajectory_len)?
    };
    element_count::<T>("trajectory_len", &[trajectory_len])?;
    disjoint(&[
        span("initial", initial, if initial.is_null() { 0 } else { len }),
        span("samples_out", samples_out, len),
        span("trajectory", trajectory, trajectory_len),
    ])?;
    let initial = if initial.is_null() {
        None
    } else {
        Some(unsafe { input(initial, "initial", len)? })
    };
    let samples_out = unsafe { output(samples_out, "samples_out", len)? };
    let trajectory = if trajectory.is_null() {
        None
    } else {
        Some(unsafe { output(trajectory, "trajectory", trajectory_len)? })
    };
    let mut sampler = sampler.lock()?;
    sampler.ensure_room(n_arg, n, dim)?;
    sampler.sample_chain(initial, n, dim, n_steps, thin, samples_out, trajectory)
}

/// The specification's sample_chain: starts n chains of dimension dim at initial (n*dim
/// floats; NULL for N(0, I)), runs n_steps steps, writes every thin-th state into trajectory
/// (NULL for none; layout and size as ebm_sampler_run_trajectory_f32) and the final states
/// into samples_out (n*dim floats). The chains remain in the sampler for further runs.
///
/// Errors: those of ebm_sampler_init_f32, ebm_sampler_run_trajectory_f32 and
/// ebm_sampler_get_samples_f32; buffers must not overlap (EBM_ERR_INVALID_ARGUMENT).
#[no_mangle]
pub unsafe extern "C" fn ebm_sampler_sample_chain_f32(
    sampler: *mut ebm_sampler,
    initial: *const f32,
    n: i64,
    dim: i64,
    n_steps: i64,
    thin: i64,
    samples_out: *mut f32,
    trajectory: *mut f32,
    trajectory_len: i64,
) -> ebm_status {
    call("ebm_sampler_sample_chain_f32", || unsafe {
        sample_chain(
            sampler,
            initial,
            "n",
            n,
            dim,
            n_steps,
            thin,
            samples_out,
            trajectory,
            trajectory_len,
        )
    })
}

/// ebm_sampler_sample_chain_f32 with double buffers.
#[no_mangle]
pub unsafe extern "C" fn ebm_sampler_sample_chain_f64(
    sampler: *mut ebm_sampler,
    initial: *const f64,
    n: i64,
    dim: i64,
    n_steps: i64,
    thin: i64,
    samples_out: *mut f64,
    trajectory: *mut f64,
    trajectory_len: i64,
) -> ebm_status {
    call("ebm_sampler_sample_chain_f64", || unsafe {
        sample_chain(
            sampler,
            initial,
            "n",
            n,
            dim,
            n_steps,
            thin,
            samples_out,
            trajectory,
            trajectory_len,
        )
    })
}

/// The specification's sample(n_samples, dim, n_steps): n_samples chains from N(0, I), run
/// for n_steps steps; the final states into samples_out (n_samples*dim floats).
///
/// Errors: as ebm_sampler_sample_chain_f32.
#[no_mangle]
pub unsafe extern "C" fn ebm_sampler_sample_f32(
    sampler: *mut ebm_sampler,
    n_samples: i64,
    dim: i64,
    n_steps: i64,
    samples_out: *mut f32,
) -> ebm_status {
    call("ebm_sampler_sample_f32", || unsafe {
        sample_chain(
            sampler,
            std::ptr::null(),
            "n_samples",
            n_samples,
            dim,
            n_steps,
            1,
            samples_out,
            std::ptr::null_mut(),
            0,
        )
    })
}

/// ebm_sampler_sample_f32 with samples_out as doubles.
#[no_mangle]
pub unsafe extern "C" fn ebm_sampler_sample_f64(
    sampler: *mut ebm_sampler,
    n_samples: i64,
    dim: i64,
    n_steps: i64,
    samples_out: *mut f64,
) -> ebm_status {
    call("ebm_sampler_sample_f64", || unsafe {
        sample_chain(
            sampler,
            std::ptr::null(),
            "n_samples",
            n_samples,
            dim,
            n_steps,
            1,
            samples_out,
            std::ptr::null_mut(),
            0,
        )
    })
}

unsafe fn step<T: Real>(sampler: *mut ebm_sampler, x: *mut T, n: i64, dim: i64) -> Result<()> {
    let sampler = unsafe { handle_mut(sampler, "sampler")? };
    let (_, dim, len) = shape::<T>(n, dim)?;
    let x = unsafe { output(x, "x", len)? };
    sampler.lock()?.step(x, dim)
}

/// The specification's sample_step: one step from the n points in x (n*dim floats), written
/// back into x. The sampler's chains are re-initialised at x (diagnostics restart).
///
/// Errors: as ebm_sampler_init_f32 and ebm_sampler_run (x NULL: EBM_ERR_NULL_POINTER).
#[no_mangle]
pub unsafe extern "C" fn ebm_sampler_step_f32(sampler: *mut ebm_sampler, x: *mut f32, n: i64, dim: i64) -> ebm_status {
    call("ebm_sampler_step_f32", || unsafe { step(sampler, x, n, dim) })
}

/// ebm_sampler_step_f32 on n*dim doubles.
#[no_mangle]
pub unsafe extern "C" fn ebm_sampler_step_f64(sampler: *mut ebm_sampler, x: *mut f64, n: i64, dim: i64) -> ebm_status {
    call("ebm_sampler_step_f64", || unsafe { step(sampler, x, n, dim) })
}

/// A summary of a sampler's chains since their initialisation (ebm_sampler_get_stats()).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ebm_sampler_stats {
    /// Number of chains.
    pub n_chains: i64,
    /// Their dimension.
    pub dim: i64,
    /// Steps taken since initialisation.
    pub steps: i64,
    /// Chains whose state became NaN or infinite. They are frozen at their last finite state
    /// and left out of mean_energy; ebm_sampler_get_non_finite_chains() says which.
    pub non_finite_chains: i64,
    /// Accepted proposals over proposals, all chains together (MALA, HMC); for NUTS the mean
    /// of Stan's acceptance statistic (per step, the mean over the trajectory's points of
    /// min(1, exp(-(H - H0) / T))). NaN for samplers without accept/reject or before the
    /// first step.
    pub mean_acceptance: f64,
    /// The step size the next step will use (after schedules and adaptation).
    pub step_size: f64,
    /// Mean energy of the finite chains' current states.
    pub mean_energy: f64,
    /// Divergent trajectories over all chains and steps since initialisation: HMC and NUTS
    /// steps whose energy error (H - H0) / T exceeded 1000 or was NaN; 0 for the other
    /// samplers. ebm_sampler_get_divergences() gives them per chain.
    pub divergences: i64,
    /// NUTS: the mean tree depth (doublings per step) over all chains and steps; NaN for the
    /// other samplers and before the first step.
    pub mean_tree_depth: f64,
}

/// Fills *out; out_size must be sizeof(ebm_sampler_stats) as seen by the caller (at least
/// this version's). With an all-reduce set (ebm_sampler_set_allreduce) this is a collective
/// call summarising every process's chains together.
///
/// Errors: EBM_ERR_NULL_POINTER (sampler, out), EBM_ERR_INVALID_ARGUMENT (out_size too small,
/// chains not initialised), EBM_ERR_TORCH; with an all-reduce, EBM_ERR_REMOTE,
/// EBM_ERR_CALLBACK and EBM_ERR_INVALID_ARGUMENT (processes with different steps or dim).
#[no_mangle]
pub unsafe extern "C" fn ebm_sampler_get_stats(
    sampler: *const ebm_sampler,
    out: *mut ebm_sampler_stats,
    out_size: usize,
) -> ebm_status {
    call("ebm_sampler_get_stats", || {
        let sampler = unsafe { handle(sampler, "sampler")? };
        if out.is_null() {
            return Err(Error::null("out"));
        }
        if out_size < size_of::<ebm_sampler_stats>() {
            return Err(Error::invalid(
                "out_size",
                format!(
                    "is {out_size}, ebm_sampler_stats needs {}",
                    size_of::<ebm_sampler_stats>()
                ),
            ));
        }
        let stats = sampler.lock()?.stats()?;
        let as_i64 = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
        let filled = ebm_sampler_stats {
            n_chains: as_i64(stats.chains),
            dim: as_i64(stats.dim),
            steps: i64::try_from(stats.steps).unwrap_or(i64::MAX),
            non_finite_chains: as_i64(stats.non_finite_chains),
            mean_acceptance: stats.mean_acceptance,
            step_size: stats.step_size,
            mean_energy: stats.mean_energy,
            divergences: i64::try_from(stats.divergences).unwrap_or(i64::MAX),
            mean_tree_depth: stats.mean_tree_depth,
        };
        // SAFETY: checked non-NULL; the caller provides out_size writable bytes.
        unsafe { out.write_unaligned(filled) };
        Ok(())
    })
}

/// Writes, per chain, accepted proposals over proposals since initialisation into rates_out
/// (n doubles, n the number of chains); for NUTS, the chain's mean acceptance statistic
/// (see ebm_sampler_stats.mean_acceptance). NaN before the first step.
///
/// Errors: EBM_ERR_NULL_POINTER (sampler, rates_out), EBM_ERR_INVALID_ARGUMENT (a sampler
/// without accept/reject, chains not initialised, n < 0), EBM_ERR_LENGTH_MISMATCH (n).
#[no_mangle]
pub unsafe extern "C" fn ebm_sampler_get_acceptance_rates(
    sampler: *const ebm_sampler,
    rates_out: *mut f64,
    n: i64,
) -> ebm_status {
    call("ebm_sampler_get_acceptance_rates", || {
        let sampler = unsafe { handle(sampler, "sampler")? };
        let n = count("n", n)?;
        let out = unsafe { output(rates_out, "rates_out", n)? };
        let rates = sampler.lock()?.acceptance_rates()?;
        copy_exact("n", &rates, out)
    })
}

/// Writes, per chain, 1 if its state became non-finite (the chain is then frozen at its last
/// finite state) and 0 otherwise into flags_out (n bytes, n the number of chains).
///
/// Errors: EBM_ERR_NULL_POINTER (sampler, flags_out), EBM_ERR_INVALID_ARGUMENT (chains not
/// initialised, n < 0), EBM_ERR_LENGTH_MISMATCH (n).
#[no_mangle]
pub unsafe extern "C" fn ebm_sampler_get_non_finite_chains(
    sampler: *const ebm_sampler,
    flags_out: *mut u8,
    n: i64,
) -> ebm_status {
    call("ebm_sampler_get_non_finite_chains", || {
        let sampler = unsafe { handle(sampler, "sampler")? };
        let n = count("n", n)?;
        let out = unsafe { output(flags_out, "flags_out", n)? };
        let flags: Vec<u8> = sampler.lock()?.non_finite_chains()?.into_iter().map(u8::from).collect();
        copy_exact("n", &flags, out)
    })
}

/// Writes, per chain, the number of divergent trajectories since initialisation (see
/// ebm_sampler_stats.divergences) into counts_out (n int64 values, n the number of chains).
///
/// Errors: EBM_ERR_NULL_POINTER (sampler, counts_out), EBM_ERR_INVALID_ARGUMENT (a sampler
/// other than HMC and NUTS, chains not initialised, n < 0), EBM_ERR_LENGTH_MISMATCH (n).
#[no_mangle]
pub unsafe extern "C" fn ebm_sampler_get_divergences(
    sampler: *const ebm_sampler,
    counts_out: *mut i64,
    n: i64,
) -> ebm_status {
    call("ebm_sampler_get_divergences", || {
        let sampler = unsafe { handle(sampler, "sampler")? };
        let n = count("n", n)?;
        let out = unsafe { output(counts_out, "counts_out", n)? };
        let counts: Vec<i64> = sampler
            .lock()?
            .divergences()?
            .into_iter()
            .map(|c| i64::try_from(c).unwrap_or(i64::MAX))
            .collect();
        copy_exact("n", &counts, out)
    })
}

pub(crate) fn copy_exact<V: Copy>(arg: &'static str, values: &[V], out: &mut [V]) -> Result<()> {
    copy_exact_named(arg, "chains", values, out)
}

/// Copies `values` into `out`, which must have their length (`what` names the items).
pub(crate) fn copy_exact_named<V: Copy>(arg: &'static str, what: &str, values: &[V], out: &mut [V]) -> Result<()> {
    if values.len() != out.len() {
        return Err(Error::LengthMismatch {
            arg,
            reason: format!("is {}, the sampler has {} {what}", out.len(), values.len()),
        });
    }
    out.copy_from_slice(values);
    Ok(())
}

/// The mean energy of the finite chains after each step since initialisation: writes the
/// first min(capacity, steps) values into trace_out and the number of steps into *length_out.
/// Call with capacity 0 (trace_out may then be NULL) to learn the length. With an all-reduce
/// set (ebm_sampler_set_allreduce) this is a collective call (with capacity 0 too) and the
/// means are over every process's finite chains.
///
/// Errors: EBM_ERR_NULL_POINTER (sampler, length_out, trace_out when capacity > 0),
/// EBM_ERR_INVALID_ARGUMENT (capacity < 0, chains not initialised), EBM_ERR_TORCH; with an
/// all-reduce, EBM_ERR_REMOTE, EBM_ERR_CALLBACK and EBM_ERR_INVALID_ARGUMENT (processes with
/// different numbers of steps).
#[no_mangle]
pub unsafe extern "C" fn ebm_sampler_get_energy_trace(
    sampler: *const ebm_sampler,
    trace_out: *mut f64,
    capacity: i64,
    length_out: *mut i64,
) -> ebm_status {
    call("ebm_sampler_get_energy_trace", || unsafe {
        write_trace(sampler, "trace_out", trace_out, capacity, length_out, |s| {
            s.energy_trace()
        })
    })
}

/// Checks the arguments of a variable-length getter, then writes the first
/// min(capacity, len) values of `trace` into trace_out (named `out_arg`) and their number into
/// *length_out.
pub(crate) unsafe fn write_trace(
    sampler: *const ebm_sampler,
    out_arg: &'static str,
    trace_out: *mut f64,
    capacity: i64,
    length_out: *mut i64,
    trace: impl FnOnce(&crate::sampler::Sampler) -> Result<Vec<f64>>,
) -> Result<()> {
    let sampler = unsafe { handle(sampler, "sampler")? };
    let capacity = count("capacity", capacity)?;
    let length_out = unsafe { length_out.as_mut() }.ok_or(Error::null("length_out"))?;
    let trace = trace(&*sampler.lock()?)?;
    let written = trace.len().min(capacity);
    let out = unsafe { output(trace_out, out_arg, written)? };
    out.copy_from_slice(&trace[..written]);
    *length_out = i64::try_from(trace.len()).unwrap_or(i64::MAX);
    Ok(())
}

/// Restarts the sampler's random streams from seed; the chains keep their states. Two
/// samplers with the same parameters, seed and calls produce bit-identical results on the
/// same device and buffer type.
///
/// Errors: EBM_ERR_NULL_POINTER (sampler), EBM_ERR_TORCH.
#[no_mangle]
pub unsafe extern "C" fn ebm_sampler_reseed(sampler: *mut ebm_sampler, seed: u64) -> ebm_status {
    call("ebm_sampler_reseed", || {
        unsafe { handle_mut(sampler, "sampler")? }.lock()?.reseed(seed)
    })
}

/// Returned by an ebm_progress_fn to let the run go on.
pub const EBM_PROGRESS_CONTINUE: i32 = 0;
/// Returned by an ebm_progress_fn to stop the run (EBM_ERR_CANCELLED). Any other nonzero
/// value cancels too.
pub const EBM_PROGRESS_CANCEL: i32 = 1;

/// Reports progress during runs: steps_done and steps_total of the current run and the mean
/// energy after the last step. Return EBM_PROGRESS_CONTINUE (0) to go on, EBM_PROGRESS_CANCEL
/// (1; any nonzero value) to cancel the run, which then fails with EBM_ERR_CANCELLED, the
/// chains holding the state reached; a message set with ebm_callback_set_error() before
/// returning is added to the error's. Mind the sense: like every status in this API, zero
/// means "all is well, go on" — unlike a C++ or Julia predicate, where true would. Called on
/// the thread that runs the sampler. Must not throw C++ exceptions or longjmp.
///
/// ```c
/// static int32_t stop_at(int64_t steps_done, int64_t steps_total, double mean_energy,
///                        void *user_data) {
///     (void)steps_total; (void)mean_energy;
///     return steps_done >= *(const int64_t *)user_data ? EBM_PROGRESS_CANCEL
///                                                      : EBM_PROGRESS_CONTINUE;
/// }
/// ```
pub type ebm_progress_fn =
    Option<unsafe extern "C" fn(steps_done: i64, steps_total: i64, mean_energy: f64, user_data: *mut c_void) -> i32>;

/// Installs progress_fn, called after every interval-th step of each run and after its last
/// step, with user_data. NULL progress_fn removes the callback. Any previous callback is
/// replaced, and its free_user_data (if any) called with its user_data.
///
/// free_user_data (optional) is called with user_data exactly once, when this callback is
/// replaced or removed or when the sampler is finally released (a CD loss keeps its sampler,
/// and so this callback, alive after ebm_sampler_free); without it, user_data must stay valid
/// until then. If this function fails, free_user_data is not called: user_data stays the
/// caller's.
///
/// Errors: EBM_ERR_NULL_POINTER (sampler), EBM_ERR_INVALID_ARGUMENT (interval < 1 with a
/// callback).
#[no_mangle]
pub unsafe extern "C" fn ebm_sampler_set_progress_callback(
    sampler: *mut ebm_sampler,
    progress_fn: ebm_progress_fn,
    interval: i64,
    user_data: *mut c_void,
    free_user_data: ebm_free_fn,
) -> ebm_status {
    call("ebm_sampler_set_progress_callback", || {
        let sampler = unsafe { handle_mut(sampler, "sampler")? };
        let interval = if progress_fn.is_some() {
            self::interval("interval", interval)?
        } else {
            1
        };
        // Every check is done: from here on the library owns user_data.
        let callback = progress_fn.map(|f| {
            let data = UserData::new(user_data, free_user_data);
            Box::new(move |p: &Progress| {
                let to_i64 = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
                clear_detail();
                // SAFETY: the caller's callback with the caller's context (header contract).
                let code = unsafe { f(to_i64(p.steps_done), to_i64(p.steps_total), p.mean_energy, data.ptr()) };
                if code == EBM_PROGRESS_CONTINUE {
                    ControlFlow::Continue(())
                } else {
                    ControlFlow::Break(take_detail())
                }
            }) as crate::sampler::ProgressCallback
        });
        sampler.lock()?.set_progress(callback, interval)
    })
}
