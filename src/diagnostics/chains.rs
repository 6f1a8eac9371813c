//! The trajectory's shape, and each coordinate's draws as a (chain, draw) matrix.

use super::MIN_DRAWS;
use crate::error::{Error, Result};
use crate::tensor::Real;

/// The sizes of a (n_draws, n_chains, dim) trajectory, checked on construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub n_draws: usize,
    pub n_chains: usize,
    pub dim: usize,
}

impl Shape {
    /// Checks n_draws >= [`MIN_DRAWS`], n_chains >= 1 and dim >= 1.
    pub fn new(n_draws: usize, n_chains: usize, dim: usize) -> Result<Self> {
        if n_draws < MIN_DRAWS {
            return Err(Error::invalid(
                "n_draws",
                format!("must be >= {MIN_DRAWS}, got {n_draws}"),
            ));
        }
        if n_chains < 1 {
            return Err(Error::invalid("n_chains", format!("must be >= 1, got {n_chains}")));
        }
        if dim < 1 {
            return Err(Error::invalid("dim", format!("must be >= 1, got {dim}")));
        }
        Ok(Shape { n_draws, n_chains, dim })
    }
}

/// Equal-length series stored row after row: `rows` chains of `len` draws.
#[derive(Debug, Clone)]
pub(crate) struct Chains {
    pub rows: usize,
    pub len: usize,
    pub values: Vec<f64>,
}

impl Chains {
    pub fn row(&self, r: usize) -> &[f64] {
        &self.values[r * self.len..(r + 1) * self.len]
    }

    /// The first and last n/2 draws of every chain as separate chains (the middle draw of an
    /// odd-length chain is left out): all first halves, then all second halves.
    pub fn split(&self) -> Chains {
        let half = self.len / 2;
        let mut values = Vec::with_capacity(2 * self.rows * half);
        for r in 0..self.rows {
            values.extend_from_slice(&self.row(r)[..half]);
        }
        for r in 0..self.rows {
            values.extend_from_slice(&self.row(r)[self.len - half..]);
        }
        Chains {
            rows: 2 * self.rows,
            len: half,
            values,
        }
    }

    /// The same chains with `f` applied to every value.
    pub fn map(&self, f: impl Fn(f64) -> f64) -> Chains {
        Chains {
            rows: self.rows,
            len: self.len,
            values: self.values.iter().map(|&v| f(v)).collect(),
        }
    }
}

/// Each coordinate's (n_chains, n_draws) matrix, in f64; rejects NaN and infinities.
pub(crate) fn coordinates<T: Real>(draws: &[T], shape: Shape) -> Result<Vec<Chains>> {
    let Shape { n_draws, n_chains, dim } = shape;
    if draws.len() != n_draws * n_chains * dim {
        return Err(Error::LengthMismatch {
            arg: "draws",
            reason: format!(
                "holds {} values, n_draws * n_chains * dim = {} are needed",
                draws.len(),
                n_draws * n_chains * dim
            ),
        });
    }
    if let Some(i) = draws.iter().position(|v| !v.to_f64().is_finite()) {
        let (t, c, j) = (i / (n_chains * dim), (i / dim) % n_chains, i % dim);
        return Err(Error::NonFinite {
            arg: "draws",
            reason: format!(
                "element [{t}][{c}][{j}] (index {i}) is {}, draws must be finite",
                draws[i].to_f64()
            ),
        });
    }
    // The per-coordinate copy, split halves, ranks and scores, and the FFT's padded spectra.
    crate::memory::ensure_allocatable("draws", &[n_draws, n_chains, dim], 8, 8)?;
    let mut coordinates: Vec<Chains> = (0..dim)
        .map(|_| Chains {
            rows: n_chains,
            len: n_draws,
            values: vec![0.0; n_chains * n_draws],
        })
        .collect();
    for (i, value) in draws.iter().enumerate() {
        let (t, c, j) = (i / (n_chains * dim), (i / dim) % n_chains, i % dim);
        coordinates[j].values[c * n_draws + t] = value.to_f64();
    }
    Ok(coordinates)
}
