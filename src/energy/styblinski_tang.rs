use tch::Tensor;

use super::row_kernel::{separable_sum, PointKernel};
use super::{sum_rows, DimSpec, Energy, HostKernel};
use crate::error::Result;

/// TorchEBM 0.8.9's Styblinski–Tang function, E(x) = ½ Σᵢ (xᵢ⁴ − 16xᵢ² + 5xᵢ), any dimension.
#[derive(Debug, Clone, Default)]
pub struct StyblinskiTang;

impl Energy for StyblinskiTang {
    fn name(&self) -> &'static str {
        "styblinski_tang"
    }

    fn dim_spec(&self) -> DimSpec {
        DimSpec::ANY
    }

    fn energy(&self, x: &Tensor) -> Result<Tensor> {
        let x2 = x.f_square()?;
        let terms = x2
            .f_square()?
            .f_sub(&x2.f_mul_scalar(16.0)?)?
            .f_add(&x.f_mul_scalar(5.0)?)?;
        Ok(sum_rows(&terms)?.f_mul_scalar(0.5)?)
    }

    fn energy_and_gradient(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        // ∂/∂xᵢ = 2xᵢ³ − 16xᵢ + 5/2
        let x2 = x.f_square()?;
        let gradient = x.f_mul(&x2.f_mul_scalar(2.0)?.f_sub_scalar(16.0)?)?.f_add_scalar(2.5)?;
        Ok((self.energy(x)?, gradient))
    }

    /// ∇²E is diagonal: ∂²E/∂xᵢ² = 6xᵢ² − 16.
    fn energy_gradient_hvp(&self, x: &Tensor, v: &Tensor) -> Result<(Tensor, Tensor, Tensor)> {
        let (energy, gradient) = self.energy_and_gradient(x)?;
        let curvature = x.f_square()?.f_mul_scalar(6.0)?.f_sub_scalar(16.0)?;
        Ok((energy, gradient, curvature.f_mul(v)?))
    }

    fn host_kernel(&self) -> Option<&dyn HostKernel> {
        Some(self)
    }
}

impl PointKernel for StyblinskiTang {
    #[inline]
    fn eval_point(&self, x: &[f64], gradient: Option<&mut [f64]>) -> f64 {
        separable_sum(x, gradient, |xi| {
            let x2 = xi * xi;
            (0.5 * (x2 * x2 - 16.0 * x2 + 5.0 * xi), 2.0 * x2 * xi - 16.0 * xi + 2.5)
        })
    }
}
