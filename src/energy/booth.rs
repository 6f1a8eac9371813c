use tch::Tensor;

use super::row_kernel::PointKernel;
use super::{DimSpec, Energy, HostKernel};
use crate::error::Result;

/// TorchEBM 0.8.9's Booth function in 2-D, E(x) = (x₁ + 2x₂ − 7)² + (2x₁ + x₂ − 5)².
#[derive(Debug, Clone, Default)]
pub struct Booth;

impl Booth {
    fn residuals(x: &Tensor) -> Result<(Tensor, Tensor)> {
        let (x1, x2) = (x.f_select(1, 0)?, x.f_select(1, 1)?);
        let u = x1.f_add(&x2.f_mul_scalar(2.0)?)?.f_sub_scalar(7.0)?;
        let v = x1.f_mul_scalar(2.0)?.f_add(&x2)?.f_sub_scalar(5.0)?;
        Ok((u, v))
    }
}

impl Energy for Booth {
    fn name(&self) -> &'static str {
        "booth"
    }

    fn dim_spec(&self) -> DimSpec {
        DimSpec::Exactly(2)
    }

    fn energy(&self, x: &Tensor) -> Result<Tensor> {
        let (u, v) = Self::residuals(x)?;
        Ok(u.f_square()?.f_add(&v.f_square()?)?)
    }

    fn energy_and_gradient(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let (u, v) = Self::residuals(x)?;
        let g1 = u.f_mul_scalar(2.0)?.f_add(&v.f_mul_scalar(4.0)?)?;
        let g2 = u.f_mul_scalar(4.0)?.f_add(&v.f_mul_scalar(2.0)?)?;
        Ok((u.f_square()?.f_add(&v.f_square()?)?, Tensor::f_stack(&[g1, g2], 1)?))
    }

    /// ∇²E = [[10, 8], [8, 10]] everywhere.
    fn energy_gradient_hvp(&self, x: &Tensor, v: &Tensor) -> Result<(Tensor, Tensor, Tensor)> {
        let (energy, gradient) = self.energy_and_gradient(x)?;
        let (v1, v2) = (v.f_select(1, 0)?, v.f_select(1, 1)?);
        let h1 = v1.f_mul_scalar(10.0)?.f_add(&v2.f_mul_scalar(8.0)?)?;
        let h2 = v1.f_mul_scalar(8.0)?.f_add(&v2.f_mul_scalar(10.0)?)?;
        Ok((energy, gradient, Tensor::f_stack(&[h1, h2], 1)?))
    }

    fn host_kernel(&self) -> Option<&dyn HostKernel> {
        Some(self)
    }
}

impl PointKernel for Booth {
    fn eval_point(&self, x: &[f64], gradient: Option<&mut [f64]>) -> f64 {
        let u = x[0] + 2.0 * x[1] - 7.0;
        let v = 2.0 * x[0] + x[1] - 5.0;
        if let Some(g) = gradient {
            g[0] = 2.0 * u + 4.0 * v;
            g[1] = 4.0 * u + 2.0 * v;
        }
        u * u + v * v
    }
}
