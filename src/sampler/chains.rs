//! The state of n chains and the four update rules, written once over [`Backend`].

use super::backend::{commit_finite, Backend, ChainState};
use super::dual_averaging::DualAveraging;
use super::params::{Adaptation, Method};
use super::windowed_adaptation::{cholesky, lower_inverse, InverseMass, MassAdaptation, WindowedAdaptation};
use crate::error::{Error, Result};

/// Chains and everything cached or counted about them since their initialisation.
pub(crate) struct Chains<B: Backend> {
    pub(crate) x: B::Batch,
    /// E(x) and ∇E(x), kept so that no step evaluates the current state twice.
    pub(crate) energy: B::Column,
    pub(crate) gradient: B::Batch,
    /// Kinetic Langevin's velocities.
    pub(crate) velocity: Option<B::Batch>,
    /// HMC's momenta at the end of the last transition (the proposal's final momenta where it
    /// was accepted, the initial ones elsewhere); zeros before the first transition.
    pub(crate) momentum: Option<B::Batch>,
    /// Whether the host set `momentum` since the last transition: the next HMC transition
    /// then starts from it instead of a fresh draw.
    pub(crate) momentum_pending: bool,
    /// Chains whose state has stayed finite; the others are frozen at their last finite state.
    pub(crate) alive: B::Mask,
    /// Accepted proposals per chain (samplers with accept/reject).
    pub(crate) accepted: Option<B::Column>,
    /// Sum of the live chains' energies after each step, and the number of live chains
    /// (their ratio is the mean energy; sums and counts add up across processes).
    pub(crate) energy_trace: Vec<B::Scalar>,
    pub(crate) live_trace: Vec<B::Scalar>,
    /// Accepted proposals at each step, all chains together (samplers with accept/reject).
    pub(crate) accepted_trace: Vec<B::Scalar>,
    /// Steps taken since initialisation.
    pub(crate) steps: u64,
    /// Step-size adaptation, while it runs.
    pub(crate) adaptation: Option<DualAveraging>,
    /// Windowed adaptation of the step size and mass, while it runs (instead of
    /// `adaptation`).
    pub(crate) windowed: Option<WindowedAdaptation>,
    /// The step size adaptation settled on.
    pub(crate) adapted_step: Option<f64>,
    /// Mass diagonal (HMC, kinetic Langevin) and its derived vectors.
    pub(crate) mass: Option<MassVectors>,
    /// Divergent trajectories per chain (HMC, NUTS): energy errors (H − H₀)/T above 1000.
    pub(crate) divergences: Option<B::Column>,
    /// Sum of the tree depths per chain (NUTS).
    pub(crate) tree_depths: Option<B::Column>,
    /// The chains' dimension.
    dim: usize,
}

/// The diagonal mass m and the per-dimension factors the updates use, or a dense mass.
pub(crate) struct MassVectors {
    pub(crate) mass: Vec<f64>,
    pub(crate) inverse: Vec<f64>,
    pub(crate) sqrt: Vec<f64>,
    pub(crate) inverse_sqrt: Vec<f64>,
    /// A dense mass (HMC only); the vectors above are then unused ones.
    pub(crate) dense: Option<DenseMass>,
}

/// A dense mass through its inverse Σ = M⁻¹ = LLᵀ (all row-major dim × dim).
pub(crate) struct DenseMass {
    /// Σ: velocities are rows times Σ.
    pub(crate) inverse: Vec<f64>,
    /// L: pᵀΣp = |row · L|².
    pub(crate) cholesky: Vec<f64>,
    /// L⁻ᵀ as a right factor, i.e. L⁻¹ row-major: p = L⁻ᵀξ is the row ξ · L⁻¹, ~ N(0, M).
    pub(crate) cholesky_inverse: Vec<f64>,
}

impl MassVectors {
    fn new(mass: &[f64]) -> Self {
        MassVectors {
            mass: mass.to_vec(),
            inverse: mass.iter().map(|m| 1.0 / m).collect(),
            sqrt: mass.iter().map(|m| m.sqrt()).collect(),
            inverse_sqrt: mass.iter().map(|m| 1.0 / m.sqrt()).collect(),
            dense: None,
        }
    }

