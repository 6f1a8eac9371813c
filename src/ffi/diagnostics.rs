//! Convergence diagnostics of a trajectory buffer: rank-normalised split R-hat, bulk and tail
//! effective sample sizes, autocorrelations.

use super::args::{count, dimension, disjoint, element_count, input, output, span};
use super::guard::call;
use super::status::ebm_status;
use crate::diagnostics::{self, Shape};
use crate::error::Result;
use crate::tensor::Real;

/// The checked shape and the draws buffer of a diagnostics call.
unsafe fn draws_input<'a, T: Real>(draws: *const T, n_draws: i64, n_chains: i64, dim: i64) -> Result<(&'a [T], Shape)> {
    let shape = Shape::new(
        count("n_draws", n_draws)?,
        dimension("n_chains", n_chains)?,
        dimension("dim", dim)?,
    )?;
    let len = element_count::<T>("n_draws * n_chains * dim", &[shape.n_draws, shape.n_chains, shape.dim])?;
    let values = unsafe { input(draws, "draws", len)? };
    Ok((values, shape))
}

type PerCoordinate<T> = fn(&[T], Shape, &mut [f64]) -> Result<()>;

/// Checks the arguments of a one-value-per-coordinate diagnostic and runs it.
unsafe fn per_coordinate<T: Real>(
    draws: *const T,
    n_draws: i64,
    n_chains: i64,
    dim: i64,
    out: *mut f64,
    out_name: &'static str,
    compute: PerCoordinate<T>,
) -> Result<()> {
    let (values, shape) = unsafe { draws_input(draws, n_draws, n_chains, dim)? };
    disjoint(&[span("draws", draws, values.len()), span(out_name, out, shape.dim)])?;
    let out = unsafe { output(out, out_name, shape.dim)? };
    compute(values, shape, out)
}

/// Rank-normalised split R-hat of each coordinate of a trajectory (Vehtari et al. 2021;
/// ArviZ's az.rhat(method="rank")): every chain is split into its first and last
/// floor(n_draws / 2) draws (the middle draw of an odd n_draws is left out); the bulk R-hat is
/// the classic R-hat of the normal scores Phi^-1((r - 3/8) / (S + 1/4)) of the pooled average
/// ranks r of the S split draws, the tail R-hat the same of the draws folded about their
/// median, |x - median|; the result is the larger of the two.
///
/// draws: n_draws * n_chains * dim floats, row-major (n_draws, n_chains, dim) exactly as
/// ebm_sampler_run_trajectory_f32 writes it: element [t][c][j] is
/// draws[(t * n_chains + c) * dim + j] (a Julia Array of size (dim, n_chains, n_draws)).
/// Values are widened to double. rhat_out: dim doubles. Values near 1 indicate mixed chains;
/// above 1.01 is the usual warning sign.
///
/// NaN results: every coordinate when n_chains = 1 (the between-chain variance needs two
/// chains, as in ArviZ), and a coordinate whose draws are all equal.
///
/// Errors: EBM_ERR_NULL_POINTER (draws, rhat_out), EBM_ERR_INVALID_ARGUMENT (n_draws < 4,
/// n_chains < 1, dim < 1, misaligned or overlapping buffers), EBM_ERR_SIZE_OVERFLOW
/// (n_draws * n_chains * dim), EBM_ERR_NON_FINITE (a NaN or infinite value in draws; the
/// message gives its [t][c][j]), EBM_ERR_OUT_OF_MEMORY, EBM_ERR_TORCH.
///
/// Example, a complete program (make test-header-examples compiles and runs it):
///
/// ```c
/// #include <stdio.h>
/// #include "torchebm.h"
///
/// int main(void) {
///     enum { DRAWS = 500, CHAINS = 4, DIM = 2 };
///     ebm_energy *bowl = NULL;
///     ebm_sampler *sampler = NULL;
///     ebm_mala_params params = ebm_mala_default_params();
///     params.step_size = 0.5;
///     static double trajectory[DRAWS * CHAINS * DIM]; // [draw][chain][coordinate]
///     double rhat[DIM], ess[DIM];
///     if (ebm_energy_harmonic_new(1.0, &bowl) || ebm_mala_new(bowl, &params, &sampler) ||
///         ebm_sampler_init_f64(sampler, NULL, CHAINS, DIM) || ebm_sampler_run(sampler, 100) ||
///         ebm_sampler_run_trajectory_f64(sampler, DRAWS, 1, trajectory, DRAWS * CHAINS * DIM) ||
///         ebm_diagnostics_rhat_f64(trajectory, DRAWS, CHAINS, DIM, rhat) ||
///         ebm_diagnostics_ess_bulk_f64(trajectory, DRAWS, CHAINS, DIM, ess)) {
///         fprintf(stderr, "%s\n", ebm_last_error_message());
///         return 1;
///     }
///     printf("R-hat %.3f %.3f, bulk ESS %.0f %.0f of %d draws\n", rhat[0], rhat[1], ess[0], ess[1],
///            DRAWS * CHAINS);
///     ebm_sampler_free(sampler);
///     ebm_energy_free(bowl);
///     return rhat[0] < 1.05 && rhat[1] < 1.05 && ess[0] > 100 ? 0 : 1;
/// }
/// ```
#[no_mangle]
pub unsafe extern "C" fn ebm_diagnostics_rhat_f32(
    draws: *const f32,
    n_draws: i64,
    n_chains: i64,
    dim: i64,
    rhat_out: *mut f64,
) -> ebm_status {
    call("ebm_diagnostics_rhat_f32", || unsafe {
        per_coordinate(draws, n_draws, n_chains, dim, rhat_out, "rhat_out", diagnostics::rhat)
    })
}

