//! Host kernels of energies that are evaluated one point at a time.

use super::HostKernel;
use crate::error::Result;

/// An energy with a closed-form value and gradient for a single point.
pub(crate) trait RowEnergy: Send + Sync {
    /// E(x) for one point; writes ∇ₓE(x) into `gradient` (overwriting it) when given.
    fn row(&self, x: &[f64], gradient: Option<&mut [f64]>) -> f64;
}

impl<R: RowEnergy> HostKernel for R {
    fn eval_host(&self, x: &[f64], dim: usize, energy_out: &mut [f64], gradient_out: Option<&mut [f64]>) -> Result<()> {
        let rows = x.chunks_exact(dim);
        match gradient_out {
            Some(gradient) => {
                for ((point, grad), energy) in rows.zip(gradient.chunks_exact_mut(dim)).zip(energy_out) {
                    *energy = self.row(point, Some(grad));
                }
            }
            None => {
                for (point, energy) in rows.zip(energy_out) {
                    *energy = self.row(point, None);
                }
            }
        }
        Ok(())
    }
}
