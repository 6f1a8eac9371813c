use tch::Tensor;

use super::row_kernel::PointKernel;
use super::{sum_rows, DimSpec, Energy, HostKernel};
use crate::error::{ensure_finite_scalar, Result};

/// TorchEBM 0.8.9's Rosenbrock function,
/// E(x) = Σᵢ₌₁^{d−1} [(a − xᵢ)² + b (xᵢ₊₁ − xᵢ²)²], for dimension d ≥ 2.
#[derive(Debug, Clone)]
pub struct Rosenbrock {
    a: f64,
    b: f64,
}

impl Rosenbrock {
    /// TorchEBM 0.8.9's default `a` (minimum at x = (a, a², ...) for d = 2).
    pub const DEFAULT_A: f64 = 1.0;
    /// TorchEBM 0.8.9's default curvature `b`.
    pub const DEFAULT_B: f64 = 100.0;

    /// A Rosenbrock function with parameters `a` and `b`.
    pub fn new(a: f64, b: f64) -> Result<Self> {
        ensure_finite_scalar("a", a)?;
        ensure_finite_scalar("b", b)?;
        Ok(Rosenbrock { a, b })
    }

    /// (a − xᵢ) and (xᵢ₊₁ − xᵢ²) for i < d − 1, each of shape (n, d − 1).
    fn residuals(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let d = x.size()[1];
        let head = x.f_narrow(1, 0, d - 1)?;
        let tail = x.f_narrow(1, 1, d - 1)?;
        let offset = head.f_neg()?.f_add_scalar(self.a)?;
        let valley = tail.f_sub(&head.f_square()?)?;
        Ok((offset, valley))
    }
}

impl Energy for Rosenbrock {
    fn name(&self) -> &'static str {
        "rosenbrock"
    }

    fn dim_spec(&self) -> DimSpec {
        DimSpec::AtLeast(2)
    }

    fn energy(&self, x: &Tensor) -> Result<Tensor> {
        let (offset, valley) = self.residuals(x)?;
        let terms = offset.f_square()?.f_add(&valley.f_square()?.f_mul_scalar(self.b)?)?;
        sum_rows(&terms)
    }

    fn energy_and_gradient(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let (offset, valley) = self.residuals(x)?;
        let d = x.size()[1];
        let head = x.f_narrow(1, 0, d - 1)?;
        // xᵢ appears as the head of term i and as the tail of term i − 1.
        let from_head = offset
            .f_mul_scalar(-2.0)?
            .f_sub(&head.f_mul(&valley)?.f_mul_scalar(4.0 * self.b)?)?;
        let from_tail = valley.f_mul_scalar(2.0 * self.b)?;
        let zero_column = x.f_narrow(1, 0, 1)?.f_zeros_like()?;
        let gradient =
            Tensor::f_cat(&[&from_head, &zero_column], 1)?.f_add(&Tensor::f_cat(&[&zero_column, &from_tail], 1)?)?;
        let energy = sum_rows(&offset.f_square()?.f_add(&valley.f_square()?.f_mul_scalar(self.b)?)?)?;
        Ok((energy, gradient))
    }

    fn host_kernel(&self) -> Option<&dyn HostKernel> {
        Some(self)
    }
}

impl PointKernel for Rosenbrock {
    fn eval_point(&self, x: &[f64], gradient: Option<&mut [f64]>) -> f64 {
        let mut energy = 0.0;
        match gradient {
            Some(g) => {
                g.fill(0.0);
                for i in 0..x.len() - 1 {
                    let offset = self.a - x[i];
                    let valley = x[i + 1] - x[i] * x[i];
                    energy += offset * offset + self.b * valley * valley;
                    g[i] += -2.0 * offset - 4.0 * self.b * x[i] * valley;
                    g[i + 1] += 2.0 * self.b * valley;
                }
            }
            None => {
                for pair in x.windows(2) {
                    let offset = self.a - pair[0];
                    let valley = pair[1] - pair[0] * pair[0];
                    energy += offset * offset + self.b * valley * valley;
                }
            }
        }
        energy
    }
}
