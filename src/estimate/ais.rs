//! Annealed importance sampling (Neal 2001): particles drawn from a Gaussian base are moved
//! along the path E_β = (1 − β) E₀ + β E by Markov transitions that leave each exp(−E_β)
//! invariant, and weighted by how much more probable each β step made them.

use std::f64::consts::PI;
use std::sync::Arc;

use super::annealed::AnnealedEnergy;
use super::schedule::BetaSchedule;
use crate::energy::{evaluate, Energy};
use crate::error::{ensure_finite_scalar, Error, Result};
use crate::host;
use crate::sampler::{HmcParams, MalaParams, Method, Sampler, SamplerOptions};
use crate::tensor::Real;

/// The Markov transition applied at each intermediate temperature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InnerSampler {
    /// Metropolis-adjusted Langevin with step size h (x − h∇E + √(2h) ξ).
    Mala,
    /// Hamiltonian Monte Carlo with unit mass, leapfrog step ε and this many leapfrog steps.
    Hmc {
        /// Leapfrog steps per proposal (≥ 1).
        n_leapfrog_steps: u64,
    },
}

/// Settings of an AIS run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AisParams {
    /// K ≥ 1: the number of β steps from 0 to 1 (K = 1 is plain importance sampling from the
    /// base).
    pub n_temperatures: usize,
    /// Spacing of β₁ … β_K.
    pub schedule: BetaSchedule,
    /// The transition run at β₁ … β_{K−1}.
    pub sampler: InnerSampler,
    /// MALA's h or HMC's leapfrog ε, > 0.
    pub step_size: f64,
    /// Transitions per intermediate temperature, ≥ 1.
    pub inner_steps: u64,
    /// σ of the base N(0, σ²I), > 0.
    pub base_std: f64,
    /// Seed, device, random streams and first chain of the particles (a particle is a chain).
    pub options: SamplerOptions,
}

impl Default for AisParams {
    fn default() -> Self {
        AisParams {
            n_temperatures: 200,
            schedule: BetaSchedule::Sigmoid,
            sampler: InnerSampler::Mala,
            step_size: 0.05,
            inner_steps: 1,
            base_std: 1.0,
            options: SamplerOptions::default(),
        }
    }
}

/// An AIS estimate of log Z = log ∫ exp(−E(x)) dx.
#[derive(Debug, Clone, PartialEq)]
pub struct AisResult {
    /// log Z₀ + log mean exp(wᵢ).
    pub log_z: f64,
    /// Delta-method standard error of `log_z`: with rᵢ = exp(wᵢ − max w), the standard error
    /// of the mean of r (sample standard deviation / √N) divided by that mean. Like any
    /// importance-sampling error estimate it can be optimistic when the weights are
    /// heavy-tailed; read it with `effective_sample_size`.
    pub standard_error: f64,
    /// (Σ rᵢ)² / Σ rᵢ², between 1 and N.
    pub effective_sample_size: f64,
    /// Mean acceptance of the inner transitions over every particle and intermediate
    /// temperature (NaN when K = 1: no transition runs).
    pub mean_acceptance: f64,
    /// log Z₀ = (dim / 2) log(2πσ²) of the base.
    pub log_z_base: f64,
    /// Particles whose target energy was NaN or infinite somewhere on the path: their weight
    /// is −∞ (zero).
    pub non_finite_particles: usize,
    /// wᵢ, the log importance weights (log Ẑ = log Z₀ + logsumexp(w) − log N).
    pub log_weights: Vec<f64>,
}

impl AisParams {
    fn method(&self) -> Method {
        match self.sampler {
            InnerSampler::Mala => Method::Mala(MalaParams {
                step_size: self.step_size,
                ..MalaParams::default()
            }),
            InnerSampler::Hmc { n_leapfrog_steps } => Method::Hmc(HmcParams {
                step_size: self.step_size,
                n_leapfrog_steps,
                ..HmcParams::default()
            }),
        }
    }

    /// Checks every setting; errors name them "params.<field>".
    pub fn validate(&self) -> Result<()> {
        if self.n_temperatures == 0 {
            return Err(Error::invalid("params.n_temperatures", "must be >= 1, got 0"));
        }
        if self.inner_steps == 0 {
            return Err(Error::invalid("params.inner_steps", "must be >= 1, got 0"));
        }
        ensure_finite_scalar("params.base_std", self.base_std)?;
        if self.base_std <= 0.0 {
            return Err(Error::invalid(
                "params.base_std",
                format!("must be > 0, got {}", self.base_std),
            ));
        }
        self.method().validate()
    }
}