    /// The mass whose inverse is `inverse`.
    pub(crate) fn from_inverse(inverse: &InverseMass, dim: usize) -> Result<Self> {
        match inverse {
            InverseMass::Diagonal(values) => Ok(MassVectors::new(&values.iter().map(|v| 1.0 / v).collect::<Vec<_>>())),
            InverseMass::Dense(values) => {
                let l = cholesky(values, dim).ok_or_else(|| Error::NotPositiveDefinite {
                    arg: "params.mass",
                    reason: "the inverse mass is not numerically positive definite".into(),
                })?;
                let mut vectors = MassVectors::new(&vec![1.0; dim]);
                vectors.dense = Some(DenseMass {
                    inverse: values.clone(),
                    cholesky_inverse: lower_inverse(&l, dim),
                    cholesky: l,
                });
                Ok(vectors)
            }
        }
    }

    /// Σ = M⁻¹: dim values (diagonal) or dim² (dense, row-major).
    pub(crate) fn inverse_mass(&self) -> Vec<f64> {
        match &self.dense {
            Some(dense) => dense.inverse.clone(),
            None => self.inverse.clone(),
        }
    }
}

/// `values` times `factor`.
fn scaled(values: &[f64], factor: f64) -> Vec<f64> {
    values.iter().map(|v| v * factor).collect()
}

fn adaptation_of(method: &Method) -> Option<(f64, Adaptation)> {
    match method {
        Method::Mala(p) if p.adaptation.steps > 0 => Some((p.step_size, p.adaptation)),
        Method::Hmc(p) if p.adaptation.steps > 0 => Some((p.step_size, p.adaptation)),
        Method::Nuts(p) if p.adaptation.steps > 0 => Some((p.step_size, p.adaptation)),
        _ => None,
    }
}

/// Samplers whose warm-up also adapts the mass: initial step, step adaptation, mass settings.
fn windowed_of(method: &Method) -> Option<(f64, Adaptation, MassAdaptation)> {
    match method {
        Method::Hmc(p) if p.adaptation.steps > 0 && p.mass_adaptation.kind != Default::default() => {
            Some((p.step_size, p.adaptation, p.mass_adaptation))
        }
        Method::Nuts(p) if p.adaptation.steps > 0 && p.mass_adaptation.kind != Default::default() => {
            Some((p.step_size, p.adaptation, p.mass_adaptation))
        }
        _ => None,
    }
}

impl<B: Backend> Chains<B> {
    /// Chains starting at `x`, with everything derived from it evaluated.
    pub(crate) fn start(backend: &mut B, method: &Method, x: B::Batch, dim: usize) -> Result<Self> {
        let (energy, gradient) = backend.eval(&x)?;
        let alive = backend.finite_rows(&x, &energy)?;
        let mass = match method {
            Method::Hmc(p) => Some(MassVectors::from_inverse(&p.mass.inverse(dim)?, dim)?),
            Method::Nuts(p) => {
                let mass = MassVectors::from_inverse(&p.mass.inverse(dim)?, dim)?;
                if mass.dense.is_some() {
                    return Err(Error::invalid(
                        "params.mass",
                        "NUTS takes a diagonal mass (0, 1 or dim values); dense masses are HMC's",
                    ));
                }
                Some(mass)
            }
            Method::KineticLangevin(p) => Some(MassVectors::new(&p.mass.diagonal(dim)?)),
            _ => None,
        };
        let velocity = match (method, &mass) {
            // v ~ N(0, T·M⁻¹): the velocities' stationary law at temperature T.
            (Method::KineticLangevin(p), Some(mass)) => {
                let factors = scaled(&mass.inverse_sqrt, p.temperature.sqrt());
                Some(backend.perturb(&[], &factors, false)?.0)
            }
            _ => None,
        };
        let momentum = match method {
            Method::Hmc(_) => Some(backend.combine(&[(0.0, &x)])?),
            _ => None,
        };
        let accepted = if method.has_accept_reject() {
            Some(backend.zeros_column()?)
        } else {
            None
        };
        let windowed = match windowed_of(method) {
            Some((step, a, settings)) => Some(WindowedAdaptation::new(&settings, a.steps, step, a.target_accept, dim)?),
            None => None,
        };
        let adaptation = match windowed {
            Some(_) => None,
            None => adaptation_of(method).map(|(step, a)| DualAveraging::new(step, a.target_accept)),
        };
        let divergences = match method {
            Method::Hmc(_) | Method::Nuts(_) => Some(backend.zeros_column()?),
            _ => None,
        };
        let tree_depths = match method {
            Method::Nuts(_) => Some(backend.zeros_column()?),
            _ => None,
        };
        Ok(Chains {
            x,
            energy,
            gradient,
            velocity,
            momentum,
            momentum_pending: false,
            alive,
            accepted,
            energy_trace: Vec::new(),
            live_trace: Vec::new(),
            accepted_trace: Vec::new(),
            steps: 0,
            adaptation,
            windowed,
            adapted_step: None,
            mass,
            divergences,
            tree_depths,
            dim,
        })
    }

