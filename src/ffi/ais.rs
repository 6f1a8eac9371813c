//! Annealed importance sampling estimates of log Z, in float and double particles.

use std::mem::size_of;

use super::args::{count, dimension, disjoint, element_count, handle, output, span};
use super::energy::ebm_energy;
use super::guard::call;
use super::sampler_params::{read, rng_code, EBM_RNG_PER_CHAIN, EBM_RNG_TORCH};
use super::status::ebm_status;
use crate::error::{Error, Result};
use crate::estimate::{ais_estimate, AisParams, BetaSchedule, InnerSampler};
use crate::runtime;
use crate::sampler::{HmcParams, RngKind, SamplerOptions};
use crate::tensor::Real;

/// ebm_ais_params.schedule: beta_k = s(k/K) with s(t) = sigmoid(4 (2t - 1)) rescaled to run
/// from 0 to 1: temperatures crowd near both ends of the path.
pub const EBM_AIS_SCHEDULE_SIGMOID: i32 = 0;
/// ebm_ais_params.schedule: beta_k = k/K.
pub const EBM_AIS_SCHEDULE_LINEAR: i32 = 1;
/// ebm_ais_params.sampler: Metropolis-adjusted Langevin transitions (as ebm_mala_new).
pub const EBM_AIS_SAMPLER_MALA: i32 = 0;
/// ebm_ais_params.sampler: Hamiltonian Monte Carlo transitions with unit mass (as
/// ebm_hmc_new).
pub const EBM_AIS_SAMPLER_HMC: i32 = 1;

/// Parameters of annealed importance sampling (ebm_ais_estimate_f32/_f64). The path is
/// E_beta(x) = (1 - beta) E0(x) + beta E(x) from the base E0(x) = |x|^2 / (2 base_std^2),
/// the energy of N(0, base_std^2 I), to the energy E, over K = n_temperatures steps
/// 0 = beta_0 < beta_1 < ... < beta_K = 1. Particles start as exact draws of the base; at each
/// beta_k every particle's log weight grows by (beta_k - beta_{k-1}) (E0(x) - E(x)), and for
/// k < K the particles then take inner_steps transitions of the inner sampler targeting
/// exp(-E_beta_k).
///
/// Get defaults from ebm_ais_default_params(), then change fields.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ebm_ais_params {
    /// sizeof(ebm_ais_params); set by ebm_ais_default_params().
    pub struct_size: usize,
    /// K >= 1, the number of beta steps (K = 1 is plain importance sampling from the base).
    /// Default 200.
    pub n_temperatures: i64,
    /// EBM_AIS_SCHEDULE_SIGMOID (default) or EBM_AIS_SCHEDULE_LINEAR.
    pub schedule: i32,
    /// EBM_AIS_SAMPLER_MALA (default) or EBM_AIS_SAMPLER_HMC.
    pub sampler: i32,
    /// The inner sampler's step size > 0: MALA's h, HMC's leapfrog step. Default 0.05.
    pub step_size: f64,
    /// HMC's leapfrog steps per transition, >= 1 (read only for HMC). Default 10.
    pub n_leapfrog_steps: i64,
    /// Transitions per intermediate temperature, >= 1. Default 1.
    pub inner_steps: i64,
    /// Standard deviation of the base N(0, base_std^2 I), > 0: choose it to cover the
    /// target's mass. Default 1.
    pub base_std: f64,
    /// Seed of the particles' random streams. Default 0.
    pub seed: u64,
    /// EBM_DEVICE_CPU (default) or a CUDA device index.
    pub device: i32,
    /// EBM_RNG_PER_CHAIN (default) or EBM_RNG_TORCH. With per-chain streams on the CPU,
    /// particle i's path (base draw included) depends only on (seed, first_chain + i).
    pub rng: i32,
    /// The global index of particle 0 (default 0), as ebm_mala_params.first_chain: must be 0
    /// unless rng is EBM_RNG_PER_CHAIN on the CPU.
    pub first_chain: u64,
}

