use tch::Tensor;

use super::{DimSpec, Energy, HostKernel};
use crate::error::{Error, Result};
use crate::host;
use crate::tensor::{from_f64, to_f64_vec};

/// Why a user callback failed: its nonzero return code and, optionally, its own message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackFailure {
    /// The nonzero code the callback returned.
    pub code: i32,
    /// What the callback said went wrong, if it said.
    pub detail: Option<String>,
}

/// Computes the energies of `x.len() / dim` row-major points into `energy_out`.
pub type EnergyCallback =
    Box<dyn Fn(&[f64], usize, &mut [f64]) -> std::result::Result<(), CallbackFailure> + Send + Sync>;

/// Computes energies into the first slice and gradients ∇ₓE into the second.
pub type GradientCallback =
    Box<dyn Fn(&[f64], usize, &mut [f64], &mut [f64]) -> std::result::Result<(), CallbackFailure> + Send + Sync>;

/// Upper bound on the values (points × dim) passed to one energy callback call by the
/// finite-difference gradient, which evaluates 4·dim + 1 points per input point; at least one
/// input point's probes go in each call whatever its dim.
const FINITE_DIFFERENCE_BATCH_VALUES: usize = 1 << 20;

/// The finite-difference step for a coordinate: ε^{1/5} · max(1, |x|), the size balancing
/// the fourth-order truncation error against rounding, adjusted so that x + h is exact.
fn finite_difference_step(x: f64) -> f64 {
    let h = f64::EPSILON.powf(0.2) * x.abs().max(1.0);
    (x + h) - x
}

/// An energy computed by user code on host f64 points.
///
/// Without a gradient callback, gradients come from fourth-order central finite differences
/// with the step hⱼ = ε^{1/5} · max(1, |xⱼ|) (ε the f64 machine epsilon): 4·dim extra energy
/// evaluations per point. The error is about 1e-12 · max(1, |E(x)|) from rounding plus
/// hⱼ⁴/30 · |∂ⱼ⁵E| from truncation (hⱼ⁴ ≈ 3e-13 · max(1, |xⱼ|)⁴); since hⱼ grows with |xⱼ|, an
/// energy that varies on scales much shorter than |xⱼ| needs a gradient callback.
pub struct CallbackEnergy {
    dim: usize,
    energy_fn: EnergyCallback,
    gradient_fn: Option<GradientCallback>,
}

fn callback_error(arg: &'static str, failure: CallbackFailure) -> Error {
    Error::Callback {
        arg,
        code: failure.code,
        detail: failure.detail,
    }
}

impl CallbackEnergy {
    /// An energy in dimension `dim` (≥ 1) computed by `energy_fn`, with gradients from
    /// `gradient_fn` when given and from finite differences otherwise.
    pub fn new(dim: usize, energy_fn: EnergyCallback, gradient_fn: Option<GradientCallback>) -> Result<Self> {
        if dim == 0 {
            return Err(Error::invalid("dim", "must be >= 1"));
        }
        Ok(CallbackEnergy {
            dim,
            energy_fn,
            gradient_fn,
        })
    }

    /// Whether gradients come from the user (true) or from finite differences (false).
    pub fn has_gradient_callback(&self) -> bool {
        self.gradient_fn.is_some()
    }

    fn energies(&self, x: &[f64], out: &mut [f64]) -> Result<()> {
        (self.energy_fn)(x, self.dim, out).map_err(|f| callback_error("energy_fn", f))
    }

