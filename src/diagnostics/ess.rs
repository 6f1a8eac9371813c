//! Effective sample sizes: Geyer's initial monotone sequence estimator over several chains,
//! and its bulk and tail forms.

use super::autocov::autocovariances;
use super::chains::Chains;
use super::ranks::{blom_positions, normal_quantiles, quantile_type7};
use super::rhat::{mean, sample_variance};
use crate::error::Result;

/// Values spanning less than this are treated as constant (NumPy's f64 `resolution`, ArviZ's
/// test); their effective sample size is the number of values.
const CONSTANT_SPAN: f64 = 1e-15;

/// The effective sample size of `chains` given their autocovariances (row-major (rows, len),
/// from [`autocovariances`]), as in Vehtari et al. (2021): autocorrelations combined across
/// chains through the variance estimate var+, summed in pairs while the pair sums stay
/// positive, made monotone, and tau = -1 + 2 sum rho; the size is rows * len / tau with tau
/// at least 1 / log10(rows * len).
pub(crate) fn geyer_ess(chains: &Chains, acov: &[f64]) -> f64 {
    let (m, n) = (chains.rows, chains.len);
    let size = (m * n) as f64;
    let (low, high) = chains
        .values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    if high - low < CONSTANT_SPAN {
        return size;
    }
    let nf = n as f64;
    let mean_acov = |k: usize| (0..m).map(|r| acov[r * n + k]).sum::<f64>() / m as f64;
    let mean_var = mean_acov(0) * nf / (nf - 1.0);
    let mut var_plus = mean_var * (nf - 1.0) / nf;
    if m > 1 {
        let means: Vec<f64> = (0..m).map(|r| mean(chains.row(r))).collect();
        var_plus += sample_variance(&means, mean(&means));
    }
    let rho_at = |k: usize| 1.0 - (mean_var - mean_acov(k)) / var_plus;

    let mut rho = vec![0.0; n];
    rho[0] = 1.0;
    let mut even = 1.0;
    let mut odd = rho_at(1);
    rho[1] = odd;
    // Initial positive sequence: pairs (t + 1, t + 2) while the previous pair sum is positive.
    let mut t = 1;
    while t + 3 < n && even + odd > 0.0 {
        even = rho_at(t + 1);
        odd = rho_at(t + 2);
        if even + odd >= 0.0 {
            rho[t + 1] = even;
            rho[t + 2] = odd;
        }
        t += 2;
    }
    // The last kept lag is max_t = t - 2 (-1 when no pair was added); index max_t + 1 = t - 1.
    let head = t - 1;
    if even > 0.0 {
        rho[head] = even;
    }
    // Initial monotone sequence: no pair sum above the one before it.
    let mut t = 1;
    while t + 3 <= head {
        if rho[t + 1] + rho[t + 2] > rho[t - 1] + rho[t] {
            rho[t + 1] = (rho[t - 1] + rho[t]) / 2.0;
            rho[t + 2] = rho[t + 1];
        }
        t += 2;
    }
    let tau = -1.0 + 2.0 * rho[..head].iter().sum::<f64>() + rho[head];
    let floor = 1.0 / size.log10();
    let tau = if floor > tau { floor } else { tau };
    if rho.iter().any(|r| r.is_nan()) {
        f64::NAN
    } else {
        size / tau
    }
}

/// Effective sample sizes of several sets of equal-length chains, one FFT for all.
fn ess_of_sets(sets: &[Chains]) -> Result<Vec<f64>> {
    let refs: Vec<&Chains> = sets.iter().collect();
    let acov = autocovariances(&refs)?;
    let mut offset = 0;
    Ok(sets
        .iter()
        .map(|set| {
            let block = set.rows * set.len;
            let ess = geyer_ess(set, &acov[offset..offset + block]);
            offset += block;
            ess
        })
        .collect())
}

/// Bulk effective sample size of every coordinate into `out`.
pub(crate) fn bulk(coordinates: &[Chains], out: &mut [f64]) -> Result<()> {
    let splits: Vec<Chains> = coordinates.iter().map(Chains::split).collect();
    let positions: Vec<f64> = splits.iter().flat_map(|s| blom_positions(&s.values)).collect();
    let scores = normal_quantiles(&positions)?;
    let mut offset = 0;
    let scored: Vec<Chains> = splits
        .iter()
        .map(|s| {
            let size = s.values.len();
            let values = scores[offset..offset + size].to_vec();
            offset += size;
            Chains { values, ..*s }
        })
        .collect();
    out.copy_from_slice(&ess_of_sets(&scored)?);
    Ok(())
}

/// Tail effective sample size of every coordinate into `out`.
pub(crate) fn tail(coordinates: &[Chains], out: &mut [f64]) -> Result<()> {
    let mut sets = Vec::with_capacity(2 * coordinates.len());
    for coordinate in coordinates {
        let mut sorted = coordinate.values.clone();
        sorted.sort_by(f64::total_cmp);
        let split = coordinate.split();
        for p in [0.05, 0.95] {
            let q = quantile_type7(&sorted, p);
            sets.push(split.map(|v| if v <= q { 1.0 } else { 0.0 }));
        }
    }
    let ess = ess_of_sets(&sets)?;
    for (j, value) in out.iter_mut().enumerate() {
        let (low, high) = (ess[2 * j], ess[2 * j + 1]);
        // ArviZ's min(low, high).
        *value = if high < low { high } else { low };
    }
    Ok(())
}