/// The result of ebm_ais_estimate_f32/_f64. With the log weights w_i and r_i = exp(w_i -
/// max w): log_z = log_z_base + max w + log(mean r).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ebm_ais_result {
    /// The estimate of log Z, Z = integral of exp(-E(x)) dx.
    pub log_z: f64,
    /// Delta-method standard error of log_z: the standard error of the mean of r (sample
    /// standard deviation / sqrt(n_particles)) divided by that mean. It can be optimistic
    /// when the weights are heavy-tailed (few temperatures, a poor base): read it with
    /// effective_sample_size.
    pub standard_error: f64,
    /// (sum r)^2 / sum r^2, between 1 and n_particles.
    pub effective_sample_size: f64,
    /// Mean acceptance of the inner transitions over every particle and intermediate
    /// temperature; NaN when n_temperatures is 1 (no transition runs).
    pub mean_acceptance: f64,
    /// log Z0 = (dim / 2) log(2 pi base_std^2) of the base.
    pub log_z_base: f64,
    /// Particles whose energy was NaN or infinite somewhere on the path: their weight is 0
    /// (log weight -infinity).
    pub non_finite_particles: i64,
}

/// Default parameters for ebm_ais_estimate_f32/_f64: 200 temperatures on the sigmoid
/// schedule, one MALA transition of step size 0.05 per temperature, base N(0, I), seed 0,
/// CPU, per-chain streams.
///
/// Example, a complete program (make test-header-examples compiles and runs it):
///
/// ```c
/// #include <math.h>
/// #include <stdio.h>
/// #include "torchebm.h"
///
/// int main(void) {
///     // E(x) = |x|^2 / 4 in two dimensions (covariance 2 I): Z = 4 pi exactly.
///     double mean[2] = {0, 0}, cov[4] = {2, 0, 0, 2};
///     ebm_energy *gaussian = NULL;
///     ebm_ais_params params = ebm_ais_default_params();
///     params.seed = 1;
///     ebm_ais_result result;
///     if (ebm_energy_gaussian_new(mean, cov, 2, &gaussian) ||
///         ebm_ais_estimate_f64(gaussian, &params, 1000, 2, &result, sizeof result, NULL, NULL)) {
///         fprintf(stderr, "%s\n", ebm_last_error_message());
///         return 1;
///     }
///     printf("log Z = %.4f +- %.4f (exact %.4f), ESS %.0f\n", result.log_z, result.standard_error,
///            log(4 * 3.14159265358979323846), result.effective_sample_size);
///     ebm_energy_free(gaussian);
///     return fabs(result.log_z - log(4 * 3.14159265358979323846)) < 0.1 ? 0 : 1;
/// }
/// ```
#[no_mangle]
pub extern "C" fn ebm_ais_default_params() -> ebm_ais_params {
    let d = AisParams::default();
    let o = SamplerOptions::default();
    ebm_ais_params {
        struct_size: size_of::<ebm_ais_params>(),
        n_temperatures: d.n_temperatures as i64,
        schedule: match d.schedule {
            BetaSchedule::Sigmoid => EBM_AIS_SCHEDULE_SIGMOID,
            BetaSchedule::Linear => EBM_AIS_SCHEDULE_LINEAR,
        },
        sampler: match d.sampler {
            InnerSampler::Mala => EBM_AIS_SAMPLER_MALA,
            InnerSampler::Hmc { .. } => EBM_AIS_SAMPLER_HMC,
        },
        step_size: d.step_size,
        n_leapfrog_steps: HmcParams::default().n_leapfrog_steps as i64,
        inner_steps: d.inner_steps as i64,
        base_std: d.base_std,
        seed: o.seed,
        device: runtime::device_code(o.device),
        rng: rng_code(o.rng),
        first_chain: o.first_chain,
    }
}

