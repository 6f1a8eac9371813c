//! Replica exchange (parallel tempering) around any sampler, and its diagnostics.

use std::mem::size_of;
use std::sync::Arc;

use super::args::{count, handle, input, out_pointer, output, store};
use super::guard::call;
use super::sampler::ebm_sampler;
use super::sampler_params::read;
use super::sampler_run::{copy_exact_named, write_trace};
use super::status::ebm_status;
use crate::error::{Error, Result};
use crate::exclusive::Exclusive;
use crate::sampler::{Sampler, TemperingParams};

/// Parameters of replica exchange (ebm_parallel_tempering_new). The ladder multiplies the
/// inner sampler's temperature T: replica k runs at T * ladder_k with ladder_0 = 1, so the
/// sampler's own chains (replica 0) target exp(-E / T).
///
/// Get defaults from ebm_tempering_default_params(), then change fields.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ebm_tempering_params {
    /// sizeof(ebm_tempering_params); set by ebm_tempering_default_params().
    pub struct_size: usize,
    /// Number of replicas K of a geometric ladder 1, r, r^2, ..., max_temperature
    /// (ignored when temperatures is given), 2 to EBM_TEMPERING_MAX_REPLICAS. Default 8.
    pub n_temperatures: i64,
    /// The hottest multiplier of the geometric ladder, > 1. Default 10.
    pub max_temperature: f64,
    /// An explicit ladder instead (NULL by default): temperatures_len multipliers (2 to
    /// EBM_TEMPERING_MAX_REPLICAS), starting at exactly 1 and strictly increasing. Copied.
    pub temperatures: *const f64,
    /// Number of values at temperatures (0 when NULL).
    pub temperatures_len: i64,
    /// Steps between exchange rounds, >= 1. Default 1. Each round tries every other
    /// neighbour pair, (0,1), (2,3), ... and (1,2), (3,4), ... alternately (the
    /// deterministic even-odd scheme), for every chain with its own random stream.
    pub swap_interval: i64,
}

impl ebm_tempering_params {
    fn defaults() -> Self {
        ebm_tempering_params {
            struct_size: size_of::<Self>(),
            n_temperatures: TemperingParams::DEFAULT_REPLICAS as i64,
            max_temperature: TemperingParams::DEFAULT_MAX_TEMPERATURE,
            temperatures: std::ptr::null(),
            temperatures_len: 0,
            swap_interval: TemperingParams::DEFAULT_SWAP_INTERVAL as i64,
        }
    }

    unsafe fn to_core(self) -> Result<TemperingParams> {
        let swap_interval = u64::try_from(self.swap_interval).map_err(|_| {
            Error::invalid(
                "params.swap_interval",
                format!("must be >= 1, got {}", self.swap_interval),
            )
        })?;
        let params = if self.temperatures.is_null() && self.temperatures_len == 0 {
            let n = count("params.n_temperatures", self.n_temperatures)?;
            TemperingParams::geometric(n, self.max_temperature, swap_interval)?
        } else {
            let len = count("params.temperatures_len", self.temperatures_len)?;
            let ladder = unsafe { input(self.temperatures, "params.temperatures", len)? }.to_vec();
            TemperingParams { ladder, swap_interval }
        };
        params.validate()?;
        Ok(params)
    }
}

/// The most replicas a replica-exchange sampler may have.
pub const EBM_TEMPERING_MAX_REPLICAS: i64 = 1024;
// A literal for cbindgen, kept equal to the core's bound.
const _: () = assert!(EBM_TEMPERING_MAX_REPLICAS as usize == crate::sampler::MAX_REPLICAS);

/// Default parameters for ebm_parallel_tempering_new(): 8 replicas on a geometric ladder from
/// 1 to 10, an exchange round after every step.
///
/// Example, a complete program (make test-header-examples compiles and runs it):
///
/// ```c
/// #include <stdio.h>
/// #include "torchebm.h"
///
/// int main(void) {
///     // a (x^2 - b)^2 with a = 1, b = 4: wells at -2 and 2, a barrier of height 16 between.
///     ebm_energy *well = NULL;
///     ebm_sampler *langevin = NULL, *tempering = NULL;
///     ebm_langevin_params inner = ebm_langevin_default_params();
///     ebm_tempering_params params = ebm_tempering_default_params();
///     params.n_temperatures = 8;
///     params.max_temperature = 30.0;
///     static double x[200];
///     for (int i = 0; i < 200; i++) x[i] = 2.0; // every chain starts in the right-hand well
///     if (ebm_energy_double_well_new(1.0, 4.0, &well) || ebm_langevin_new(well, &inner, &langevin) ||
///         ebm_parallel_tempering_new(langevin, &params, &tempering) ||
///         ebm_sampler_init_f64(tempering, x, 200, 1) || ebm_sampler_run(tempering, 2000) ||
///         ebm_sampler_get_samples_f64(tempering, x, 200, 1)) {
///         fprintf(stderr, "%s\n", ebm_last_error_message());
///         return 1;
///     }
///     double swaps[7];
///     if (ebm_sampler_get_swap_acceptance(tempering, swaps, 7)) return 1;
///     int left = 0;
///     for (int i = 0; i < 200; i++) left += x[i] < 0;
///     printf("%d of 200 chains crossed to the left well; swaps accepted between T0 and T1: %.2f\n",
///            left, swaps[0]);
///     ebm_sampler_free(tempering);
///     ebm_sampler_free(langevin);
///     ebm_energy_free(well);
///     return left > 50 && left < 150 ? 0 : 1;
/// }
/// ```
#[no_mangle]
pub extern "C" fn ebm_tempering_default_params() -> ebm_tempering_params {
    ebm_tempering_params::defaults()
}

