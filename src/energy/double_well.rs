use tch::Tensor;

use super::row_kernel::{separable_sum, PointKernel};
use super::{sum_rows, DimSpec, Energy, HostKernel};
use crate::error::{ensure_finite_scalar, Result};

/// The specification's double well, E(x) = a · Σᵢ (xᵢ² − b)², any dimension.
///
/// TorchEBM 0.8.9's `DoubleWellModel(barrier_height=h, b=β)` is h · Σᵢ (xᵢ² − β²)²; it is
/// this energy with `a = h`, `b = β²` (its defaults h = 2, β = 1 are a = 2, b = 1).
#[derive(Debug, Clone)]
pub struct DoubleWell {
    a: f64,
    b: f64,
}

impl DoubleWell {
    /// The specification's default scale.
    pub const DEFAULT_A: f64 = 1.0;
    /// The specification's default well parameter (wells at ±√b).
    pub const DEFAULT_B: f64 = 2.0;

    /// A double well with scale `a` and wells at ±√b (for b > 0).
    pub fn new(a: f64, b: f64) -> Result<Self> {
        ensure_finite_scalar("a", a)?;
        ensure_finite_scalar("b", b)?;
        Ok(DoubleWell { a, b })
    }
}

impl Default for DoubleWell {
    fn default() -> Self {
        DoubleWell {
            a: Self::DEFAULT_A,
            b: Self::DEFAULT_B,
        }
    }
}

impl Energy for DoubleWell {
    fn name(&self) -> &'static str {
        "double_well"
    }

    fn dim_spec(&self) -> DimSpec {
        DimSpec::ANY
    }

    fn energy(&self, x: &Tensor) -> Result<Tensor> {
        let well = x.f_square()?.f_sub_scalar(self.b)?;
        Ok(sum_rows(&well.f_square()?)?.f_mul_scalar(self.a)?)
    }

    fn energy_and_gradient(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let well = x.f_square()?.f_sub_scalar(self.b)?;
        let energy = sum_rows(&well.f_square()?)?.f_mul_scalar(self.a)?;
        let gradient = x.f_mul(&well)?.f_mul_scalar(4.0 * self.a)?;
        Ok((energy, gradient))
    }

    /// ∇²E is diagonal: ∂²E/∂xᵢ² = 4a (3xᵢ² − b).
    fn energy_gradient_hvp(&self, x: &Tensor, v: &Tensor) -> Result<(Tensor, Tensor, Tensor)> {
        let (energy, gradient) = self.energy_and_gradient(x)?;
        let curvature = x
            .f_square()?
            .f_mul_scalar(12.0 * self.a)?
            .f_sub_scalar(4.0 * self.a * self.b)?;
        Ok((energy, gradient, curvature.f_mul(v)?))
    }

    fn host_kernel(&self) -> Option<&dyn HostKernel> {
        Some(self)
    }
}

impl PointKernel for DoubleWell {
    #[inline]
    fn eval_point(&self, x: &[f64], gradient: Option<&mut [f64]>) -> f64 {
        let (a, b) = (self.a, self.b);
        separable_sum(x, gradient, |xi| {
            let well = xi * xi - b;
            (a * well * well, 4.0 * a * xi * well)
        })
    }
}
