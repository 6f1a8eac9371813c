//! Score matching: fitting the model's score s = −∇ₓE to the data without sampling.
//!
//! - exact (Hyvärinen 2005): mean over data of ½|∇E|² − tr(∇²E), with the Hessian's
//!   diagonal by autograd (dim backward passes: for small dimensions);
//! - sliced (Song et al. 2019): with random projections v, mean of ½(vᵀ∇E)² − vᵀ∇²E v;
//! - denoising (Vincent 2011): with x̃ = x + σε, mean of ½|∇E(x̃) − ε/σ|².
//!
//! The exact trace is the full trace (TorchEBM 0.8.9's approximate variant divides it by the
//! dimension, which changes the optimum; not reproduced).

use std::sync::Arc;

use tch::{Device, Kind, Tensor};

use super::{backpropagate, data_tensor, training_energy};
use crate::energy::Energy;
use crate::error::{ensure_finite_scalar, Error, Result};
use crate::tensor::Real;
use crate::torch_generator::TorchGenerator;

/// The distribution of sliced score matching's projections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Projection {
    /// Independent ±1 entries.
    Rademacher,
    /// Independent N(0, 1) entries.
    Gaussian,
}

/// Which score-matching objective (exact unless another is chosen).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum ScoreMatchingMethod {
    /// Exact: the Hessian trace by autograd.
    #[default]
    Exact,
    /// Sliced, with `projections` random directions per point.
    Sliced {
        projections: usize,
        distribution: Projection,
    },
    /// Denoising, with Gaussian noise of standard deviation `noise_scale`.
    Denoising { noise_scale: f64 },
}

impl ScoreMatchingMethod {
    /// Sliced score matching before its settings are chosen: one Rademacher direction per
    /// point.
    pub const DEFAULT_SLICED: ScoreMatchingMethod = ScoreMatchingMethod::Sliced {
        projections: 1,
        distribution: Projection::Rademacher,
    };
    /// Denoising score matching before its noise is chosen: standard deviation 0.1.
    pub const DEFAULT_DENOISING: ScoreMatchingMethod = ScoreMatchingMethod::Denoising { noise_scale: 0.1 };
}

/// A score-matching loss for one energy (a model, or an analytic energy for its value).
pub struct ScoreMatching {
    energy: Arc<dyn Energy>,
    method: ScoreMatchingMethod,
    generator: TorchGenerator,
}

/// ∇ₓE at `x` with the graph kept for second derivatives.
fn gradient_with_graph(energy: &Tensor, x: &Tensor) -> Result<Tensor> {
    Ok(Tensor::f_run_backward(&[energy], &[x], true, true)?.remove(0))
}

impl ScoreMatching {
    /// The seed of the projections and noise unless one is chosen.
    pub const DEFAULT_SEED: u64 = 0;

    /// Score matching of `energy` by `method`; `seed` drives projections and noise.
    pub fn new(energy: Arc<dyn Energy>, method: ScoreMatchingMethod, seed: u64) -> Result<Self> {
        match method {
            ScoreMatchingMethod::Exact => {}
            ScoreMatchingMethod::Sliced { projections, .. } => {
                if projections == 0 {
                    return Err(Error::invalid("params.n_projections", "must be >= 1"));
                }
            }
            ScoreMatchingMethod::Denoising { noise_scale } => {
                ensure_finite_scalar("params.noise_scale", noise_scale)?;
                if noise_scale <= 0.0 {
                    return Err(Error::invalid(
                        "params.noise_scale",
                        format!("must be > 0, got {noise_scale}"),
                    ));
                }
            }
        }
        Ok(ScoreMatching {
            energy,
            method,
            generator: TorchGenerator::new(Device::Cpu, seed)?,
        })
    }

    /// The energy whose score is fitted.
    pub fn energy(&self) -> &Arc<dyn Energy> {
        &self.energy
    }

    /// The objective.
    pub fn method(&self) -> ScoreMatchingMethod {
        self.method
    }

    /// Restarts the projections' and noise's stream from `key`.
    pub fn rekey(&mut self, key: u64) -> Result<()> {
        self.generator = TorchGenerator::new(Device::Cpu, key)?;
        Ok(())
    }