fn at_least_one(arg: &'static str, value: i64) -> Result<u64> {
    if value < 1 {
        return Err(Error::invalid(arg, format!("must be >= 1, got {value}")));
    }
    Ok(value as u64)
}

impl ebm_ais_params {
    fn to_core(self) -> Result<AisParams> {
        let schedule = match self.schedule {
            EBM_AIS_SCHEDULE_SIGMOID => BetaSchedule::Sigmoid,
            EBM_AIS_SCHEDULE_LINEAR => BetaSchedule::Linear,
            other => {
                return Err(Error::invalid(
                    "params.schedule",
                    format!("{other} is not an EBM_AIS_SCHEDULE_* value"),
                ))
            }
        };
        let sampler = match self.sampler {
            EBM_AIS_SAMPLER_MALA => InnerSampler::Mala,
            EBM_AIS_SAMPLER_HMC => InnerSampler::Hmc {
                n_leapfrog_steps: at_least_one("params.n_leapfrog_steps", self.n_leapfrog_steps)?,
            },
            other => {
                return Err(Error::invalid(
                    "params.sampler",
                    format!("{other} is not an EBM_AIS_SAMPLER_* value"),
                ))
            }
        };
        let rng = match self.rng {
            EBM_RNG_PER_CHAIN => RngKind::PerChain,
            EBM_RNG_TORCH => RngKind::Torch,
            other => {
                return Err(Error::invalid(
                    "params.rng",
                    format!("{other} is not an EBM_RNG_* value"),
                ))
            }
        };
        let n_temperatures = at_least_one("params.n_temperatures", self.n_temperatures)?;
        Ok(AisParams {
            n_temperatures: usize::try_from(n_temperatures)
                .map_err(|_| Error::invalid("params.n_temperatures", "does not fit in memory"))?,
            schedule,
            sampler,
            step_size: self.step_size,
            inner_steps: at_least_one("params.inner_steps", self.inner_steps)?,
            base_std: self.base_std,
            options: SamplerOptions {
                seed: self.seed,
                device: runtime::device_from_code("params.device", self.device)?,
                rng,
                first_chain: self.first_chain,
            },
        })
    }
}

#[allow(clippy::too_many_arguments)]
unsafe fn estimate<T: Real + Default>(
    energy: *const ebm_energy,
    params: *const ebm_ais_params,
    n_particles: i64,
    dim: i64,
    out: *mut ebm_ais_result,
    out_size: usize,
    log_weights_out: *mut f64,
    samples_out: *mut T,
) -> Result<()> {
    let energy = unsafe { handle(energy, "energy")? };
    let params = unsafe { read(params)? }.to_core()?;
    if out.is_null() {
        return Err(Error::null("out"));
    }
    if out_size < size_of::<ebm_ais_result>() {
        return Err(Error::invalid(
            "out_size",
            format!("is {out_size}, ebm_ais_result needs {}", size_of::<ebm_ais_result>()),
        ));
    }
    let n = count("n_particles", n_particles)?;
    if n < 2 {
        return Err(Error::invalid(
            "n_particles",
            format!("must be >= 2 for a standard error, got {n_particles}"),
        ));
    }
    let dim = dimension("dim", dim)?;
    let weights = if log_weights_out.is_null() {
        None
    } else {
        Some(unsafe { output(log_weights_out, "log_weights_out", n)? })
    };
    let samples = if samples_out.is_null() {
        None
    } else {
        let len = element_count::<T>("n_particles, dim", &[n, dim])?;
        Some(unsafe { output(samples_out, "samples_out", len)? })
    };
    disjoint(&[
        span("out", out as *const ebm_ais_result, 1),
        span(
            "log_weights_out",
            log_weights_out as *const f64,
            weights.as_ref().map_or(0, |w| w.len()),
        ),
        span(
            "samples_out",
            samples_out as *const T,
            samples.as_ref().map_or(0, |s| s.len()),
        ),
    ])?;
    let result = ais_estimate(energy.energy.clone(), &params, n, dim, samples)?;
    if let Some(weights) = weights {
        weights.copy_from_slice(&result.log_weights);
    }
    let filled = ebm_ais_result {
        log_z: result.log_z,
        standard_error: result.standard_error,
        effective_sample_size: result.effective_sample_size,
        mean_acceptance: result.mean_acceptance,
        log_z_base: result.log_z_base,
        non_finite_particles: i64::try_from(result.non_finite_particles).unwrap_or(i64::MAX),
    };
    // SAFETY: non-NULL, and the caller states it holds out_size >= sizeof bytes.
    unsafe { std::ptr::write_unaligned(out, filled) };
    Ok(())
}

