//! Split R-hat, and its rank-normalised bulk/tail form.

use super::chains::Chains;
use super::ranks::{blom_positions, median, normal_quantiles};
use crate::error::Result;

/// The potential scale reduction of equal-length chains: sqrt(((n - 1) / n W + B / n) / W),
/// with W the mean within-chain variance and B / n the variance of the chain means (both with
/// denominator count - 1). NaN when every chain is constant at one value (0 / 0).
pub(crate) fn potential_scale_reduction(chains: &Chains) -> f64 {
    let n = chains.len as f64;
    let means: Vec<f64> = (0..chains.rows).map(|r| mean(chains.row(r))).collect();
    let within = (0..chains.rows)
        .map(|r| sample_variance(chains.row(r), means[r]))
        .sum::<f64>()
        / chains.rows as f64;
    let between = n * sample_variance(&means, mean(&means));
    ((between / within + n - 1.0) / n).sqrt()
}

/// Rank-normalised split R-hat of every coordinate into `out`; NaN for all of them when there
/// is a single chain (the between-chain part needs two, as in ArviZ).
pub(crate) fn rank_rhat(coordinates: &[Chains], n_chains: usize, out: &mut [f64]) -> Result<()> {
    if n_chains < 2 {
        out.fill(f64::NAN);
        return Ok(());
    }
    let splits: Vec<Chains> = coordinates.iter().map(Chains::split).collect();
    // Both rank transforms of every coordinate go through one quantile evaluation.
    let mut positions = Vec::new();
    for split in &splits {
        positions.extend(blom_positions(&split.values));
        let centre = median(&split.values);
        let folded: Vec<f64> = split.values.iter().map(|v| (v - centre).abs()).collect();
        positions.extend(blom_positions(&folded));
    }
    let scores = normal_quantiles(&positions)?;
    for (j, split) in splits.iter().enumerate() {
        let size = split.values.len();
        let at = |part: usize| Chains {
            rows: split.rows,
            len: split.len,
            values: scores[(2 * j + part) * size..(2 * j + part + 1) * size].to_vec(),
        };
        let bulk = potential_scale_reduction(&at(0));
        let tail = potential_scale_reduction(&at(1));
        // ArviZ's max(bulk, tail): NaN bulk stays NaN, a NaN tail is ignored.
        out[j] = if tail > bulk { tail } else { bulk };
    }
    Ok(())
}

pub(crate) fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// Variance with denominator count - 1 about the given mean.
pub(crate) fn sample_variance(values: &[f64], mean: f64) -> f64 {
    values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (values.len() as f64 - 1.0)
}
