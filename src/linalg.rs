//! Checks and factorisations of covariance matrices, done by libtorch's LAPACK.

use tch::Tensor;

use crate::error::{Error, Result};
use crate::tensor::to_f64_vec;

/// Relative tolerance on |A[i][j] - A[j][i]| for a matrix to count as symmetric.
const SYMMETRY_TOLERANCE: f64 = 1e-10;

/// The inverse of a symmetric positive definite matrix and its log-determinant.
#[derive(Debug, Clone)]
pub struct SpdInverse {
    /// Row-major inverse, exactly symmetric.
    pub inverse: Vec<f64>,
    /// log det of the original matrix.
    pub log_det: f64,
}

/// Inverts the row-major `dim` × `dim` matrix `matrix`, which must be symmetric positive
/// definite. Errors name `arg`, prefixed by `context` (e.g. "component 2: ") when given.
pub fn spd_inverse(arg: &'static str, context: &str, matrix: &[f64], dim: usize) -> Result<SpdInverse> {
    debug_assert_eq!(matrix.len(), dim * dim);
    let not_spd = |reason: String| Error::NotPositiveDefinite {
        arg,
        reason: format!("{context}{reason}"),
    };

    let scale = matrix.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    for i in 0..dim {
        for j in (i + 1)..dim {
            let (upper, lower) = (matrix[i * dim + j], matrix[j * dim + i]);
            if (upper - lower).abs() > SYMMETRY_TOLERANCE * scale {
                return Err(not_spd(format!(
                    "not symmetric: [{i}][{j}] = {upper} but [{j}][{i}] = {lower}"
                )));
            }
        }
    }

    // Not through tensor::from_f64, which loads the CUDA backend first: Gaussian energies are
    // analytic, built by hosts that may never need it, and a CPU factorisation leaves
    // libtorch's device state alone (tests/c/test_lazy_cuda.c checks that CUDA loaded later
    // is still used).
    let tensor = Tensor::f_from_slice(matrix)?.f_reshape([dim as i64, dim as i64])?;
    let (lower, info) = tensor.f_linalg_cholesky_ex(false, false)?;
    let info = info.f_int64_value(&[])?;
    if info != 0 {
        return Err(not_spd(format!(
            "not positive definite (its leading minor of order {info} is not positive)"
        )));
    }
    let diagonal = to_f64_vec(&lower.f_diagonal(0, 0, 1)?)?;
    let log_det = 2.0 * diagonal.iter().map(|d| d.ln()).sum::<f64>();
    let mut inverse = to_f64_vec(&lower.f_cholesky_inverse(false)?)?;
    for i in 0..dim {
        for j in (i + 1)..dim {
            let mean = 0.5 * (inverse[i * dim + j] + inverse[j * dim + i]);
            inverse[i * dim + j] = mean;
            inverse[j * dim + i] = mean;
        }
    }
    if inverse.iter().any(|v| !v.is_finite()) {
        return Err(not_spd("too ill-conditioned to invert in double precision".into()));
    }
    Ok(SpdInverse { inverse, log_det })
}
