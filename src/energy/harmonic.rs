use tch::Tensor;

use super::row_kernel::{separable_sum, PointKernel};
use super::{sum_rows, DimSpec, Energy, HostKernel};
use crate::error::{ensure_finite_scalar, Result};

/// TorchEBM 0.8.9's harmonic oscillator, E(x) = ½ k Σᵢ xᵢ², any dimension.
#[derive(Debug, Clone)]
pub struct Harmonic {
    k: f64,
}

impl Harmonic {
    /// TorchEBM 0.8.9's default spring constant.
    pub const DEFAULT_K: f64 = 1.0;

    /// A harmonic well with spring constant `k`.
    pub fn new(k: f64) -> Result<Self> {
        ensure_finite_scalar("k", k)?;
        Ok(Harmonic { k })
    }
}

impl Energy for Harmonic {
    fn name(&self) -> &'static str {
        "harmonic"
    }

    fn dim_spec(&self) -> DimSpec {
        DimSpec::ANY
    }

    fn energy(&self, x: &Tensor) -> Result<Tensor> {
        Ok(sum_rows(&x.f_square()?)?.f_mul_scalar(0.5 * self.k)?)
    }

    fn energy_and_gradient(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        Ok((self.energy(x)?, x.f_mul_scalar(self.k)?))
    }

    /// ∇²E = k I.
    fn energy_gradient_hvp(&self, x: &Tensor, v: &Tensor) -> Result<(Tensor, Tensor, Tensor)> {
        let (energy, gradient) = self.energy_and_gradient(x)?;
        Ok((energy, gradient, v.f_mul_scalar(self.k)?))
    }

    fn host_kernel(&self) -> Option<&dyn HostKernel> {
        Some(self)
    }
}

impl PointKernel for Harmonic {
    #[inline]
    fn eval_point(&self, x: &[f64], gradient: Option<&mut [f64]>) -> f64 {
        let k = self.k;
        separable_sum(x, gradient, |xi| (0.5 * k * xi * xi, k * xi))
    }
}