    /// Evaluates E and ∇E again at the current states (the energy changed since they were
    /// cached). Chains that turn non-finite are frozen, as after a step.
    pub(crate) fn refresh(&mut self, backend: &mut B) -> Result<()> {
        let (energy, gradient) = backend.eval(&self.x)?;
        let finite = backend.finite_rows(&self.x, &energy)?;
        self.alive = backend.and(&finite, &self.alive)?;
        self.energy = energy;
        self.gradient = gradient;
        Ok(())
    }

    /// Moves the chains to `x`, keeping their counts, adaptation and momenta; E and ∇E are
    /// evaluated there, and a chain is live again when its new state is finite.
    pub(crate) fn move_to(&mut self, backend: &mut B, x: B::Batch) -> Result<()> {
        let (energy, gradient) = backend.eval(&x)?;
        self.alive = backend.finite_rows(&x, &energy)?;
        self.x = x;
        self.energy = energy;
        self.gradient = gradient;
        Ok(())
    }

    /// The momenta p: HMC's from its last transition, kinetic Langevin's M v; None for
    /// samplers without momenta.
    pub(crate) fn momenta(&self, backend: &mut B) -> Result<Option<B::Batch>> {
        match (&self.momentum, &self.velocity, &self.mass) {
            (Some(momentum), _, _) => Ok(Some(backend.combine(&[(1.0, momentum)])?)),
            (None, Some(velocity), Some(mass)) => Ok(Some(backend.scale_dims(velocity, &mass.mass)?)),
            _ => Ok(None),
        }
    }

