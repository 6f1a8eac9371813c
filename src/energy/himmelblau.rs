use tch::Tensor;

use super::row_kernel::PointKernel;
use super::{DimSpec, Energy, HostKernel};
use crate::error::Result;

/// TorchEBM 0.8.9's Himmelblau function in 2-D, E(x) = (x₁² + x₂ − 11)² + (x₁ + x₂² − 7)².
#[derive(Debug, Clone, Default)]
pub struct Himmelblau;

impl Himmelblau {
    fn residuals(x: &Tensor) -> Result<(Tensor, Tensor, Tensor, Tensor)> {
        let (x1, x2) = (x.f_select(1, 0)?, x.f_select(1, 1)?);
        let u = x1.f_square()?.f_add(&x2)?.f_sub_scalar(11.0)?;
        let v = x1.f_add(&x2.f_square()?)?.f_sub_scalar(7.0)?;
        Ok((x1, x2, u, v))
    }
}

impl Energy for Himmelblau {
    fn name(&self) -> &'static str {
        "himmelblau"
    }

    fn dim_spec(&self) -> DimSpec {
        DimSpec::Exactly(2)
    }

    fn energy(&self, x: &Tensor) -> Result<Tensor> {
        let (_, _, u, v) = Self::residuals(x)?;
        Ok(u.f_square()?.f_add(&v.f_square()?)?)
    }

    fn energy_and_gradient(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let (x1, x2, u, v) = Self::residuals(x)?;
        let g1 = x1.f_mul(&u)?.f_mul_scalar(4.0)?.f_add(&v.f_mul_scalar(2.0)?)?;
        let g2 = u.f_mul_scalar(2.0)?.f_add(&x2.f_mul(&v)?.f_mul_scalar(4.0)?)?;
        Ok((u.f_square()?.f_add(&v.f_square()?)?, Tensor::f_stack(&[g1, g2], 1)?))
    }

    fn host_kernel(&self) -> Option<&dyn HostKernel> {
        Some(self)
    }
}

impl PointKernel for Himmelblau {
    fn eval_point(&self, x: &[f64], gradient: Option<&mut [f64]>) -> f64 {
        let (x1, x2) = (x[0], x[1]);
        let u = x1 * x1 + x2 - 11.0;
        let v = x1 + x2 * x2 - 7.0;
        if let Some(g) = gradient {
            g[0] = 4.0 * x1 * u + 2.0 * v;
            g[1] = 2.0 * u + 4.0 * x2 * v;
        }
        u * u + v * v
    }
}