/// ebm_diagnostics_rhat_f32 with draws of doubles.
#[no_mangle]
pub unsafe extern "C" fn ebm_diagnostics_rhat_f64(
    draws: *const f64,
    n_draws: i64,
    n_chains: i64,
    dim: i64,
    rhat_out: *mut f64,
) -> ebm_status {
    call("ebm_diagnostics_rhat_f64", || unsafe {
        per_coordinate(draws, n_draws, n_chains, dim, rhat_out, "rhat_out", diagnostics::rhat)
    })
}

/// Bulk effective sample size of each coordinate of a trajectory (Vehtari et al. 2021;
/// ArviZ's az.ess(method="bulk")): Geyer's initial monotone sequence estimator applied to the
/// normal scores of the pooled ranks of the split chains (see ebm_diagnostics_rhat_f32), i.e.
/// S / tau with S = 2 * n_chains * floor(n_draws / 2) and tau = -1 + 2 * (sum of the
/// autocorrelations combined across chains, truncated where consecutive pair sums turn
/// negative, made non-increasing), tau at least 1 / log10(S). Autocovariances are computed
/// with libtorch's FFT. A coordinate whose draws are all equal gets S, as in ArviZ.
///
/// draws: as for ebm_diagnostics_rhat_f32. ess_out: dim doubles.
///
/// Errors: as ebm_diagnostics_rhat_f32, with ess_out for rhat_out.
#[no_mangle]
pub unsafe extern "C" fn ebm_diagnostics_ess_bulk_f32(
    draws: *const f32,
    n_draws: i64,
    n_chains: i64,
    dim: i64,
    ess_out: *mut f64,
) -> ebm_status {
    call("ebm_diagnostics_ess_bulk_f32", || unsafe {
        per_coordinate(draws, n_draws, n_chains, dim, ess_out, "ess_out", diagnostics::ess_bulk)
    })
}

/// ebm_diagnostics_ess_bulk_f32 with draws of doubles.
#[no_mangle]
pub unsafe extern "C" fn ebm_diagnostics_ess_bulk_f64(
    draws: *const f64,
    n_draws: i64,
    n_chains: i64,
    dim: i64,
    ess_out: *mut f64,
) -> ebm_status {
    call("ebm_diagnostics_ess_bulk_f64", || unsafe {
        per_coordinate(draws, n_draws, n_chains, dim, ess_out, "ess_out", diagnostics::ess_bulk)
    })
}

