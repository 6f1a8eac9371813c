use std::f64::consts::{E, PI};

use tch::Tensor;

use super::row_kernel::PointKernel;
use super::{sum_rows, DimSpec, Energy, HostKernel};
use crate::error::{ensure_finite_scalar, Result};

/// TorchEBM 0.8.9's Ackley function in dimension d, any d:
/// E(x) = −a exp(−b √(Σxᵢ²/d)) − exp(Σcos(c xᵢ)/d) + a + e.
///
/// E is not differentiable at the origin (its first term is a cone there); the gradient
/// reported at x = 0 is 0, the minimum-norm subgradient.
#[derive(Debug, Clone)]
pub struct Ackley {
    a: f64,
    b: f64,
    c: f64,
}

/// Radii below this count as the origin when dividing by the radius.
const MIN_RADIUS: f64 = 1e-300;

impl Ackley {
    /// TorchEBM 0.8.9's default depth `a`.
    pub const DEFAULT_A: f64 = 20.0;
    /// TorchEBM 0.8.9's default decay `b`.
    pub const DEFAULT_B: f64 = 0.2;
    /// TorchEBM 0.8.9's default frequency `c` (2π).
    pub const DEFAULT_C: f64 = 2.0 * PI;

    /// An Ackley function with parameters `a`, `b`, `c`.
    pub fn new(a: f64, b: f64, c: f64) -> Result<Self> {
        ensure_finite_scalar("a", a)?;
        ensure_finite_scalar("b", b)?;
        ensure_finite_scalar("c", c)?;
        Ok(Ackley { a, b, c })
    }
}

impl Energy for Ackley {
    fn name(&self) -> &'static str {
        "ackley"
    }

    fn dim_spec(&self) -> DimSpec {
        DimSpec::ANY
    }

    fn energy(&self, x: &Tensor) -> Result<Tensor> {
        let d = x.size()[1] as f64;
        let radius = sum_rows(&x.f_square()?)?.f_div_scalar(d)?.f_sqrt()?;
        let cone = radius.f_mul_scalar(-self.b)?.f_exp()?.f_mul_scalar(-self.a)?;
        let ripple = sum_rows(&x.f_mul_scalar(self.c)?.f_cos()?)?.f_div_scalar(d)?.f_exp()?;
        Ok(cone.f_sub(&ripple)?.f_add_scalar(self.a + E)?)
    }

    fn energy_and_gradient(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let d = x.size()[1] as f64;
        let radius = sum_rows(&x.f_square()?)?.f_div_scalar(d)?.f_sqrt()?;
        let decay = radius.f_mul_scalar(-self.b)?.f_exp()?;
        let ripple = sum_rows(&x.f_mul_scalar(self.c)?.f_cos()?)?.f_div_scalar(d)?.f_exp()?;
        let energy = decay.f_mul_scalar(-self.a)?.f_sub(&ripple)?.f_add_scalar(self.a + E)?;
        // ∂/∂xᵢ = a b e^{−b r} xᵢ / (d r) + e^{Σcos/d} c sin(c xᵢ) / d
        let cone_factor = decay
            .f_div(&radius.f_clamp_min(MIN_RADIUS)?)?
            .f_mul_scalar(self.a * self.b / d)?;
        let ripple_factor = ripple.f_mul_scalar(self.c / d)?;
        let gradient = x
            .f_mul(&cone_factor.f_unsqueeze(1)?)?
            .f_add(&x.f_mul_scalar(self.c)?.f_sin()?.f_mul(&ripple_factor.f_unsqueeze(1)?)?)?;
        Ok((energy, gradient))
    }

    fn host_kernel(&self) -> Option<&dyn HostKernel> {
        Some(self)
    }
}

impl PointKernel for Ackley {
    fn eval_point(&self, x: &[f64], gradient: Option<&mut [f64]>) -> f64 {
        let d = x.len() as f64;
        let radius = (x.iter().map(|xi| xi * xi).sum::<f64>() / d).sqrt();
        let decay = (-self.b * radius).exp();
        let ripple = (x.iter().map(|xi| (self.c * xi).cos()).sum::<f64>() / d).exp();
        if let Some(g) = gradient {
            let cone_factor = self.a * self.b * decay / (d * radius.max(MIN_RADIUS));
            let ripple_factor = ripple * self.c / d;
            for (xi, gi) in x.iter().zip(g) {
                *gi = cone_factor * xi + ripple_factor * (self.c * xi).sin();
            }
        }
        -self.a * decay - ripple + self.a + E
    }
}