    fn draws(&mut self, like: &Tensor, shape: &[i64], rademacher: bool) -> Result<Tensor> {
        let mut draws = Tensor::f_empty(shape, (like.kind(), Device::Cpu))?;
        if rademacher {
            self.generator.fill_uniform(&mut draws)?;
            draws = draws
                .f_lt(0.5)?
                .f_to_kind(like.kind())?
                .f_mul_scalar(2.0)?
                .f_sub_scalar(1.0)?;
        } else {
            self.generator.fill_normal(&mut draws)?;
        }
        Ok(draws.f_to_device(like.device())?)
    }

    /// Computes the loss on the row-major `data` (points of dimension `dim`) and accumulates
    /// its gradient into the model's parameters (an energy without parameters only gets its
    /// value computed).
    pub fn compute<T: Real>(&mut self, data: &[T], dim: usize) -> Result<f64> {
        let data = data_tensor(&self.energy, data, dim)?;
        let (n, d) = (data.size()[0], data.size()[1]);
        let method = self.method;
        let (noise, projections) = match method {
            ScoreMatchingMethod::Denoising { .. } => (Some(self.draws(&data, &[n, d], false)?), None),
            ScoreMatchingMethod::Sliced {
                projections,
                distribution,
            } => {
                let shape = [projections as i64, n, d];
                (
                    None,
                    Some(self.draws(&data, &shape, distribution == Projection::Rademacher)?),
                )
            }
            ScoreMatchingMethod::Exact => (None, None),
        };
        let loss = tch::with_grad(|| -> Result<Tensor> {
            let input = match (method, &noise) {
                (ScoreMatchingMethod::Denoising { noise_scale }, Some(eps)) => {
                    data.f_add(&eps.f_mul_scalar(noise_scale)?)?
                }
                _ => data.shallow_clone(),
            }
            .f_detach()?
            .f_set_requires_grad(true)?;
            let energy = training_energy(&self.energy, &input)?;
            if !energy.requires_grad() {
                return Err(Error::invalid(
                    "energy",
                    format!(
                        "energy '{}' is not differentiable by autograd (a user callback?)",
                        self.energy.name()
                    ),
                ));
            }
            let gradient = gradient_with_graph(&energy, &input)?;
            let per_point = match method {
                ScoreMatchingMethod::Exact => {
                    let mut trace = input.f_zeros_like()?.f_select(1, 0)?;
                    for j in 0..d {
                        let column = gradient.f_select(1, j)?;
                        let second = gradient_with_graph(&column, &input)?.f_select(1, j)?;
                        trace = trace.f_add(&second)?;
                    }
                    half_square_norm(&gradient)?.f_sub(&trace)?
                }
                ScoreMatchingMethod::Sliced { projections: count, .. } => {
                    let v = projections.as_ref().expect("drawn above");
                    let mut total = input.f_zeros_like()?.f_select(1, 0)?;
                    for p in 0..count as i64 {
                        let direction = v.f_get(p)?;
                        let along =
                            gradient
                                .f_mul(&direction)?
                                .f_sum_dim_intlist([1i64].as_slice(), false, None::<Kind>)?;
                        let curvature_direction = gradient_with_graph(&along, &input)?;
                        let curvature = curvature_direction.f_mul(&direction)?.f_sum_dim_intlist(
                            [1i64].as_slice(),
                            false,
                            None::<Kind>,
                        )?;
                        total = total.f_add(&along.f_square()?.f_mul_scalar(0.5)?.f_sub(&curvature)?)?;
                    }
                    total.f_div_scalar(count as f64)?
                }
                ScoreMatchingMethod::Denoising { noise_scale } => {
                    let eps = noise.as_ref().expect("drawn above");
                    half_square_norm(&gradient.f_sub(&eps.f_div_scalar(noise_scale)?)?)?
                }
            };
            Ok(per_point.f_mean(None::<Kind>)?)
        })?;
        backpropagate(&self.energy, &loss)
    }
}

fn half_square_norm(rows: &Tensor) -> Result<Tensor> {
    Ok(rows
        .f_square()?
        .f_sum_dim_intlist([1i64].as_slice(), false, None::<Kind>)?
        .f_mul_scalar(0.5)?)
}