/// Tail effective sample size of each coordinate of a trajectory (Vehtari et al. 2021;
/// ArviZ's az.ess(method="tail")): the smaller of the effective sample sizes (the estimator
/// of ebm_diagnostics_ess_bulk_f32, without rank normalisation) of the split chains of the
/// indicators draw <= q, for q the 5% and the 95% quantiles (R's type 7) of all
/// n_draws * n_chains draws of the coordinate. A coordinate whose draws are all equal gets
/// 2 * n_chains * floor(n_draws / 2), as in ArviZ.
///
/// draws: as for ebm_diagnostics_rhat_f32. ess_out: dim doubles.
///
/// Errors: as ebm_diagnostics_rhat_f32, with ess_out for rhat_out.
#[no_mangle]
pub unsafe extern "C" fn ebm_diagnostics_ess_tail_f32(
    draws: *const f32,
    n_draws: i64,
    n_chains: i64,
    dim: i64,
    ess_out: *mut f64,
) -> ebm_status {
    call("ebm_diagnostics_ess_tail_f32", || unsafe {
        per_coordinate(draws, n_draws, n_chains, dim, ess_out, "ess_out", diagnostics::ess_tail)
    })
}

/// ebm_diagnostics_ess_tail_f32 with draws of doubles.
#[no_mangle]
pub unsafe extern "C" fn ebm_diagnostics_ess_tail_f64(
    draws: *const f64,
    n_draws: i64,
    n_chains: i64,
    dim: i64,
    ess_out: *mut f64,
) -> ebm_status {
    call("ebm_diagnostics_ess_tail_f64", || unsafe {
        per_coordinate(draws, n_draws, n_chains, dim, ess_out, "ess_out", diagnostics::ess_tail)
    })
}

unsafe fn autocorrelation<T: Real>(
    draws: *const T,
    n_draws: i64,
    n_chains: i64,
    dim: i64,
    max_lag: i64,
    out: *mut f64,
) -> Result<()> {
    let (values, shape) = unsafe { draws_input(draws, n_draws, n_chains, dim)? };
    let max_lag = diagnostics::check_max_lag(count("max_lag", max_lag)?, shape)?;
    let len = element_count::<f64>("(max_lag + 1) * dim", &[max_lag + 1, shape.dim])?;
    disjoint(&[
        span("draws", draws, values.len()),
        span("autocorrelation_out", out, len),
    ])?;
    let out = unsafe { output(out, "autocorrelation_out", len)? };
    diagnostics::autocorrelation(values, shape, max_lag, out)
}

/// Autocorrelations of each coordinate of a trajectory at lags 0..max_lag, averaged over
/// chains: autocorrelation_out[k * dim + j] = (1 / n_chains) * sum over chains c of
/// rho_c,j(k), where rho_c,j(k) = gamma(k) / gamma(0) and gamma(k) = (1 / n_draws) *
/// sum_{t=0}^{n_draws-1-k} (x[t] - m)(x[t+k] - m) for x[t] = draws[t][c][j] and m its mean
/// over t (ArviZ's az.autocorr of each chain). Lag 0 is 1. A chain whose draws are all equal
/// has NaN autocorrelations (0 / 0), which make the coordinate's mean NaN. Autocovariances
/// are computed with libtorch's FFT.
///
/// draws: as for ebm_diagnostics_rhat_f32. autocorrelation_out: (max_lag + 1) * dim doubles,
/// row-major (max_lag + 1, dim) (a Julia (dim, max_lag + 1) Matrix).
///
/// Errors: as ebm_diagnostics_rhat_f32 (with autocorrelation_out for rhat_out), plus
/// EBM_ERR_INVALID_ARGUMENT (max_lag < 0 or max_lag >= n_draws), EBM_ERR_SIZE_OVERFLOW
/// ((max_lag + 1) * dim).
#[no_mangle]
pub unsafe extern "C" fn ebm_diagnostics_autocorrelation_f32(
    draws: *const f32,
    n_draws: i64,
    n_chains: i64,
    dim: i64,
    max_lag: i64,
    autocorrelation_out: *mut f64,
) -> ebm_status {
    call("ebm_diagnostics_autocorrelation_f32", || unsafe {
        autocorrelation(draws, n_draws, n_chains, dim, max_lag, autocorrelation_out)
    })
}

/// ebm_diagnostics_autocorrelation_f32 with draws of doubles.
#[no_mangle]
pub unsafe extern "C" fn ebm_diagnostics_autocorrelation_f64(
    draws: *const f64,
    n_draws: i64,
    n_chains: i64,
    dim: i64,
    max_lag: i64,
    autocorrelation_out: *mut f64,
) -> ebm_status {
    call("ebm_diagnostics_autocorrelation_f64", || unsafe {
        autocorrelation(draws, n_draws, n_chains, dim, max_lag, autocorrelation_out)
    })
}