/// Replica exchange (parallel tempering) with inner as the template of every replica: a new
/// sampler running K copies of the chains, replica k by inner's method at temperature
/// T * ladder_k (T = inner's temperature; unadjusted Langevin's noise_scale), and exchanging
/// the states of neighbouring replicas' chains i every swap_interval steps with the Metropolis
/// probability min(1, exp((1/T_k - 1/T_k+1)(E_k,i - E_k+1,i))). Momenta stay with their replica.
///
/// The new sampler's chains are replica 0's: init, run, trajectories, samples, statistics,
/// acceptance, energies, momenta and set_samples concern them (refresh and reseed act on every
/// replica). Every replica starts at the same initial points (or at its own N(0, I) draws).
/// Replica k draws from its own streams (seed derived from inner's seed and k) and each
/// exchange decision from chain i's own stream, so per-chain reproducibility (first_chain) holds
/// as for inner. A run costs K times inner's. inner is only read (its method, parameters, seed,
/// device and streams kind are copied) and stays independent; its chains are not used.
/// ebm_sampler_name() gives "parallel_tempering".
///
/// The chains' memory is checked for all K replicas when they are initialised
/// (EBM_ERR_OUT_OF_MEMORY naming n).
///
/// Errors: EBM_ERR_NULL_POINTER (inner, params, out, temperatures with temperatures_len > 0),
/// EBM_ERR_INVALID_ARGUMENT (params.struct_size, n_temperatures outside [2,
/// EBM_TEMPERING_MAX_REPLICAS], more temperatures than that, max_temperature <= 1, a
/// ladder not starting at 1 or not increasing, swap_interval < 1, inner itself a replica-exchange
/// sampler), EBM_ERR_NON_FINITE (a NaN or infinite temperature), EBM_ERR_BUSY (inner in use by
/// this thread), EBM_ERR_TORCH.
#[no_mangle]
pub unsafe extern "C" fn ebm_parallel_tempering_new(
    inner: *const ebm_sampler,
    params: *const ebm_tempering_params,
    out: *mut *mut ebm_sampler,
) -> ebm_status {
    call("ebm_parallel_tempering_new", || {
        out_pointer(out, "out")?;
        let inner = unsafe { handle(inner, "inner")? };
        let tempering = unsafe { read(params)?.to_core()? };
        let (energy, method, options) = {
            let inner = inner.lock()?;
            if inner.is_tempered() {
                return Err(Error::invalid("inner", "is already a replica-exchange sampler"));
            }
            (Arc::clone(inner.energy()), inner.method().clone(), *inner.options())
        };
        let sampler = Sampler::tempered(energy, method, options, tempering)?;
        // SAFETY: `out` checked above.
        unsafe {
            store(
                out,
                ebm_sampler::new(Arc::new(Exclusive::new(sampler)), "parallel_tempering"),
            )
        };
        Ok(())
    })
}

/// Writes, per neighbour pair of replicas (k, k+1), the exchanges accepted over those
/// attempted since initialisation, all chains together, into rates_out (len = K - 1 doubles;
/// NaN for a pair not tried yet).
///
/// Errors: EBM_ERR_NULL_POINTER (sampler, rates_out), EBM_ERR_INVALID_ARGUMENT (not a
/// replica-exchange sampler, chains not initialised, len < 0), EBM_ERR_LENGTH_MISMATCH (len).
#[no_mangle]
pub unsafe extern "C" fn ebm_sampler_get_swap_acceptance(
    sampler: *const ebm_sampler,
    rates_out: *mut f64,
    len: i64,
) -> ebm_status {
    call("ebm_sampler_get_swap_acceptance", || {
        let sampler = unsafe { handle(sampler, "sampler")? };
        let len = count("len", len)?;
        let out = unsafe { output(rates_out, "rates_out", len)? };
        let rates = sampler.lock()?.swap_acceptance()?;
        copy_exact_named("len", "neighbour pairs", &rates, out)
    })
}

/// The replicas' temperatures, the sampler's own chains first: writes the first
/// min(capacity, K) values into temperatures_out and K into *length_out. Call with capacity 0
/// (temperatures_out may then be NULL) to learn K.
///
/// Errors: EBM_ERR_NULL_POINTER (sampler, length_out, temperatures_out when capacity > 0),
/// EBM_ERR_INVALID_ARGUMENT (not a replica-exchange sampler, capacity < 0).
#[no_mangle]
pub unsafe extern "C" fn ebm_sampler_get_temperatures(
    sampler: *const ebm_sampler,
    temperatures_out: *mut f64,
    capacity: i64,
    length_out: *mut i64,
) -> ebm_status {
    call("ebm_sampler_get_temperatures", || unsafe {
        write_trace(
            sampler,
            "temperatures_out",
            temperatures_out,
            capacity,
            length_out,
            |s| s.temperatures(),
        )
    })
}