/// Estimates log Z = log of the integral of exp(-E(x)) dx for energy in dimension dim by
/// annealed importance sampling with n_particles particles (see ebm_ais_params), the
/// particles kept in float (on the CPU with EBM_RNG_PER_CHAIN they are advanced in double
/// whatever the variant); the estimate is computed in double.
///
/// out: filled with the estimate; out_size must be sizeof(ebm_ais_result) as seen by the
/// caller (at least this version's). log_weights_out: NULL, or n_particles doubles receiving
/// the log importance weights w_i. samples_out: NULL, or n_particles*dim floats (row-major)
/// receiving the particles at the end of the path, draws of exp(-E) once weighted by
/// exp(w_i). Nothing is written to out unless the call succeeds.
///
/// Errors: EBM_ERR_NULL_POINTER (energy, params, out), EBM_ERR_INVALID_ARGUMENT
/// (params.struct_size; params.n_temperatures, params.inner_steps or, for HMC,
/// params.n_leapfrog_steps < 1; params.step_size or params.base_std <= 0; an unknown
/// params.schedule, params.sampler or params.rng; params.first_chain != 0 without per-chain
/// CPU streams; out_size too small; n_particles < 2; dim < 1; overlapping buffers),
/// EBM_ERR_NON_FINITE (a NaN or infinite params.step_size or params.base_std; energy, when
/// it is NaN or infinite on every particle's path), EBM_ERR_DIMENSION_MISMATCH (dim not
/// accepted by the energy), EBM_ERR_SIZE_OVERFLOW (buffers larger than memory),
/// EBM_ERR_OUT_OF_MEMORY (n_particles, when the particles would not fit in the memory
/// available), EBM_ERR_DEVICE_UNAVAILABLE (params.device), EBM_ERR_CALLBACK, EBM_ERR_TORCH.
#[no_mangle]
pub unsafe extern "C" fn ebm_ais_estimate_f32(
    energy: *const ebm_energy,
    params: *const ebm_ais_params,
    n_particles: i64,
    dim: i64,
    out: *mut ebm_ais_result,
    out_size: usize,
    log_weights_out: *mut f64,
    samples_out: *mut f32,
) -> ebm_status {
    call("ebm_ais_estimate_f32", || unsafe {
        estimate(
            energy,
            params,
            n_particles,
            dim,
            out,
            out_size,
            log_weights_out,
            samples_out,
        )
    })
}

/// ebm_ais_estimate_f32 with the particles kept in double and samples_out as n_particles*dim
/// doubles.
#[no_mangle]
pub unsafe extern "C" fn ebm_ais_estimate_f64(
    energy: *const ebm_energy,
    params: *const ebm_ais_params,
    n_particles: i64,
    dim: i64,
    out: *mut ebm_ais_result,
    out_size: usize,
    log_weights_out: *mut f64,
    samples_out: *mut f64,
) -> ebm_status {
    call("ebm_ais_estimate_f64", || unsafe {
        estimate(
            energy,
            params,
            n_particles,
            dim,
            out,
            out_size,
            log_weights_out,
            samples_out,
        )
    })
}
