use std::f64::consts::PI;

use tch::Tensor;

use super::row_kernel::{separable_sum, PointKernel};
use super::{sum_rows, DimSpec, Energy, HostKernel};
use crate::error::{ensure_finite_scalar, Result};

/// TorchEBM 0.8.9's Rastrigin function, E(x) = a·d + Σᵢ (xᵢ² − a cos(2πxᵢ)), any dimension d.
#[derive(Debug, Clone)]
pub struct Rastrigin {
    a: f64,
}

impl Rastrigin {
    /// TorchEBM 0.8.9's default amplitude.
    pub const DEFAULT_A: f64 = 10.0;

    /// A Rastrigin function with amplitude `a`.
    pub fn new(a: f64) -> Result<Self> {
        ensure_finite_scalar("a", a)?;
        Ok(Rastrigin { a })
    }
}

impl Energy for Rastrigin {
    fn name(&self) -> &'static str {
        "rastrigin"
    }

    fn dim_spec(&self) -> DimSpec {
        DimSpec::ANY
    }

    fn energy(&self, x: &Tensor) -> Result<Tensor> {
        let dim = x.size()[1] as f64;
        let terms = x
            .f_square()?
            .f_sub(&x.f_mul_scalar(2.0 * PI)?.f_cos()?.f_mul_scalar(self.a)?)?;
        Ok(sum_rows(&terms)?.f_add_scalar(self.a * dim)?)
    }

    fn energy_and_gradient(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        // ∂/∂xᵢ = 2xᵢ + 2πa sin(2πxᵢ)
        let sine = x.f_mul_scalar(2.0 * PI)?.f_sin()?;
        let gradient = x.f_mul_scalar(2.0)?.f_add(&sine.f_mul_scalar(2.0 * PI * self.a)?)?;
        Ok((self.energy(x)?, gradient))
    }

    /// ∇²E is diagonal: ∂²E/∂xᵢ² = 2 + 4π² a cos(2π xᵢ).
    fn energy_gradient_hvp(&self, x: &Tensor, v: &Tensor) -> Result<(Tensor, Tensor, Tensor)> {
        let (energy, gradient) = self.energy_and_gradient(x)?;
        let curvature = x
            .f_mul_scalar(2.0 * PI)?
            .f_cos()?
            .f_mul_scalar(4.0 * PI * PI * self.a)?
            .f_add_scalar(2.0)?;
        Ok((energy, gradient, curvature.f_mul(v)?))
    }

    fn host_kernel(&self) -> Option<&dyn HostKernel> {
        Some(self)
    }
}

impl PointKernel for Rastrigin {
    #[inline]
    fn eval_point(&self, x: &[f64], gradient: Option<&mut [f64]>) -> f64 {
        let a = self.a;
        let sum = separable_sum(x, gradient, |xi| {
            let (sine, cosine) = (2.0 * PI * xi).sin_cos();
            (xi * xi - a * cosine, 2.0 * xi + 2.0 * PI * a * sine)
        });
        a * x.len() as f64 + sum
    }
}
