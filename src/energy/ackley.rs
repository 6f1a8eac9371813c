use std::f64::consts::{E, PI};

use tch::Tensor;

use super::row_kernel::PointKernel;
use super::{sum_rows, DimSpec, Energy, HostKernel};
use crate::error::{ensure_finite_scalar, Result};

/// TorchEBM 0.8.9's Ackley function in dimension d, any d:
/// E(x) = −a exp(−b √(Σxᵢ²/d)) − exp(Σcos(c xᵢ)/d) + a + e.
///
/// E is not differentiable at the origin (its first term is a cone there); the gradient
/// reported at x = 0 is 0, the minimum-norm subgradient, and the Hessian-vector product NaN.
#[derive(Debug, Clone)]
pub struct Ackley {
    a: f64,
    b: f64,
    c: f64,
}

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

    /// Energies, e^{−b r}, the direction x / r (0 at the origin) and e^{Σcos(c xᵢ)/d} of
    /// each row.
    ///
    /// r = √(Σxᵢ²/d) is computed from x / max|xᵢ|, so that it neither underflows (|x| below
    /// 1e-154 in double, 1e-19 in float) nor divides by a clamp: x / r stays exact down to
    /// the smallest subnormal, in every precision.
    fn tensor_terms(&self, x: &Tensor) -> Result<(Tensor, Tensor, Tensor, Tensor)> {
        let d = x.size()[1] as f64;
        let largest = x.f_abs()?.f_amax([1i64].as_slice(), true)?;
        let origin = largest.f_eq(0.0)?;
        let safe_largest = largest.f_masked_fill(&origin, 1.0)?;
        let scaled = x.f_div(&safe_largest)?;
        let scaled_radius = sum_rows(&scaled.f_square()?)?
            .f_div_scalar(d)?
            .f_sqrt()?
            .f_unsqueeze(1)?;
        let safe_scaled_radius = scaled_radius.f_masked_fill(&origin, 1.0)?;
        let direction = scaled.f_div(&safe_scaled_radius)?;
        let radius = scaled_radius.f_mul(&largest)?.f_squeeze_dim(1)?;
        let decay = radius.f_mul_scalar(-self.b)?.f_exp()?;
        let ripple = sum_rows(&x.f_mul_scalar(self.c)?.f_cos()?)?.f_div_scalar(d)?.f_exp()?;
        let energy = decay.f_mul_scalar(-self.a)?.f_sub(&ripple)?.f_add_scalar(self.a + E)?;
        Ok((energy, decay, direction, ripple))
    }
}

/// Σxᵢ² / d as (largest |xᵢ|, √(Σ(xᵢ/largest)²/d)): the radius is their product, and x / r
/// is (x / largest) / the second, both free of underflow.
fn scaled_radius(x: &[f64]) -> (f64, f64) {
    let largest = x.iter().fold(0.0f64, |m, xi| m.max(xi.abs()));
    if largest == 0.0 {
        return (0.0, 0.0);
    }
    let sum: f64 = x.iter().map(|xi| (xi / largest) * (xi / largest)).sum();
    (largest, (sum / x.len() as f64).sqrt())
}

impl Energy for Ackley {
    fn name(&self) -> &'static str {
        "ackley"
    }

    fn dim_spec(&self) -> DimSpec {
        DimSpec::ANY
    }

    fn energy(&self, x: &Tensor) -> Result<Tensor> {
        Ok(self.tensor_terms(x)?.0)
    }

    fn energy_and_gradient(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let (energy, decay, direction, ripple) = self.tensor_terms(x)?;
        let d = x.size()[1] as f64;
        // ∂/∂xᵢ = a b e^{−b r} xᵢ / (d r) + e^{Σcos/d} c sin(c xᵢ) / d, with xᵢ / r taken
        // from the scaled direction (0 at the origin).
        let cone = direction
            .f_mul(&decay.f_unsqueeze(1)?)?
            .f_mul_scalar(self.a * self.b / d)?;
        let ripple_factor = ripple.f_mul_scalar(self.c / d)?;
        let gradient = cone.f_add(&x.f_mul_scalar(self.c)?.f_sin()?.f_mul(&ripple_factor.f_unsqueeze(1)?)?)?;
        Ok((energy, gradient))
    }

    /// H v by double backward through the tensor form: NaN at the origin, where the cone's
    /// curvature a b e^{−b r} / (d r) is unbounded. Energies and gradients come from the
    /// closed form, so that the gradient at the origin is the evaluation's 0 (autograd's own
    /// is NaN there: 0 · ∞ through the square root).
    fn energy_gradient_hvp(&self, x: &Tensor, v: &Tensor) -> Result<(Tensor, Tensor, Tensor)> {
        let (_, _, hvp) = super::hvp::autograd_hvp(x, v, |input| self.energy(input))?;
        let (energy, gradient) = self.energy_and_gradient(x)?;
        Ok((energy, gradient, hvp))
    }

    fn host_kernel(&self) -> Option<&dyn HostKernel> {
        Some(self)
    }
}

impl PointKernel for Ackley {
    fn eval_point(&self, x: &[f64], gradient: Option<&mut [f64]>) -> f64 {
        let d = x.len() as f64;
        let (largest, scaled_radius) = scaled_radius(x);
        let decay = (-self.b * largest * scaled_radius).exp();
        let ripple = (x.iter().map(|xi| (self.c * xi).cos()).sum::<f64>() / d).exp();
        if let Some(g) = gradient {
            let cone_factor = self.a * self.b * decay / d;
            let ripple_factor = ripple * self.c / d;
            for (xi, gi) in x.iter().zip(g) {
                // xᵢ / r = (xᵢ / largest) / scaled_radius; 0 at the origin.
                let direction = if largest == 0.0 {
                    0.0
                } else {
                    (xi / largest) / scaled_radius
                };
                *gi = cone_factor * direction + ripple_factor * (self.c * xi).sin();
            }
        }
        -self.a * decay - ripple + self.a + E
    }
}