    /// Sets the momenta: HMC's next transition starts from them (instead of a fresh draw),
    /// kinetic Langevin continues with v = M⁻¹p. False for samplers without momenta.
    pub(crate) fn set_momenta(&mut self, backend: &mut B, momenta: B::Batch) -> Result<bool> {
        if self.momentum.is_some() {
            self.momentum = Some(momenta);
            self.momentum_pending = true;
            return Ok(true);
        }
        match (&self.velocity, &self.mass) {
            (Some(_), Some(mass)) => {
                self.velocity = Some(backend.scale_dims(&momenta, &mass.inverse)?);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// The step size for the next step: adapted, adaptation's result, or the schedule's.
    pub(crate) fn step_size(&self, method: &Method) -> f64 {
        if let Some(adaptation) = &self.adaptation {
            return adaptation.step_size();
        }
        if let Some(windowed) = &self.windowed {
            return windowed.step_size();
        }
        if let Some(step) = self.adapted_step {
            return step;
        }
        let t = self.steps;
        match method {
            Method::Langevin(p) => p.step_size_schedule.value(p.step_size, t),
            Method::Mala(p) => p.step_size_schedule.value(p.step_size, t),
            Method::Hmc(p) => p.step_size_schedule.value(p.step_size, t),
            Method::KineticLangevin(p) => p.step_size_schedule.value(p.step_size, t),
            Method::Nuts(p) => p.step_size_schedule.value(p.step_size, t),
        }
    }

    /// Advances every chain by one step of `method`.
    pub(crate) fn step(&mut self, backend: &mut B, method: &Method) -> Result<()> {
        let h = self.step_size(method);
        let acceptance = match method {
            Method::Langevin(p) => {
                let temperature = p.noise_scale_schedule.value(p.noise_scale, self.steps);
                self.langevin_step(backend, h, temperature, p.clamp)?;
                None
            }
            Method::Mala(p) => Some(self.mala_step(backend, h, p.temperature)?),
            Method::Hmc(p) => Some(self.hmc_step(backend, h, p.n_leapfrog_steps, p.temperature)?),
            Method::KineticLangevin(p) => {
                self.baoab_step(backend, h, p.friction, p.temperature)?;
                None
            }
            Method::Nuts(p) => Some(self.nuts_step(backend, h, p)?),
        };
        if let (Some(probabilities), Some(adaptation)) = (&acceptance, &mut self.adaptation) {
            let probabilities = backend.column_to_host(probabilities)?;
            adaptation.update(probabilities.iter().sum::<f64>() / probabilities.len().max(1) as f64);
        }
        if let Some(probabilities) = &acceptance {
            self.adapt_windowed(backend, probabilities)?;
        }
        self.steps += 1;
        if let Some((_, settings)) = adaptation_of(method) {
            if self.steps == settings.steps {
                if let Some(adaptation) = self.adaptation.take() {
                    self.adapted_step = Some(adaptation.final_step_size());
                }
            }
        }
        let (sum, live) = backend.masked_sum(&self.energy, &self.alive)?;
        self.energy_trace.push(sum);
        self.live_trace.push(live);
        Ok(())
    }

    /// Feeds windowed adaptation (when it runs) the step just taken, with its per-chain
    /// acceptance statistics: the next step uses its step size and, at a slow window's end,
    /// its new mass.
    pub(crate) fn adapt_windowed(&mut self, backend: &mut B, acceptance: &B::Column) -> Result<()> {
        let Some(windowed) = self.windowed.as_mut() else {
            return Ok(());
        };
        let probabilities = backend.column_to_host(acceptance)?;
        let mean = probabilities.iter().sum::<f64>() / probabilities.len().max(1) as f64;
        let moments = match windowed.wants_moments() {
            Some(dense) => Some(backend.row_moments(&self.x, &self.alive, windowed.shift(), dense)?),
            None => None,
        };
        let update = windowed.observe(mean, moments.as_ref());
        if let Some(inverse) = &update.inverse_mass {
            self.mass = Some(MassVectors::from_inverse(inverse, self.dim)?);
        }
        if update.finished {
            self.windowed = None;
            self.adapted_step = Some(update.step_size);
        }
        Ok(())
    }

    /// Fresh momenta p ~ N(0, T·M) and their pᵀM⁻¹p.
    pub(crate) fn draw_momenta(&self, backend: &mut B, temperature: f64) -> Result<(B::Batch, B::Column)> {
        let mass = self.mass.as_ref().expect("chains with momenta carry a mass");
        let (momentum, noise_norm) = match &mass.dense {
            // p = √T L⁻ᵀξ: Cov p = T (LLᵀ)⁻¹ = T M.
            Some(dense) => {
                let (noise, norm) = backend.perturb(&[], &self.uniform_factors(temperature.sqrt()), true)?;
                (backend.multiply_rows(&noise, &dense.cholesky_inverse)?, norm)
            }
            None => backend.perturb(&[], &scaled(&mass.sqrt, temperature.sqrt()), true)?,
        };
        // pᵀM⁻¹p = T|ξ|² for p = √T M^{1/2} ξ.
        let kinetic = backend.combine_columns(&[(temperature, &noise_norm.expect("requested"))])?;
        Ok((momentum, kinetic))
    }

    /// M⁻¹p.
    pub(crate) fn velocities(&self, backend: &mut B, p: &B::Batch) -> Result<B::Batch> {
        let mass = self.mass.as_ref().expect("chains with momenta carry a mass");
        match &mass.dense {
            Some(dense) => backend.multiply_rows(p, &dense.inverse),
            None => backend.scale_dims(p, &mass.inverse),
        }
    }

    /// pᵀM⁻¹p per chain.
    pub(crate) fn kinetic_energies(&self, backend: &mut B, p: &B::Batch) -> Result<B::Column> {
        let mass = self.mass.as_ref().expect("chains with momenta carry a mass");
        match &mass.dense {
            Some(dense) => {
                let projected = backend.multiply_rows(p, &dense.cholesky)?;
                backend.weighted_square_norms(&projected, &self.uniform_factors(1.0))
            }
            None => backend.weighted_square_norms(p, &mass.inverse),
        }
    }

    /// dim copies of `value`: a uniform noise scale.
    fn uniform_factors(&self, value: f64) -> Vec<f64> {
        vec![value; self.dim]
    }

    fn state(&mut self) -> ChainState<'_, B> {
        ChainState {
            x: &mut self.x,
            energy: &mut self.energy,
            gradient: &mut self.gradient,
            alive: &mut self.alive,
        }
    }

    /// Records a Metropolis decision: accepted rows take the proposal.
    fn accept(
        &mut self,
        backend: &mut B,
        log_alpha: &B::Column,
        proposal: (B::Batch, B::Column, B::Batch),
    ) -> Result<(B::Column, B::Mask)> {
        let (x, energy, gradient) = proposal;
        let (accept, probability) = backend.metropolis(log_alpha)?;
        let (_, accepted_count) = backend.masked_sum(&probability, &accept)?;
        self.accepted_trace.push(accepted_count);
        self.x = backend.select(&accept, x, &self.x)?;
        self.energy = backend.select_column(&accept, energy, &self.energy)?;
        self.gradient = backend.select(&accept, gradient, &self.gradient)?;
        if let Some(accepted) = &self.accepted {
            let indicator = backend.indicator(&accept)?;
            self.accepted = Some(backend.combine_columns(&[(1.0, accepted), (1.0, &indicator)])?);
        }
        Ok((probability, accept))
    }

    /// Counts a divergence where the energy error H_end − H_start = −log α exceeds 1000
    /// (Stan's threshold) or is NaN.
    fn count_divergences(&mut self, backend: &mut B, log_alpha: &B::Column) -> Result<()> {
        if let Some(divergences) = &self.divergences {
            let divergent = backend.not(&backend.above(log_alpha, -1000.0)?)?;
            let divergent = backend.and(&divergent, &self.alive)?;
            self.divergences =
                Some(backend.combine_columns(&[(1.0, divergences), (1.0, &backend.indicator(&divergent)?)])?);
        }
        Ok(())
    }

    /// x ← x − h∇E(x) + √(2hT) ξ, then the optional clamp.
    fn langevin_step(&mut self, backend: &mut B, h: f64, temperature: f64, clamp: Option<(f64, f64)>) -> Result<()> {
        let dim = self.dim;
        backend.langevin_update(self.state(), h, (2.0 * h * temperature).sqrt(), clamp, dim)
    }

    /// The Langevin proposal y = x − h∇E(x) + √(2hT) ξ, accepted with probability
    /// min(1, exp((E(x) − E(y))/T) q(x | y) / q(y | x)).
    fn mala_step(&mut self, backend: &mut B, h: f64, temperature: f64) -> Result<B::Column> {
        let noise = self.uniform_factors((2.0 * h * temperature).sqrt());
        let (y, forward_norm) = backend.perturb(&[(1.0, &self.x), (-h, &self.gradient)], &noise, true)?;
        let forward_norm = forward_norm.expect("requested");
        let (energy_y, gradient_y) = backend.eval(&y)?;
        // log q(y | x) = −|ξ|²/2 and log q(x | y) = −|x − y + h∇E(y)|² / (4hT), up to the same constant.
        let reverse = backend.combine(&[(1.0, &self.x), (-1.0, &y), (h, &gradient_y)])?;
        let ones = self.uniform_factors(1.0);
        let reverse_norm = backend.weighted_square_norms(&reverse, &ones)?;
        let log_alpha = backend.combine_columns(&[
            (1.0 / temperature, &self.energy),
            (-1.0 / temperature, &energy_y),
            (0.5, &forward_norm),
            (-0.25 / (h * temperature), &reverse_norm),
        ])?;
        Ok(self.accept(backend, &log_alpha, (y, energy_y, gradient_y))?.0)
    }

    /// L leapfrog steps of size ε from a fresh momentum p = √T M^{1/2} ξ (or the host's, see
    /// `momentum_pending`), accepted with probability min(1, exp((H(x, p) − H(x', p'))/T)),
    /// H = E + ½ pᵀM⁻¹p.
    fn hmc_step(&mut self, backend: &mut B, epsilon: f64, leapfrog_steps: u64, temperature: f64) -> Result<B::Column> {
        let start = match self.momentum.take() {
            Some(momentum) if self.momentum_pending => {
                let kinetic = self.kinetic_energies(backend, &momentum)?;
                (momentum, kinetic)
            }
            _ => self.draw_momenta(backend, temperature)?,
        };
        self.momentum_pending = false;
        let (momentum, kinetic_start) = start;
        let mut p = backend.combine(&[(1.0, &momentum), (-0.5 * epsilon, &self.gradient)])?;
        let mut x = backend.combine(&[(1.0, &self.x)])?;
        let mut evaluated = None;
        for l in 0..leapfrog_steps {
            let velocity = self.velocities(backend, &p)?;
            x = backend.combine(&[(1.0, &x), (epsilon, &velocity)])?;
            let (energy, gradient) = backend.eval(&x)?;
            let kick = if l + 1 == leapfrog_steps {
                0.5 * epsilon
            } else {
                epsilon
            };
            p = backend.combine(&[(1.0, &p), (-kick, &gradient)])?;
            evaluated = Some((energy, gradient));
        }
        let (energy, gradient) = evaluated.expect("at least one leapfrog step");
        let kinetic_end = self.kinetic_energies(backend, &p)?;
        let beta = 1.0 / temperature;
        let log_alpha = backend.combine_columns(&[
            (beta, &self.energy),
            (0.5 * beta, &kinetic_start),
            (-beta, &energy),
            (-0.5 * beta, &kinetic_end),
        ])?;
        self.count_divergences(backend, &log_alpha)?;
        let (probability, accepted) = self.accept(backend, &log_alpha, (x, energy, gradient))?;
        self.momentum = Some(backend.select(&accepted, p, &momentum)?);
        Ok(probability)
    }

    /// One BAOAB step of kinetic Langevin at temperature T with friction γ:
    /// B: v ← v − (h/2)M⁻¹∇E; A: x ← x + (h/2)v; O: v ← c v + √((1 − c²)T) M^{-1/2} ξ with
    /// c = e^{−γh}; A; then ∇E at the new x and B again.
    fn baoab_step(&mut self, backend: &mut B, h: f64, friction: f64, temperature: f64) -> Result<()> {
        let mass = self.mass.as_ref().expect("kinetic Langevin chains carry a mass");
        let inverse = mass.inverse.clone();
        let c = (-friction * h).exp();
        let thermal = scaled(&mass.inverse_sqrt, ((1.0 - c * c) * temperature).sqrt());
        let velocity = self.velocity.take().expect("kinetic Langevin chains carry velocities");
        let force = backend.scale_dims(&self.gradient, &inverse)?;
        let v = backend.combine(&[(1.0, &velocity), (-0.5 * h, &force)])?;
        let x = backend.combine(&[(1.0, &self.x), (0.5 * h, &v)])?;
        let (v, _) = backend.perturb(&[(c, &v)], &thermal, false)?;
        let x = backend.combine(&[(1.0, &x), (0.5 * h, &v)])?;
        let (energy, gradient) = backend.eval(&x)?;
        let force = backend.scale_dims(&gradient, &inverse)?;
        let v = backend.combine(&[(1.0, &v), (-0.5 * h, &force)])?;
        let keep = commit_finite(backend, self.state(), x, energy, gradient)?;
        self.velocity = Some(backend.select(&keep, v, &velocity)?);
        Ok(())
    }
}
