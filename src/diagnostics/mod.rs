//! Convergence diagnostics of a sampler trajectory: rank-normalised split R-hat, bulk and
//! tail effective sample sizes (Vehtari, Gelman, Simpson, Carpenter and Buerkner 2021,
//! "Rank-normalization, folding, and localization: an improved R-hat"), and per-coordinate
//! autocorrelations. The estimators follow ArviZ's definitions (`az.rhat(method="rank")`,
//! `az.ess(method="bulk" | "tail")`, `az.autocorr`) so that results can be checked against it.
//!
//! Input layout is the sampler trajectory's: row-major (n_draws, n_chains, dim), element
//! [t][c][j] at `draws[(t * n_chains + c) * dim + j]`. Every value is widened to f64 first.

mod autocov;
mod chains;
mod ess;
mod ranks;
mod rhat;

use crate::error::{Error, Result};
use crate::tensor::Real;

pub use chains::Shape;

/// The fewest draws per chain accepted: split chains then hold at least two draws each, the
/// least for which a within-chain variance exists (ArviZ returns NaN below it).
pub const MIN_DRAWS: usize = 4;

/// Rank-normalised split R-hat of each coordinate into `out` (`dim` values): the larger of
/// the bulk R-hat (split R-hat of the normal scores of the pooled ranks) and the tail R-hat
/// (the same of the draws folded about their median). NaN with a single chain, or for a
/// coordinate whose draws are all equal.
pub fn rhat<T: Real>(draws: &[T], shape: Shape, out: &mut [f64]) -> Result<()> {
    let coordinates = chains::coordinates(draws, shape)?;
    check_out(out, shape.dim)?;
    rhat::rank_rhat(&coordinates, shape.n_chains, out)
}

/// Bulk effective sample size of each coordinate into `out` (`dim` values): Geyer's initial
/// monotone sequence estimator on the normal scores of the split chains' pooled ranks.
pub fn ess_bulk<T: Real>(draws: &[T], shape: Shape, out: &mut [f64]) -> Result<()> {
    let coordinates = chains::coordinates(draws, shape)?;
    check_out(out, shape.dim)?;
    ess::bulk(&coordinates, out)
}

/// Tail effective sample size of each coordinate into `out` (`dim` values): the smaller of
/// the effective sample sizes of the indicators draw <= q(0.05) and draw <= q(0.95), with the
/// quantiles q (R's type 7) of all the coordinate's draws.
pub fn ess_tail<T: Real>(draws: &[T], shape: Shape, out: &mut [f64]) -> Result<()> {
    let coordinates = chains::coordinates(draws, shape)?;
    check_out(out, shape.dim)?;
    ess::tail(&coordinates, out)
}

/// Autocorrelations at lags 0..=max_lag into `out`, row-major (max_lag + 1, dim):
/// `out[k * dim + j]` is the mean over chains of each chain's lag-k autocorrelation of
/// coordinate j, with the biased autocovariance (sum over t of (x[t] - m)(x[t + k] - m),
/// divided by n_draws) over its lag-0 value. A constant chain has NaN autocorrelations
/// (0 / 0), and so has their mean.
pub fn autocorrelation<T: Real>(draws: &[T], shape: Shape, max_lag: usize, out: &mut [f64]) -> Result<()> {
    check_max_lag(max_lag, shape)?;
    let coordinates = chains::coordinates(draws, shape)?;
    check_out(out, (max_lag + 1) * shape.dim)?;
    autocov::mean_autocorrelation(&coordinates, max_lag, out)
}

/// `max_lag` if it is a lag the draws have (below n_draws).
pub fn check_max_lag(max_lag: usize, shape: Shape) -> Result<usize> {
    if max_lag >= shape.n_draws {
        return Err(Error::invalid(
            "max_lag",
            format!("must be < n_draws ({}), got {max_lag}", shape.n_draws),
        ));
    }
    Ok(max_lag)
}

fn check_out(out: &[f64], expected: usize) -> Result<()> {
    if out.len() != expected {
        return Err(Error::LengthMismatch {
            arg: "out",
            reason: format!("holds {} values, {expected} are needed", out.len()),
        });
    }
    Ok(())
}
