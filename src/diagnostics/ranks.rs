//! Rank normalisation: pooled average ranks, Blom's normal scores, the median and R's type-7
//! quantile.

use tch::Tensor;

use crate::error::Result;
use crate::tensor::to_f64_vec;

/// 1-based ranks of `values`, ties given the mean of the ranks they span.
pub(crate) fn average_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Positions start..end hold ranks start+1..=end; their mean is exact in f64.
        let rank = (start + 1 + end) as f64 * 0.5;
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        start = end;
    }
    ranks
}

/// Blom's plotting positions (r - 3/8) / (n + 1/4) of the pooled ranks of `values`.
pub(crate) fn blom_positions(values: &[f64]) -> Vec<f64> {
    const OFFSET: f64 = 3.0 / 8.0;
    let denominator = values.len() as f64 - 2.0 * OFFSET + 1.0;
    average_ranks(values)
        .into_iter()
        .map(|r| (r - OFFSET) / denominator)
        .collect()
}

/// The standard normal quantile of every probability in `p` (libtorch's ndtri, the Cephes
/// algorithm that SciPy also uses).
pub(crate) fn normal_quantiles(p: &[f64]) -> Result<Vec<f64>> {
    if p.is_empty() {
        return Ok(Vec::new());
    }
    let tensor = Tensor::f_from_slice(p)?.f_special_ndtri()?;
    to_f64_vec(&tensor)
}

/// The median: the middle value, or the mean of the two middle values.
pub(crate) fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// R's type-7 quantile at probability `p` of values already sorted ascending (at least two),
/// written as SciPy's `mquantiles(alphap=1, betap=1)` computes it, so that draws equal to the
/// quantile compare the same way.
pub(crate) fn quantile_type7(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len() as f64;
    // SciPy's m = alphap + p (1 - alphap - betap) with alphap = betap = 1.
    let m = 1.0 - p;
    let aleph = n * p + m;
    let k = aleph.clamp(1.0, n - 1.0).floor();
    let gamma = (aleph - k).clamp(0.0, 1.0);
    let k = k as usize;
    (1.0 - gamma) * sorted[k - 1] + gamma * sorted[k]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_their_mean_rank() {
        assert_eq!(average_ranks(&[3.0, 1.0, 3.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
    }

    #[test]
    fn type7_interpolates_between_order_statistics() {
        let sorted = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile_type7(&sorted, 0.5), 3.0);
        assert!((quantile_type7(&sorted, 0.05) - 1.2).abs() < 1e-12);
        assert!((quantile_type7(&sorted, 0.95) - 4.8).abs() < 1e-12);
    }

    #[test]
    fn median_of_even_count_is_mean_of_middle_pair() {
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&[4.0, 1.0, 3.0]), 3.0);
    }
}