/// Estimates log Z of `energy` by AIS with `n_particles` particles of dimension `dim`, kept in
/// `T` precision (on the host with per-chain CPU streams they are f64 whatever `T`); the
/// estimate is computed in f64. When given, `samples_out` (n_particles × dim) receives the
/// particles at the end of the path: draws of exp(−E) once weighted by exp(wᵢ).
///
/// Every random draw, the base draws included, comes from the sampler's streams: with
/// per-chain CPU streams particle i's path depends only on (seed, first_chain + i), not on
/// n_particles or the threads.
pub fn ais_estimate<T: Real + Default>(
    energy: Arc<dyn Energy>,
    params: &AisParams,
    n_particles: usize,
    dim: usize,
    samples_out: Option<&mut [T]>,
) -> Result<AisResult> {
    params.validate()?;
    if n_particles < 2 {
        return Err(Error::invalid(
            "n_particles",
            format!("must be >= 2 for a standard error, got {n_particles}"),
        ));
    }
    if dim == 0 {
        return Err(Error::invalid("dim", "must be >= 1"));
    }
    energy.dim_spec().check("dim", energy.name(), dim)?;
    if params.options.first_chain.checked_add(n_particles as u64).is_none() {
        return Err(Error::invalid(
            "n_particles",
            "first_chain + n_particles would pass 2^64 - 1",
        ));
    }
    let method = params.method();
    // The sampler's state plus the particles and the target's energies kept here.
    crate::memory::ensure_allocatable(
        "n_particles",
        &[n_particles, dim],
        std::mem::size_of::<f64>(),
        method.state_arrays() + 2,
    )?;
    if let Some(out) = &samples_out {
        if out.len() != n_particles * dim {
            return Err(Error::LengthMismatch {
                arg: "samples_out",
                reason: format!(
                    "has {} values, {n_particles} particles of dim {dim} need {}",
                    out.len(),
                    n_particles * dim
                ),
            });
        }
    }
    let n = n_particles;
    let path = Arc::new(AnnealedEnergy::new(energy.clone(), params.base_std));
    let mut sampler = Sampler::new(path.clone(), method, params.options)?;
    let device = params.options.device;

    // Base draws σz, z ~ N(0, I) from each particle's own stream.
    sampler.init::<T>(None, n, dim)?;
    let mut x = host::zeroed_as::<T>("n_particles", n * dim)?;
    sampler.samples(&mut x)?;
    for v in x.iter_mut() {
        *v = T::from_f64(v.to_f64() * params.base_std);
    }

    let betas = params.schedule.betas(params.n_temperatures);
    let mut log_weights = host::zeroed("n_particles", n)?;
    let mut target = host::zeroed_as::<T>("n_particles", n)?;
    let mut row = vec![0.0; dim];
    let (mut acceptance_sum, mut acceptance_runs) = (0.0, 0usize);
    for k in 1..betas.len() {
        evaluate(energy.as_ref(), device, &x, dim, Some(&mut target), None)?;
        let delta = betas[k] - betas[k - 1];
        for (i, w) in log_weights.iter_mut().enumerate() {
            for (r, v) in row.iter_mut().zip(&x[i * dim..(i + 1) * dim]) {
                *r = v.to_f64();
            }
            let e = target[i].to_f64();
            // A particle that once met a non-finite energy keeps weight zero.
            *w = if e.is_finite() && w.is_finite() {
                *w + delta * (path.base_energy(&row) - e)
            } else {
                f64::NEG_INFINITY
            };
        }
        if k + 1 < betas.len() {
            path.set_beta(betas[k]);
            sampler.init(Some(&x), n, dim)?;
            sampler.run::<T>(params.inner_steps, 1, None)?;
            acceptance_sum += sampler.stats()?.mean_acceptance;
            acceptance_runs += 1;
            sampler.samples(&mut x)?;
        }
    }
    if let Some(out) = samples_out {
        out.copy_from_slice(&x);
    }
    summarise(log_weights, dim, params.base_std, acceptance_sum, acceptance_runs)
}

fn summarise(
    log_weights: Vec<f64>,
    dim: usize,
    base_std: f64,
    acceptance_sum: f64,
    acceptance_runs: usize,
) -> Result<AisResult> {
    let n = log_weights.len() as f64;
    let non_finite_particles = log_weights.iter().filter(|w| !w.is_finite()).count();
    let max = log_weights.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return Err(Error::NonFinite {
            arg: "energy",
            reason: "was NaN or infinite somewhere on every particle's path: no particle has a weight".into(),
        });
    }
    let ratios: Vec<f64> = log_weights.iter().map(|w| (w - max).exp()).collect();
    let sum: f64 = ratios.iter().sum();
    let mean = sum / n;
    let squares: f64 = ratios.iter().map(|r| r * r).sum();
    let variance = ratios.iter().map(|r| (r - mean) * (r - mean)).sum::<f64>() / (n - 1.0);
    let log_z_base = 0.5 * dim as f64 * (2.0 * PI * base_std * base_std).ln();
    Ok(AisResult {
        log_z: log_z_base + max + mean.ln(),
        standard_error: (variance / n).sqrt() / mean,
        effective_sample_size: sum * sum / squares,
        mean_acceptance: if acceptance_runs == 0 {
            f64::NAN
        } else {
            acceptance_sum / acceptance_runs as f64
        },
        log_z_base,
        non_finite_particles,
        log_weights,
    })
}
