//! Autocovariances of many series at once through libtorch's FFT, and per-coordinate mean
//! autocorrelations.

use tch::Tensor;

use super::chains::Chains;
use crate::error::Result;
use crate::tensor::to_f64_vec;

/// The biased autocovariances of every row of every `Chains` (all of one length), lags
/// 0..len: row-major (total rows, len). Each row's mean is subtracted first; lag k is
/// sum_t (x[t] - m)(x[t + k] - m) / len, computed as the inverse FFT of the power spectrum of
/// the row zero-padded to at least 2 len, which makes the circular correlation linear.
pub(crate) fn autocovariances(sets: &[&Chains]) -> Result<Vec<f64>> {
    let len = sets.first().map_or(0, |s| s.len);
    let rows: usize = sets.iter().map(|s| s.rows).sum();
    if rows == 0 || len == 0 {
        return Ok(Vec::new());
    }
    let mut centred = Vec::with_capacity(rows * len);
    for set in sets {
        debug_assert_eq!(set.len, len);
        for r in 0..set.rows {
            let row = set.row(r);
            let mean = row.iter().sum::<f64>() / len as f64;
            centred.extend(row.iter().map(|v| v - mean));
        }
    }
    let padded = (2 * len).next_power_of_two() as i64;
    let series = Tensor::f_from_slice(&centred)?.f_reshape([rows as i64, len as i64])?;
    let spectrum = series.f_fft_rfft(padded, -1, "backward")?;
    let power = spectrum.f_mul(&spectrum.f_conj()?)?;
    let covariance = power
        .f_fft_irfft(padded, -1, "backward")?
        .f_narrow(1, 0, len as i64)?
        .f_div_scalar(len as f64)?;
    to_f64_vec(&covariance)
}

/// out[k * dim + j]: the mean over chains of each chain's lag-k autocorrelation of
/// coordinate j, for k in 0..=max_lag.
pub(crate) fn mean_autocorrelation(coordinates: &[Chains], max_lag: usize, out: &mut [f64]) -> Result<()> {
    let dim = coordinates.len();
    let sets: Vec<&Chains> = coordinates.iter().collect();
    let covariance = autocovariances(&sets)?;
    for (j, coordinate) in coordinates.iter().enumerate() {
        let (rows, len) = (coordinate.rows, coordinate.len);
        for k in 0..=max_lag {
            let mut sum = 0.0;
            for r in 0..rows {
                let row = &covariance[(j * rows + r) * len..(j * rows + r + 1) * len];
                sum += if is_constant(coordinate.row(r)) {
                    // The exact 0 / 0: a rounded mean would leave noise of order 1e-17 instead.
                    f64::NAN
                } else {
                    row[k] / row[0]
                };
            }
            out[k * dim + j] = sum / rows as f64;
        }
    }
    Ok(())
}

fn is_constant(row: &[f64]) -> bool {
    row.iter().all(|&v| v == row[0])
}
