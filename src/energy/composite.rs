use std::sync::Arc;

use tch::Tensor;

use super::{DimSpec, Energy, HostKernel};
use crate::error::{ensure_finite, Error, Result};
use crate::host;

/// The specification's composite energy, E(x) = Σᵢ wᵢ Eᵢ(x): a weighted sum of any energies,
/// composites included. Its parts are shared, not copied.
pub struct Composite {
    parts: Vec<(f64, Arc<dyn Energy>)>,
    dim_spec: DimSpec,
    /// Every part has a host kernel, so the sum has one too.
    all_host: bool,
}

impl Composite {
    /// The weighted sum of `energies`; `weights` defaults to all ones, as in the specification.
    pub fn new(energies: Vec<Arc<dyn Energy>>, weights: Option<&[f64]>) -> Result<Self> {
        if energies.is_empty() {
            return Err(Error::invalid("energies", "a composite needs at least one energy"));
        }
        let weights = match weights {
            Some(w) if w.len() != energies.len() => {
                return Err(Error::LengthMismatch {
                    arg: "weights",
                    reason: format!("has {} elements for {} energies", w.len(), energies.len()),
                })
            }
            Some(w) => {
                ensure_finite("weights", w)?;
                w.to_vec()
            }
            None => vec![1.0; energies.len()],
        };
        let mut dim_spec = DimSpec::ANY;
        for (i, energy) in energies.iter().enumerate() {
            dim_spec = dim_spec.intersect(energy.dim_spec()).ok_or_else(|| {
                Error::dimension(
                    "energies",
                    format!(
                        "energy {i} ('{}') needs {}, incompatible with the energies before it ({})",
                        energy.name(),
                        energy.dim_spec().describe(),
                        dim_spec.describe()
                    ),
                )
            })?;
        }
        let all_host = energies.iter().all(|e| e.host_kernel().is_some());
        Ok(Composite {
            parts: weights.into_iter().zip(energies).collect(),
            dim_spec,
            all_host,
        })
    }

    /// Number of summed energies.
    pub fn len(&self) -> usize {
        self.parts.len()
    }

    /// Always false: a composite has at least one part.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }
}

impl Energy for Composite {
    fn name(&self) -> &'static str {
        "composite"
    }

    fn dim_spec(&self) -> DimSpec {
        self.dim_spec
    }

    fn energy(&self, x: &Tensor) -> Result<Tensor> {
        let mut total: Option<Tensor> = None;
        for (weight, energy) in &self.parts {
            let term = energy.energy(x)?.f_mul_scalar(*weight)?;
            total = Some(match total {
                None => term,
                Some(sum) => sum.f_add(&term)?,
            });
        }
        Ok(total.expect("a composite has at least one part"))
    }

    fn energy_and_gradient(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let mut total: Option<(Tensor, Tensor)> = None;
        for (weight, energy) in &self.parts {
            let (e, g) = energy.energy_and_gradient(x)?;
            let (e, g) = (e.f_mul_scalar(*weight)?, g.f_mul_scalar(*weight)?);
            total = Some(match total {
                None => (e, g),
                Some((sum_e, sum_g)) => (sum_e.f_add(&e)?, sum_g.f_add(&g)?),
            });
        }
        Ok(total.expect("a composite has at least one part"))
    }

    fn energy_gradient_hvp(&self, x: &Tensor, v: &Tensor) -> Result<(Tensor, Tensor, Tensor)> {
        let mut total: Option<(Tensor, Tensor, Tensor)> = None;
        for (weight, energy) in &self.parts {
            let (e, g, h) = energy.energy_gradient_hvp(x, v)?;
            let (e, g, h) = (
                e.f_mul_scalar(*weight)?,
                g.f_mul_scalar(*weight)?,
                h.f_mul_scalar(*weight)?,
            );
            total = Some(match total {
                None => (e, g, h),
                Some((sum_e, sum_g, sum_h)) => (sum_e.f_add(&e)?, sum_g.f_add(&g)?, sum_h.f_add(&h)?),
            });
        }
        Ok(total.expect("a composite has at least one part"))
    }

    fn check_twice_differentiable(&self) -> Result<()> {
        self.parts
            .iter()
            .try_for_each(|(_, energy)| energy.check_twice_differentiable())
    }

    fn host_kernel(&self) -> Option<&dyn HostKernel> {
        self.all_host.then_some(self as &dyn HostKernel)
    }

    fn prefers_host(&self) -> bool {
        self.parts.iter().any(|(_, e)| e.prefers_host())
    }
}

impl HostKernel for Composite {
    fn host_is_faster(&self, points: usize, dim: usize) -> bool {
        self.parts
            .iter()
            .all(|(_, e)| e.host_kernel().is_some_and(|k| k.host_is_faster(points, dim)))
    }

    fn eval_host(
        &self,
        x: &[f64],
        dim: usize,
        energy_out: &mut [f64],
        mut gradient_out: Option<&mut [f64]>,
    ) -> Result<()> {
        energy_out.fill(0.0);
        if let Some(g) = gradient_out.as_deref_mut() {
            g.fill(0.0);
        }
        let mut part_energy = host::zeroed("energy_out", energy_out.len())?;
        let mut part_gradient = host::zeroed("gradient_out", if gradient_out.is_some() { x.len() } else { 0 })?;
        for (weight, energy) in &self.parts {
            let kernel = energy.host_kernel().expect("checked when the composite was built");
            let want_gradient = gradient_out.is_some();
            kernel.eval_host(
                x,
                dim,
                &mut part_energy,
                want_gradient.then_some(&mut part_gradient[..]),
            )?;
            for (total, part) in energy_out.iter_mut().zip(&part_energy) {
                *total += weight * part;
            }
            if let Some(g) = gradient_out.as_deref_mut() {
                for (total, part) in g.iter_mut().zip(&part_gradient) {
                    *total += weight * part;
                }
            }
        }
        Ok(())
    }
}
