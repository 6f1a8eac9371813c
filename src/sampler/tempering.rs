//! Replica exchange (parallel tempering): copies of the chains at a ladder of temperatures
//! 1 = T₀ < T₁ < … < T_{K−1}, each advanced by the inner method at its temperature, with
//! exchanges of neighbouring replicas' states every `swap_interval` steps. The T₀ replica
//! is the sampler's own chains; the hotter ones cross energy barriers and hand their states
//! down, so the T₀ chains mix between modes that a single chain cannot leave.

use rand::Rng;
use rand_xoshiro::SplitMix64;

use super::backend::Backend;
use super::chains::Chains;
use super::host_backend::{chain_stream, ChainStream};
use super::params::Method;
use crate::error::{ensure_finite, Error, Result};

/// The most replicas a ladder may have: far beyond useful ladders (tens), small enough that a
/// mistaken count is refused rather than allocated.
pub const MAX_REPLICAS: usize = 1024;

/// The temperatures and how often neighbours exchange.
#[derive(Debug, Clone, PartialEq)]
pub struct TemperingParams {
    /// Multipliers of the inner method's temperature, starting at exactly 1 and strictly
    /// increasing (at least two).
    pub ladder: Vec<f64>,
    /// Steps between exchange rounds (≥ 1).
    pub swap_interval: u64,
}

impl TemperingParams {
    /// Replicas of the default geometric ladder.
    pub const DEFAULT_REPLICAS: usize = 8;
    /// The top of the default geometric ladder.
    pub const DEFAULT_MAX_TEMPERATURE: f64 = 10.0;
    /// An exchange round after every step unless chosen otherwise.
    pub const DEFAULT_SWAP_INTERVAL: u64 = 1;

    /// `n_temperatures` multipliers spaced geometrically from 1 to `max_temperature`.
    pub fn geometric(n_temperatures: usize, max_temperature: f64, swap_interval: u64) -> Result<Self> {
        if !(2..=MAX_REPLICAS).contains(&n_temperatures) {
            return Err(Error::invalid(
                "params.n_temperatures",
                format!("must be in [2, {MAX_REPLICAS}], got {n_temperatures}"),
            ));
        }
        ensure_finite("params.max_temperature", &[max_temperature])?;
        if max_temperature <= 1.0 {
            return Err(Error::invalid(
                "params.max_temperature",
                format!("must be > 1, got {max_temperature}"),
            ));
        }
        let last = (n_temperatures - 1) as f64;
        let ladder = (0..n_temperatures)
            .map(|k| max_temperature.powf(k as f64 / last))
            .collect();
        Ok(TemperingParams { ladder, swap_interval })
    }

    /// Checks the ladder and the interval; errors name "params.<field>".
    pub fn validate(&self) -> Result<()> {
        ensure_finite("params.temperatures", &self.ladder)?;
        if self.ladder.len() < 2 {
            return Err(Error::invalid(
                "params.temperatures",
                format!("needs at least 2 temperatures, got {}", self.ladder.len()),
            ));
        }
        if self.ladder.len() > MAX_REPLICAS {
            return Err(Error::invalid(
                "params.temperatures",
                format!(
                    "has {} temperatures, at most {MAX_REPLICAS} are allowed",
                    self.ladder.len()
                ),
            ));
        }
        if self.ladder[0] != 1.0 {
            return Err(Error::invalid(
                "params.temperatures",
                format!("must start at 1 (the target), got {}", self.ladder[0]),
            ));
        }
        if let Some(k) = self.ladder.windows(2).position(|w| w[1] <= w[0]) {
            return Err(Error::invalid(
                "params.temperatures",
                format!(
                    "must increase strictly: element {} is {} after {}",
                    k + 1,
                    self.ladder[k + 1],
                    self.ladder[k]
                ),
            ));
        }
        if self.swap_interval == 0 {
            return Err(Error::invalid("params.swap_interval", "must be >= 1, got 0"));
        }
        Ok(())
    }
}

/// One hotter copy of the chains: its own backend (own random streams) and method.
pub(crate) struct Replica<B: Backend> {
    pub(crate) backend: B,
    pub(crate) method: Method,
    pub(crate) chains: Option<Chains<B>>,
}