    /// Energies and fourth-order central-difference gradients:
    /// ∂ⱼE ≈ [8(E(x+hⱼ) − E(x−hⱼ)) − (E(x+2hⱼ) − E(x−2hⱼ))] / (12hⱼ).
    fn finite_difference(&self, x: &[f64], energy_out: &mut [f64], gradient_out: &mut [f64]) -> Result<()> {
        let dim = self.dim;
        let probes_per_point = 1 + 4 * dim;
        let rows_per_batch = (FINITE_DIFFERENCE_BATCH_VALUES / (probes_per_point * dim)).max(1);
        let rows = rows_per_batch.min(energy_out.len());
        let mut probes = host::with_capacity("x", rows * probes_per_point * dim)?;
        let mut probe_energies = host::zeroed("x", rows * probes_per_point)?;
        let mut steps = host::with_capacity("x", rows * dim)?;
        for ((points, energies), gradients) in x
            .chunks(rows_per_batch * dim)
            .zip(energy_out.chunks_mut(rows_per_batch))
            .zip(gradient_out.chunks_mut(rows_per_batch * dim))
        {
            probes.clear();
            steps.clear();
            for point in points.chunks_exact(dim) {
                probes.extend_from_slice(point);
                for j in 0..dim {
                    let step = finite_difference_step(point[j]);
                    for multiple in [1.0, -1.0, 2.0, -2.0] {
                        let start = probes.len();
                        probes.extend_from_slice(point);
                        probes[start + j] += multiple * step;
                    }
                    steps.push(step);
                }
            }
            let probe_count = probes.len() / dim;
            self.energies(&probes, &mut probe_energies[..probe_count])?;
            for (row, energy) in energies.iter_mut().enumerate() {
                let base = row * probes_per_point;
                *energy = probe_energies[base];
                for j in 0..dim {
                    let e = &probe_energies[base + 1 + 4 * j..base + 5 + 4 * j];
                    let (near, far) = (e[0] - e[1], e[2] - e[3]);
                    gradients[row * dim + j] = (8.0 * near - far) / (12.0 * steps[row * dim + j]);
                }
            }
        }
        Ok(())
    }

    /// Runs the host kernel on a tensor's values and returns results on its device and kind.
    fn through_host(&self, x: &Tensor, with_gradient: bool) -> Result<(Tensor, Option<Tensor>)> {
        let values = to_f64_vec(x)?;
        let n = values.len() / self.dim;
        let mut energies = host::zeroed("energy_out", n)?;
        let mut gradients = host::zeroed("gradient_out", if with_gradient { values.len() } else { 0 })?;
        self.eval_host(
            &values,
            self.dim,
            &mut energies,
            with_gradient.then_some(&mut gradients[..]),
        )?;
        let (kind, device) = (x.kind(), x.device());
        let energy = from_f64(&energies, &[n as i64], kind, device)?;
        let gradient = if with_gradient {
            Some(from_f64(&gradients, &[n as i64, self.dim as i64], kind, device)?)
        } else {
            None
        };
        Ok((energy, gradient))
    }
}

impl Energy for CallbackEnergy {
    fn name(&self) -> &'static str {
        "callback"
    }

    fn dim_spec(&self) -> DimSpec {
        DimSpec::Exactly(self.dim)
    }

    /// Not differentiable by autograd: the values come from user code.
    fn energy(&self, x: &Tensor) -> Result<Tensor> {
        Ok(self.through_host(x, false)?.0)
    }

    fn energy_and_gradient(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let (energy, gradient) = self.through_host(x, true)?;
        Ok((energy, gradient.expect("requested")))
    }

    fn host_kernel(&self) -> Option<&dyn HostKernel> {
        Some(self)
    }

    fn prefers_host(&self) -> bool {
        true
    }

    fn energy_gradient_hvp(&self, _x: &Tensor, _v: &Tensor) -> Result<(Tensor, Tensor, Tensor)> {
        Err(self
            .check_twice_differentiable()
            .expect_err("a callback energy always refuses"))
    }

    /// User code gives values (and maybe gradients) only: differentiating a finite-difference
    /// or callback gradient once more would be an approximation passed off as exact.
    fn check_twice_differentiable(&self) -> Result<()> {
        Err(Error::invalid(
            "energy",
            "is a callback energy: user callbacks give no second derivatives, so it has no \
             Hessian-vector products (use an analytic, MLP or TorchScript energy)",
        ))
    }
}

impl HostKernel for CallbackEnergy {
    fn eval_host(
        &self,
        x: &[f64],
        _dim: usize,
        energy_out: &mut [f64],
        gradient_out: Option<&mut [f64]>,
    ) -> Result<()> {
        match (gradient_out, &self.gradient_fn) {
            (None, _) => self.energies(x, energy_out),
            (Some(gradient), Some(gradient_fn)) => {
                gradient_fn(x, self.dim, energy_out, gradient).map_err(|f| callback_error("gradient_fn", f))
            }
            (Some(gradient), None) => self.finite_difference(x, energy_out, gradient),
        }
    }
}
