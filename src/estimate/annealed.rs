//! The geometric path between a Gaussian base and a target energy, as an energy whose
//! position on the path can change between sampler steps.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tch::Tensor;

use crate::energy::{sum_rows, DimSpec, Energy, HostKernel};
use crate::error::Result;

/// E_β(x) = (1 − β) E₀(x) + β E(x), with E₀(x) = |x|² / (2σ²) the energy of N(0, σ²I).
///
/// β lives in an atomic so that the annealing loop can move it while a sampler holds the
/// energy; samplers read it at every evaluation, so it must only change between their runs.
pub struct AnnealedEnergy {
    target: Arc<dyn Energy>,
    /// 1 / σ² of the base.
    base_precision: f64,
    /// β's bits.
    beta: AtomicU64,
}

impl AnnealedEnergy {
    /// The path from N(0, `base_std`² I) to `target`, at β = 0.
    pub fn new(target: Arc<dyn Energy>, base_std: f64) -> Self {
        AnnealedEnergy {
            target,
            base_precision: 1.0 / (base_std * base_std),
            beta: AtomicU64::new(0f64.to_bits()),
        }
    }

    /// The current β.
    pub fn beta(&self) -> f64 {
        f64::from_bits(self.beta.load(Ordering::Relaxed))
    }

    /// Moves along the path; takes effect at the next evaluation.
    pub fn set_beta(&self, beta: f64) {
        self.beta.store(beta.to_bits(), Ordering::Relaxed);
    }

    /// E₀ at one point.
    pub fn base_energy(&self, x: &[f64]) -> f64 {
        0.5 * self.base_precision * x.iter().map(|v| v * v).sum::<f64>()
    }
}

impl Energy for AnnealedEnergy {
    fn name(&self) -> &'static str {
        "annealed"
    }

    fn dim_spec(&self) -> DimSpec {
        self.target.dim_spec()
    }

    fn energy(&self, x: &Tensor) -> Result<Tensor> {
        let beta = self.beta();
        let base = sum_rows(&x.f_square()?)?.f_mul_scalar(0.5 * self.base_precision * (1.0 - beta))?;
        if beta == 0.0 {
            // Not 0 · E(x): a target that is infinite somewhere must not turn the base into NaN.
            return Ok(base);
        }
        Ok(base.f_add(&self.target.energy(x)?.f_mul_scalar(beta)?)?)
    }

    fn energy_and_gradient(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let beta = self.beta();
        let scale = self.base_precision * (1.0 - beta);
        let base = sum_rows(&x.f_square()?)?.f_mul_scalar(0.5 * scale)?;
        let base_gradient = x.f_mul_scalar(scale)?;
        if beta == 0.0 {
            return Ok((base, base_gradient));
        }
        let (energy, gradient) = self.target.energy_and_gradient(x)?;
        Ok((
            base.f_add(&energy.f_mul_scalar(beta)?)?,
            base_gradient.f_add(&gradient.f_mul_scalar(beta)?)?,
        ))
    }

    fn host_kernel(&self) -> Option<&dyn HostKernel> {
        self.target.host_kernel().map(|_| self as &dyn HostKernel)
    }

    fn prefers_host(&self) -> bool {
        self.target.prefers_host()
    }
}

impl HostKernel for AnnealedEnergy {
    fn eval_host(
        &self,
        x: &[f64],
        dim: usize,
        energy_out: &mut [f64],
        mut gradient_out: Option<&mut [f64]>,
    ) -> Result<()> {
        let beta = self.beta();
        if beta != 0.0 {
            let kernel = self.target.host_kernel().expect("offered only when the target has one");
            kernel.eval_host(x, dim, energy_out, gradient_out.as_deref_mut())?;
        }
        let scale = self.base_precision * (1.0 - beta);
        for (i, (row, energy)) in x.chunks(dim).zip(energy_out.iter_mut()).enumerate() {
            let base = 0.5 * scale * row.iter().map(|v| v * v).sum::<f64>();
            *energy = if beta == 0.0 { base } else { base + beta * *energy };
            if let Some(gradient) = gradient_out.as_deref_mut() {
                let gradient = &mut gradient[i * dim..(i + 1) * dim];
                for (g, v) in gradient.iter_mut().zip(row) {
                    *g = if beta == 0.0 { scale * v } else { scale * v + beta * *g };
                }
            }
        }
        Ok(())
    }

    fn host_is_faster(&self, points: usize, dim: usize) -> bool {
        match self.target.host_kernel() {
            Some(kernel) => kernel.host_is_faster(points, dim),
            None => true,
        }
    }
}