/// The hotter replicas and the exchange bookkeeping of a tempered run.
pub(crate) struct Ladder<B: Backend> {
    /// Replicas 1, …, K−1 (replica 0 is the sampler's own chains).
    pub(crate) replicas: Vec<Replica<B>>,
    /// Inverse temperatures 1/T_k of all K replicas.
    betas: Vec<f64>,
    /// The full temperatures T_k (inner temperature × multiplier).
    pub(crate) temperatures: Vec<f64>,
    swap_interval: u64,
    /// Exchange rounds so far: even rounds try pairs (0,1), (2,3), …; odd rounds (1,2), (3,4), …
    rounds: u64,
    /// Per neighbour pair (k, k+1): accepted exchanges and attempts, summed over chains.
    accepted: Vec<f64>,
    attempted: Vec<f64>,
    /// One stream per chain for the exchange decisions, keyed like the chains' own.
    swap_seed: u64,
    first_chain: u64,
    streams: Vec<ChainStream>,
    /// The number of chains per replica.
    n: usize,
}

/// The seed of replica k's (or, with k = K, the exchanges') streams: distinct per k.
pub(crate) fn replica_seed(seed: u64, k: usize) -> u64 {
    use rand::SeedableRng;
    let mut mixer = SplitMix64::seed_from_u64(seed ^ (k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    rand::RngCore::next_u64(&mut mixer)
}

impl<B: Backend> Ladder<B> {
    pub(crate) fn new(
        replicas: Vec<Replica<B>>,
        temperatures: Vec<f64>,
        swap_interval: u64,
        seed: u64,
        first_chain: u64,
    ) -> Self {
        let pairs = temperatures.len() - 1;
        Ladder {
            replicas,
            betas: temperatures.iter().map(|t| 1.0 / t).collect(),
            temperatures,
            swap_interval,
            rounds: 0,
            accepted: vec![0.0; pairs],
            attempted: vec![0.0; pairs],
            swap_seed: replica_seed(seed, usize::MAX),
            first_chain,
            streams: Vec::new(),
            n: 0,
        }
    }

    /// Starts every replica at the same points as replica 0 (or at its own N(0, I) draws)
    /// and clears the exchange counts.
    pub(crate) fn init<T: crate::tensor::Real>(&mut self, initial: Option<&[T]>, n: usize, dim: usize) -> Result<()> {
        for replica in &mut self.replicas {
            replica.backend.prepare(n, dim, T::KIND);
            let x = match initial {
                Some(values) => replica.backend.batch_from(values)?,
                None => replica.backend.perturb(&[], &vec![1.0; dim], false)?.0,
            };
            replica.chains = Some(Chains::start(&mut replica.backend, &replica.method, x, dim)?);
        }
        while self.streams.len() < n {
            let chain = self.first_chain + self.streams.len() as u64;
            self.streams.push(chain_stream(self.swap_seed, chain));
        }
        self.n = n;
        self.rounds = 0;
        self.accepted.iter_mut().for_each(|a| *a = 0.0);
        self.attempted.iter_mut().for_each(|a| *a = 0.0);
        Ok(())
    }

    /// Advances the hotter replicas by one step, then exchanges when `steps` (replica 0's
    /// step count after this step) is a multiple of the interval.
    pub(crate) fn step(&mut self, base: &mut B, base_chains: &mut Chains<B>, steps: u64) -> Result<()> {
        for replica in &mut self.replicas {
            let chains = replica.chains.as_mut().expect("initialised with replica 0");
            chains.step(&mut replica.backend, &replica.method)?;
        }
        if steps % self.swap_interval == 0 {
            self.exchange_round(base, base_chains)?;
        }
        Ok(())
    }

    fn exchange_round(&mut self, base: &mut B, base_chains: &mut Chains<B>) -> Result<()> {
        let first = (self.rounds % 2) as usize;
        self.rounds += 1;
        for k in (first..self.betas.len() - 1).step_by(2) {
            let (colder, hotter) = if k == 0 {
                let hotter = &mut self.replicas[0];
                let chains = hotter.chains.as_mut().expect("initialised");
                ((&mut *base, &mut *base_chains), (&mut hotter.backend, chains))
            } else {
                let (left, right) = self.replicas.split_at_mut(k);
                let cold = &mut left[k - 1];
                let hot = &mut right[0];
                (
                    (&mut cold.backend, cold.chains.as_mut().expect("initialised")),
                    (&mut hot.backend, hot.chains.as_mut().expect("initialised")),
                )
            };
            let uniforms: Vec<f64> = self.streams[..self.n].iter_mut().map(|s| s.random::<f64>()).collect();
            let accepted = exchange(colder, hotter, self.betas[k] - self.betas[k + 1], &uniforms)?;
            self.accepted[k] += accepted as f64;
            self.attempted[k] += self.n as f64;
        }
        Ok(())
    }

    /// Per neighbour pair, accepted exchanges over attempts (NaN before any attempt).
    pub(crate) fn swap_acceptance(&self) -> Vec<f64> {
        self.accepted
            .iter()
            .zip(&self.attempted)
            .map(|(a, t)| if *t == 0.0 { f64::NAN } else { a / t })
            .collect()
    }

    /// Restarts every replica's streams and the exchange streams from `seed`.
    pub(crate) fn reseed(&mut self, seed: u64) -> Result<()> {
        for (k, replica) in self.replicas.iter_mut().enumerate() {
            replica.backend.reseed(replica_seed(seed, k + 1))?;
        }
        self.swap_seed = replica_seed(seed, usize::MAX);
        let n = self.streams.len();
        self.streams.clear();
        self.streams
            .extend((0..n as u64).map(|i| chain_stream(self.swap_seed, self.first_chain + i)));
        Ok(())
    }

    /// Evaluates every replica's energy again (see `Chains::refresh`).
    pub(crate) fn refresh(&mut self) -> Result<()> {
        for replica in &mut self.replicas {
            if let Some(chains) = replica.chains.as_mut() {
                chains.refresh(&mut replica.backend)?;
            }
        }
        Ok(())
    }
}

/// Exchanges the states of chains i of a colder and a hotter replica with probability
/// min(1, exp((β_c − β_h)(E_c − E_h))), the Metropolis rule that keeps both replicas'
/// laws; returns how many were exchanged. Momenta and velocities stay with their replica
/// (they are independent of the positions at each temperature).
fn exchange<B: Backend>(
    colder: (&mut B, &mut Chains<B>),
    hotter: (&mut B, &mut Chains<B>),
    beta_difference: f64,
    uniforms: &[f64],
) -> Result<usize> {
    let (cold_backend, cold) = colder;
    let (hot_backend, hot) = hotter;
    let cold_energy = cold_backend.column_to_host(&cold.energy)?;
    let hot_energy = hot_backend.column_to_host(&hot.energy)?;
    // NaN energies (frozen chains) never exchange.
    let swap: Vec<bool> = cold_energy
        .iter()
        .zip(&hot_energy)
        .zip(uniforms)
        .map(|((ec, eh), u)| u.ln() < beta_difference * (ec - eh))
        .collect();
    let exchanged = swap.iter().filter(|s| **s).count();
    if exchanged == 0 {
        return Ok(0);
    }
    let cold_mask = cold_backend.mask_from_host(&swap)?;
    let hot_mask = hot_backend.mask_from_host(&swap)?;
    let cold_x = cold_backend.select(&cold_mask, hot_backend.combine(&[(1.0, &hot.x)])?, &cold.x)?;
    let hot_x = hot_backend.select(&hot_mask, cold_backend.combine(&[(1.0, &cold.x)])?, &hot.x)?;
    let cold_e = cold_backend.select_column(
        &cold_mask,
        hot_backend.combine_columns(&[(1.0, &hot.energy)])?,
        &cold.energy,
    )?;
    let hot_e = hot_backend.select_column(
        &hot_mask,
        cold_backend.combine_columns(&[(1.0, &cold.energy)])?,
        &hot.energy,
    )?;
    let cold_g = cold_backend.select(
        &cold_mask,
        hot_backend.combine(&[(1.0, &hot.gradient)])?,
        &cold.gradient,
    )?;
    let hot_g = hot_backend.select(
        &hot_mask,
        cold_backend.combine(&[(1.0, &cold.gradient)])?,
        &hot.gradient,
    )?;
    (cold.x, hot.x, cold.energy, hot.energy, cold.gradient, hot.gradient) =
        (cold_x, hot_x, cold_e, hot_e, cold_g, hot_g);
    Ok(exchanged)
}
