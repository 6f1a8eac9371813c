use tch::Tensor;

use super::evaluate::matvec_host_is_faster;
use super::row_kernel::PointKernel;
use super::{sum_rows, DimSpec, Energy, HostKernel};
use crate::error::{ensure_finite, Error, Result};
use crate::linalg::spd_inverse;
use crate::tensor::ParamCache;

/// The specification's Gaussian energy, E(x) = ½ (x − μ)ᵀ Σ⁻¹ (x − μ), without the
/// normalising constant (as in the specification and TorchEBM).
pub struct Gaussian {
    dim: usize,
    mean: Vec<f64>,
    precision: Vec<f64>,
    /// `[mean (dim,), precision (dim, dim)]` on each device used.
    params: ParamCache,
}

impl Gaussian {
    /// A Gaussian with mean `mean` (length d ≥ 1) and row-major covariance `cov` (d × d,
    /// symmetric positive definite).
    pub fn new(mean: &[f64], cov: &[f64]) -> Result<Self> {
        let dim = mean.len();
        if dim == 0 {
            return Err(Error::invalid("mean", "must have at least one element"));
        }
        if cov.len() != dim * dim {
            return Err(Error::LengthMismatch {
                arg: "cov",
                reason: format!("has {} elements, a {dim} x {dim} matrix has {}", cov.len(), dim * dim),
            });
        }
        // The precision, its Cholesky factor and their tensor copies.
        crate::memory::ensure_allocatable("cov", &[dim, dim], std::mem::size_of::<f64>(), 4)?;
        ensure_finite("mean", mean)?;
        ensure_finite("cov", cov)?;
        let precision = spd_inverse("cov", "", cov, dim)?.inverse;
        let params = ParamCache::new(vec![
            (mean.to_vec(), vec![dim as i64]),
            (precision.clone(), vec![dim as i64, dim as i64]),
        ]);
        Ok(Gaussian {
            dim,
            mean: mean.to_vec(),
            precision,
            params,
        })
    }

    /// (x − μ) and Σ⁻¹(x − μ) for every row of `x`.
    fn centered(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let [mean, precision] = <[Tensor; 2]>::try_from(self.params.get(x.device(), x.kind())?)
            .unwrap_or_else(|_| unreachable!("the Gaussian caches two parameters"));
        let centered = x.f_sub(&mean)?;
        // Σ⁻¹ is symmetric, so the row form (x − μ)ᵀ Σ⁻¹ equals Σ⁻¹ (x − μ).
        let pulled = centered.f_matmul(&precision)?;
        Ok((centered, pulled))
    }
}

impl Energy for Gaussian {
    fn name(&self) -> &'static str {
        "gaussian"
    }

    fn dim_spec(&self) -> DimSpec {
        DimSpec::Exactly(self.dim)
    }

    fn energy(&self, x: &Tensor) -> Result<Tensor> {
        let (centered, pulled) = self.centered(x)?;
        Ok(sum_rows(&centered.f_mul(&pulled)?)?.f_mul_scalar(0.5)?)
    }

    fn energy_and_gradient(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let (centered, pulled) = self.centered(x)?;
        let energy = sum_rows(&centered.f_mul(&pulled)?)?.f_mul_scalar(0.5)?;
        Ok((energy, pulled))
    }

    /// ∇²E = Σ⁻¹ everywhere (symmetric, so vᵀ Σ⁻¹ is Σ⁻¹ v as a row).
    fn energy_gradient_hvp(&self, x: &Tensor, v: &Tensor) -> Result<(Tensor, Tensor, Tensor)> {
        let (energy, gradient) = self.energy_and_gradient(x)?;
        let precision = &self.params.get(x.device(), x.kind())?[1];
        Ok((energy, gradient, v.f_matmul(precision)?))
    }

    fn host_kernel(&self) -> Option<&dyn HostKernel> {
        Some(self)
    }
}

impl PointKernel for Gaussian {
    fn host_is_faster(&self, points: usize, dim: usize) -> bool {
        matvec_host_is_faster(points, dim, 1)
    }

    fn eval_point(&self, x: &[f64], mut gradient: Option<&mut [f64]>) -> f64 {
        let d = self.dim;
        let mut twice_energy = 0.0;
        for i in 0..d {
            let row = &self.precision[i * d..(i + 1) * d];
            let pulled: f64 = row
                .iter()
                .zip(x)
                .zip(&self.mean)
                .map(|((p, xj), mj)| p * (xj - mj))
                .sum();
            twice_energy += (x[i] - self.mean[i]) * pulled;
            if let Some(g) = gradient.as_deref_mut() {
                g[i] = pulled;
            }
        }
        0.5 * twice_energy
    }
}
