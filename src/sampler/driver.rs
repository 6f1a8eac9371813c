//! The sampler object: an energy, a method, chains, and the operations on them.

use std::ops::ControlFlow;
use std::sync::Arc;

use tch::Device;

use super::backend::Backend;
use super::chains::Chains;
use super::host_backend::HostBackend;
use super::params::{Method, RngKind, SamplerOptions};
use super::tempering::{replica_seed, Ladder, Replica, TemperingParams};
use super::tensor_backend::TensorBackend;
use crate::distributed::{with_square, AllReduce, Values};
use crate::energy::Energy;
use crate::error::{Error, Result};
use crate::runtime;
use crate::tensor::Real;

/// What a progress callback is told.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Steps done in the current run.
    pub steps_done: u64,
    /// Steps the current run was asked for.
    pub steps_total: u64,
    /// Mean energy over the live chains after the last step.
    pub mean_energy: f64,
}

/// Called every `interval` steps; `Break` cancels the run, with an optional reason that the
/// cancellation error carries.
pub type ProgressCallback = Box<dyn FnMut(&Progress) -> ControlFlow<Option<String>> + Send>;

/// A summary of the chains since their initialisation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SamplerStats {
    /// Number of chains.
    pub chains: usize,
    /// Their dimension.
    pub dim: usize,
    /// Steps taken since initialisation.
    pub steps: u64,
    /// Chains whose state became non-finite (frozen at their last finite state).
    pub non_finite_chains: usize,
    /// Accepted proposals over all proposals (NaN for samplers without accept/reject, or
    /// before the first step).
    pub mean_acceptance: f64,
    /// The step size of the next step (after schedules and adaptation).
    pub step_size: f64,
    /// Mean energy over the live chains now.
    pub mean_energy: f64,
    /// Divergent trajectories over all chains and steps (HMC, NUTS: energy errors
    /// (H − H₀)/T above 1000 or NaN); 0 for the other samplers.
    pub divergences: u64,
    /// Mean NUTS tree depth over all chains and steps (NaN for the other samplers, or before
    /// the first step).
    pub mean_tree_depth: f64,
}

/// A backend and, once initialised, its chains.
struct Run<B: Backend> {
    backend: B,
    chains: Option<Chains<B>>,
    n: usize,
    dim: usize,
    /// Replica exchange: the hotter copies of the chains.
    ladder: Option<Ladder<B>>,
}

enum Engine {
    Host(Run<HostBackend>),
    Tensor(Run<TensorBackend>),
}

/// Runs `$body` with `$run` bound to the engine's `Run`, whichever backend it has.
macro_rules! with_run {
    ($engine:expr, $run:ident => $body:expr) => {
        match $engine {
            Engine::Host($run) => $body,
            Engine::Tensor($run) => $body,
        }
    };
}

fn no_accept_reject(method: &Method) -> Error {
    Error::invalid(
        "sampler",
        format!("'{}' has no accept/reject step, so no acceptance rates", method.name()),
    )
}

fn no_momenta(method: &Method) -> Error {
    Error::invalid(
        "sampler",
        format!(
            "'{}' has no momenta (only hmc and kinetic_langevin carry them)",
            method.name()
        ),
    )
}

fn not_tempered() -> Error {
    Error::invalid("sampler", "is not a replica-exchange sampler (see parallel tempering)")
}

fn not_initialised() -> Error {
    Error::invalid(
        "sampler",
        "has no chains yet: initialise them first (init, sample or sample_chain)",
    )
}

impl<B: Backend> Run<B> {
    fn chains(&self) -> Result<&Chains<B>> {
        self.chains.as_ref().ok_or_else(not_initialised)
    }

    fn init<T: Real>(&mut self, method: &Method, initial: Option<&[T]>, n: usize, dim: usize) -> Result<()> {
        self.backend.prepare(n, dim, T::KIND);
        (self.n, self.dim) = (n, dim);
        let x = match initial {
            Some(values) => self.backend.batch_from(values)?,
            None => self.backend.perturb(&[], &vec![1.0; dim], false)?.0,
        };
        self.chains = Some(Chains::start(&mut self.backend, method, x, dim)?);
        if let Some(ladder) = self.ladder.as_mut() {
            ladder.init(initial, n, dim)?;
        }
        Ok(())
    }

    fn run<T: Real>(
        &mut self,
        method: &Method,
        n_steps: u64,
        thin: u64,
        mut trajectory: Option<&mut [T]>,
        progress: &mut Option<(ProgressCallback, u64)>,
    ) -> Result<()> {
        let chains = self.chains.as_mut().ok_or_else(not_initialised)?;
        let frame = self.n * self.dim;
        for done in 1..=n_steps {
            chains.step(&mut self.backend, method)?;
            if let Some(ladder) = self.ladder.as_mut() {
                ladder.step(&mut self.backend, chains, chains.steps)?;
            }
            if done % thin == 0 {
                if let Some(trajectory) = trajectory.as_deref_mut() {
                    let kept = (done / thin - 1) as usize;
                    self.backend
                        .write_batch(&chains.x, &mut trajectory[kept * frame..(kept + 1) * frame])?;
                }
            }
            if let Some((callback, interval)) = progress.as_mut() {
                if done % *interval == 0 || done == n_steps {
                    let last = |trace: &[B::Scalar]| -> Result<f64> {
                        let last = trace.last().map(std::slice::from_ref).unwrap_or(&[]);
                        Ok(self.backend.scalars_to_host(last)?.first().copied().unwrap_or(f64::NAN))
                    };
                    let mean_energy = mean(last(&chains.energy_trace)?, last(&chains.live_trace)?);
                    let report = Progress {
                        steps_done: done,
                        steps_total: n_steps,
                        mean_energy,
                    };
                    if let ControlFlow::Break(reason) = callback(&report) {
                        return Err(Error::Cancelled {
                            arg: "progress_fn",
                            steps: done,
                            total: n_steps,
                            reason,
                        });
                    }
                }
            }
        }
        Ok(())
    }

    fn write_samples<T: Real>(&self, out: &mut [T]) -> Result<()> {
        self.backend.write_batch(&self.chains()?.x, out)
    }

    fn totals(&self, method: &Method) -> Result<Totals> {
        let chains = self.chains()?;
        let alive = self.backend.mask_to_host(&chains.alive)?;
        let accepted = match &chains.accepted {
            Some(accepted) => Some(self.backend.column_to_host(accepted)?.iter().sum::<f64>()),
            None => None,
        };
        let (sum, live) = self.backend.masked_sum(&chains.energy, &chains.alive)?;
        let host = self.backend.scalars_to_host(&[sum, live])?;
        Ok(Totals {
            chains: self.n as f64,
            dim: self.dim,
            steps: chains.steps,
            non_finite: alive.iter().filter(|a| !**a).count() as f64,
            accepted,
            energy_sum: host[0],
            live: host[1],
            step_size: chains.step_size(method),
            divergences: self.column_sum(&chains.divergences)?,
            depth_sum: self.column_sum(&chains.tree_depths)?,
        })
    }

    fn column_sum(&self, column: &Option<B::Column>) -> Result<Option<f64>> {
        match column {
            Some(column) => Ok(Some(self.backend.column_to_host(column)?.iter().sum::<f64>())),
            None => Ok(None),
        }
    }

    fn divergences(&self, method: &Method) -> Result<Vec<u64>> {
        match &self.chains()?.divergences {
            None => Err(Error::invalid(
                "sampler",
                format!("'{}' has no trajectories to diverge (HMC and NUTS have)", method.name()),
            )),
            Some(counts) => Ok(self
                .backend
                .column_to_host(counts)?
                .into_iter()
                .map(|c| c as u64)
                .collect()),
        }
    }

    fn acceptance_rates(&self, method: &Method) -> Result<Vec<f64>> {
        let chains = self.chains()?;
        match &chains.accepted {
            None => Err(no_accept_reject(method)),
            Some(accepted) => {
                let steps = chains.steps as f64;
                Ok(self
                    .backend
                    .column_to_host(accepted)?
                    .into_iter()
                    .map(|a| a / steps)
                    .collect())
            }
        }
    }

    /// Per step, the live chains' energy sum and their number.
    fn energy_sums(&self) -> Result<(Vec<f64>, Vec<f64>)> {
        let chains = self.chains()?;
        Ok((
            self.backend.scalars_to_host(&chains.energy_trace)?,
            self.backend.scalars_to_host(&chains.live_trace)?,
        ))
    }

    /// Per step, the accepted proposals over all chains, and the number of chains.
    fn accepted_counts(&self, method: &Method) -> Result<(Vec<f64>, Vec<f64>)> {
        let chains = self.chains()?;
        if !method.has_accept_reject() {
            return Err(no_accept_reject(method));
        }
        let accepted = self.backend.scalars_to_host(&chains.accepted_trace)?;
        let chains = vec![self.n as f64; accepted.len()];
        Ok((accepted, chains))
    }

    fn energies(&self) -> Result<Vec<f64>> {
        self.backend.column_to_host(&self.chains()?.energy)
    }

    fn inverse_mass(&self, method: &Method) -> Result<Vec<f64>> {
        match &self.chains()?.mass {
            Some(mass) => Ok(mass.inverse_mass()),
            None => Err(Error::invalid(
                "sampler",
                format!(
                    "'{}' has no mass matrix (only hmc and kinetic_langevin have one)",
                    method.name()
                ),
            )),
        }
    }

    fn momenta<T: Real>(&mut self, method: &Method, out: &mut [T]) -> Result<()> {
        let chains = self.chains.as_ref().ok_or_else(not_initialised)?;
        match chains.momenta(&mut self.backend)? {
            Some(momenta) => self.backend.write_batch(&momenta, out),
            None => Err(no_momenta(method)),
        }
    }

    fn set_momenta<T: Real>(&mut self, method: &Method, values: &[T]) -> Result<()> {
        let chains = self.chains.as_mut().ok_or_else(not_initialised)?;
        let momenta = self.backend.batch_from(values)?;
        if chains.set_momenta(&mut self.backend, momenta)? {
            Ok(())
        } else {
            Err(no_momenta(method))
        }
    }

    fn move_to<T: Real>(&mut self, values: &[T]) -> Result<()> {
        let chains = self.chains.as_mut().ok_or_else(not_initialised)?;
        let x = self.backend.batch_from(values)?;
        chains.move_to(&mut self.backend, x)
    }

    fn refresh(&mut self) -> Result<()> {
        let chains = self.chains.as_mut().ok_or_else(not_initialised)?;
        chains.refresh(&mut self.backend)?;
        match self.ladder.as_mut() {
            Some(ladder) => ladder.refresh(),
            None => Ok(()),
        }
    }

    fn reseed(&mut self, seed: u64) -> Result<()> {
        self.backend.reseed(seed)?;
        match self.ladder.as_mut() {
            Some(ladder) => ladder.reseed(seed),
            None => Ok(()),
        }
    }

    fn swap_acceptance(&self) -> Result<Vec<f64>> {
        self.chains()?;
        match &self.ladder {
            Some(ladder) => Ok(ladder.swap_acceptance()),
            None => Err(not_tempered()),
        }
    }

    fn temperatures(&self) -> Result<Vec<f64>> {
        match &self.ladder {
            Some(ladder) => Ok(ladder.temperatures.clone()),
            None => Err(not_tempered()),
        }
    }

    fn non_finite_chains(&self) -> Result<Vec<bool>> {
        Ok(self
            .backend
            .mask_to_host(&self.chains()?.alive)?
            .into_iter()
            .map(|alive| !alive)
            .collect())
    }
}

/// The sums behind [`SamplerStats`]: what adds up across processes.
struct Totals {
    chains: f64,
    dim: usize,
    steps: u64,
    non_finite: f64,
    /// Accepted proposals over every chain and step (samplers with accept/reject).
    accepted: Option<f64>,
    /// Sum of the live chains' energies, and their number.
    energy_sum: f64,
    live: f64,
    step_size: f64,
    /// Divergences over every chain and step (HMC, NUTS).
    divergences: Option<f64>,
    /// Tree depths summed over every chain and step (NUTS).
    depth_sum: Option<f64>,
}

impl Totals {
    fn stats(&self) -> SamplerStats {
        let mean_acceptance = match self.accepted {
            Some(accepted) if self.steps > 0 => accepted / (self.chains * self.steps as f64),
            _ => f64::NAN,
        };
        SamplerStats {
            chains: self.chains as usize,
            dim: self.dim,
            steps: self.steps,
            non_finite_chains: self.non_finite as usize,
            mean_acceptance,
            step_size: self.step_size,
            mean_energy: mean(self.energy_sum, self.live),
            divergences: self.divergences.unwrap_or(0.0) as u64,
            mean_tree_depth: match self.depth_sum {
                Some(sum) if self.steps > 0 => sum / (self.chains * self.steps as f64),
                _ => f64::NAN,
            },
        }
    }
}

/// sum / count, NaN without any live chain.
fn mean(sum: f64, count: f64) -> f64 {
    if count == 0.0 {
        f64::NAN
    } else {
        sum / count
    }
}

/// What one process sends to combine its statistics (see [`Sampler::set_allreduce`]): chains,
/// non-finite chains, accepted proposals, energy sum, live chains, then steps and dim each
/// with its square (they must be equal on every process), then divergences and the tree-depth
/// sum.
const STATS_SCALARS: usize = 11;

/// A Markov-chain sampler of exp(−E) running n chains in parallel.
///
/// Reproducibility: the same seed, device, buffer type and sequence of calls give
/// bit-identical results; one sampler's draws never depend on other samplers or threads.
pub struct Sampler {
    energy: Arc<dyn Energy>,
    method: Method,
    options: SamplerOptions,
    engine: Engine,
    progress: Option<(ProgressCallback, u64)>,
    /// The host's all-reduce, which combines the diagnostics of chains sharded over
    /// processes.
    allreduce: Option<AllReduce>,
}

impl Sampler {
    /// A sampler of `energy` by `method`, with its chains not yet initialised.
    pub fn new(energy: Arc<dyn Energy>, method: Method, options: SamplerOptions) -> Result<Self> {
        Self::build(energy, method, options, None)
    }

    /// Replica exchange (parallel tempering) with `method` as the inner sampler: K copies of
    /// the chains at temperatures T·ladderₖ (T the method's own temperature), exchanges of
    /// neighbours' states every `swap_interval` steps (even and odd pairs alternating), and
    /// the T-replica as the sampler's chains: samples, trajectories, statistics and state
    /// accessors are those of that replica.
    pub fn tempered(
        energy: Arc<dyn Energy>,
        method: Method,
        options: SamplerOptions,
        tempering: TemperingParams,
    ) -> Result<Self> {
        tempering.validate()?;
        Self::build(energy, method, options, Some(tempering))
    }

    fn build(
        energy: Arc<dyn Energy>,
        method: Method,
        options: SamplerOptions,
        tempering: Option<TemperingParams>,
    ) -> Result<Self> {
        method.validate()?;
        options.validate()?;
        if let Device::Cuda(index) = options.device {
            runtime::device_from_code("device", i32::try_from(index).unwrap_or(i32::MAX))?;
        }
        let host = options.device == Device::Cpu && options.rng == RngKind::PerChain;
        let host_backend = |seed| HostBackend::new(energy.clone(), seed, options.first_chain);
        let tensor_backend = |seed| TensorBackend::new(energy.clone(), options.device, seed);
        let base_temperature = method.temperature();
        let replicas = |tempering: &TemperingParams| -> Vec<(usize, Method)> {
            tempering.ladder[1..]
                .iter()
                .enumerate()
                .map(|(k, factor)| (k + 1, method.with_temperature(base_temperature * factor)))
                .collect()
        };
        let ladder_of = |tempering: &Option<TemperingParams>| {
            tempering.as_ref().map(|t| {
                (
                    t.ladder.iter().map(|f| f * base_temperature).collect::<Vec<f64>>(),
                    t.swap_interval,
                )
            })
        };
        let engine = if host {
            let ladder = match (&tempering, ladder_of(&tempering)) {
                (Some(t), Some((temperatures, interval))) => {
                    let replicas = replicas(t)
                        .into_iter()
                        .map(|(k, method)| Replica {
                            backend: host_backend(replica_seed(options.seed, k)),
                            method,
                            chains: None,
                        })
                        .collect();
                    Some(Ladder::new(
                        replicas,
                        temperatures,
                        interval,
                        options.seed,
                        options.first_chain,
                    ))
                }
                _ => None,
            };
            Engine::Host(Run {
                backend: host_backend(options.seed),
                chains: None,
                n: 0,
                dim: 0,
                ladder,
            })
        } else {
            let ladder = match (&tempering, ladder_of(&tempering)) {
                (Some(t), Some((temperatures, interval))) => {
                    let mut built = Vec::new();
                    for (k, method) in replicas(t) {
                        built.push(Replica {
                            backend: tensor_backend(replica_seed(options.seed, k))?,
                            method,
                            chains: None,
                        });
                    }
                    Some(Ladder::new(
                        built,
                        temperatures,
                        interval,
                        options.seed,
                        options.first_chain,
                    ))
                }
                _ => None,
            };
            Engine::Tensor(Run {
                backend: tensor_backend(options.seed)?,
                chains: None,
                n: 0,
                dim: 0,
                ladder,
            })
        };
        Ok(Sampler {
            energy,
            method,
            options,
            engine,
            progress: None,
            allreduce: None,
        })
    }

    /// Whether this is a replica-exchange sampler.
    pub fn is_tempered(&self) -> bool {
        with_run!(&self.engine, run => run.ladder.is_some())
    }

    /// Per neighbour pair of replicas (k, k+1), exchanges accepted over attempted since
    /// initialisation, all chains together (NaN for a pair not tried yet).
    pub fn swap_acceptance(&self) -> Result<Vec<f64>> {
        with_run!(&self.engine, run => run.swap_acceptance())
    }

    /// The replicas' temperatures, coldest (the sampler's chains) first.
    pub fn temperatures(&self) -> Result<Vec<f64>> {
        with_run!(&self.engine, run => run.temperatures())
    }

    /// The energy sampled.
    pub fn energy(&self) -> &Arc<dyn Energy> {
        &self.energy
    }

    /// The method and its parameters.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The options the sampler was built with (the seed as last set).
    pub fn options(&self) -> &SamplerOptions {
        &self.options
    }

    /// Whether the chains run as f64 host loops (true) or as libtorch tensors.
    pub fn runs_on_host(&self) -> bool {
        matches!(self.engine, Engine::Host(_))
    }

    /// Checks that `n` chains of dimension `dim` fit in the memory available now
    /// ([`Error::OutOfMemory`] naming `arg` otherwise), before anything is allocated.
    pub fn ensure_room(&self, arg: &'static str, n: usize, dim: usize) -> Result<()> {
        let replicas = with_run!(&self.engine, run => run.ladder.as_ref().map_or(1, |l| l.temperatures.len()));
        crate::memory::ensure_allocatable(
            arg,
            &[n, dim, replicas],
            std::mem::size_of::<f64>(),
            self.method.state_arrays(),
        )
    }

    /// Starts `n` chains of dimension `dim` at `initial` (n × dim values, row-major) or,
    /// without it, at N(0, I) draws. Resets step counts, statistics and adaptation; the
    /// random streams continue.
    pub fn init<T: Real>(&mut self, initial: Option<&[T]>, n: usize, dim: usize) -> Result<()> {
        if n == 0 {
            return Err(Error::invalid("n", "must be >= 1"));
        }
        if dim == 0 {
            return Err(Error::invalid("dim", "must be >= 1"));
        }
        self.energy.dim_spec().check("dim", self.energy.name(), dim)?;
        if self.options.first_chain.checked_add(n as u64).is_none() {
            return Err(Error::invalid(
                "n",
                format!(
                    "is {n}: chains first_chain + i would pass 2^64 - 1 (first_chain is {})",
                    self.options.first_chain
                ),
            ));
        }
        self.ensure_room("n", n, dim)?;
        if let Some(values) = initial {
            if values.len() != n * dim {
                return Err(Error::LengthMismatch {
                    arg: "initial",
                    reason: format!("has {} values, {n} chains of dim {dim} need {}", values.len(), n * dim),
                });
            }
        }
        let method = &self.method;
        with_run!(&mut self.engine, run => run.init(method, initial, n, dim))
    }

    /// Advances the chains by `n_steps` steps. Every `thin`-th state (after steps thin,
    /// 2·thin, …) is written to `trajectory`, which must then hold at least
    /// (n_steps / thin) × n × dim values, laid out [kept step][chain][coordinate].
    pub fn run<T: Real>(&mut self, n_steps: u64, thin: u64, trajectory: Option<&mut [T]>) -> Result<()> {
        if thin == 0 {
            return Err(Error::invalid("thin", "must be >= 1"));
        }
        let (n, dim) = self.shape()?;
        if let Some(trajectory) = &trajectory {
            let needed = trajectory_len(n_steps, thin, n, dim)?;
            if trajectory.len() < needed {
                return Err(Error::LengthMismatch {
                    arg: "trajectory",
                    reason: format!(
                        "holds {} values, {} kept steps of {n} chains of dim {dim} need {needed}",
                        trajectory.len(),
                        n_steps / thin
                    ),
                });
            }
        }
        let method = &self.method;
        let progress = &mut self.progress;
        with_run!(&mut self.engine, run => run.run(method, n_steps, thin, trajectory, progress))
    }

    /// The chains' current states (n × dim values, row-major) into `out`.
    pub fn samples<T: Real>(&self, out: &mut [T]) -> Result<()> {
        let (n, dim) = self.shape()?;
        if out.len() != n * dim {
            return Err(Error::LengthMismatch {
                arg: "samples_out",
                reason: format!("has {} values, {n} chains of dim {dim} need {}", out.len(), n * dim),
            });
        }
        with_run!(&self.engine, run => run.write_samples(out))
    }

    /// (n, dim) of the initialised chains.
    pub fn shape(&self) -> Result<(usize, usize)> {
        with_run!(&self.engine, run => run.chains().map(|_| (run.n, run.dim)))
    }

    /// A summary of the chains since initialisation. With an all-reduce set
    /// ([`Sampler::set_allreduce`]) it is collective and summarises every process's chains
    /// together: their number, non-finite chains, acceptance and mean energy are those of one
    /// sampler running all the chains (the step size stays this process's).
    pub fn stats(&self) -> Result<SamplerStats> {
        let method = &self.method;
        let local = with_run!(&self.engine, run => run.totals(method));
        let Some(allreduce) = &self.allreduce else {
            return Ok(local?.stats());
        };
        let (sent, local) = match local {
            Ok(t) => {
                let mut scalars = vec![t.chains, t.non_finite, t.accepted.unwrap_or(0.0), t.energy_sum, t.live];
                scalars.extend(with_square(t.steps as f64));
                scalars.extend(with_square(t.dim as f64));
                scalars.extend([t.divergences.unwrap_or(0.0), t.depth_sum.unwrap_or(0.0)]);
                (Ok(scalars), Some(t))
            }
            Err(error) => (Err(error), None),
        };
        let agreement = allreduce.agree("sampler", sent, STATS_SCALARS)?;
        let local = local.expect("the agreement fails when the local part did");
        if !agreement.all_equal(5) || !agreement.all_equal(7) {
            return Err(Error::invalid(
                "sampler",
                "the processes' chains differ in steps taken or dimension; their statistics cannot be combined",
            ));
        }
        let sums = &agreement.sums;
        Ok(Totals {
            chains: sums[0],
            non_finite: sums[1],
            accepted: local.accepted.map(|_| sums[2]),
            energy_sum: sums[3],
            live: sums[4],
            divergences: local.divergences.map(|_| sums[9]),
            depth_sum: local.depth_sum.map(|_| sums[10]),
            ..local
        }
        .stats())
    }

    /// Installs (or with None removes) the host's all-reduce: [`Sampler::stats`] and
    /// [`Sampler::energy_trace`] then combine every process's chains (collective calls).
    pub fn set_allreduce(&mut self, allreduce: Option<AllReduce>) {
        self.allreduce = allreduce;
    }

    /// Per chain, accepted proposals over proposals since initialisation (MALA and HMC), or
    /// the mean acceptance statistic (NUTS).
    pub fn acceptance_rates(&self) -> Result<Vec<f64>> {
        let method = &self.method;
        with_run!(&self.engine, run => run.acceptance_rates(method))
    }

    /// Per chain, divergent trajectories since initialisation (HMC and NUTS).
    pub fn divergences(&self) -> Result<Vec<u64>> {
        let method = &self.method;
        with_run!(&self.engine, run => run.divergences(method))
    }

    /// Mean energy over the live chains after each step since initialisation. With an
    /// all-reduce set it is collective and the means are over every process's live chains
    /// (two all-reduce calls: the step counts, which must agree, then the per-step sums).
    pub fn energy_trace(&self) -> Result<Vec<f64>> {
        let local = with_run!(&self.engine, run => run.energy_sums());
        self.combined_trace(local, "energy traces")
    }

    /// Accepted proposals over proposals at each step since initialisation, all chains
    /// together (MALA and HMC); collective like [`Sampler::energy_trace`] with an all-reduce.
    pub fn acceptance_trace(&self) -> Result<Vec<f64>> {
        let method = &self.method;
        let local = with_run!(&self.engine, run => run.accepted_counts(method));
        self.combined_trace(local, "acceptance traces")
    }

    /// sums[i] / counts[i] per step, over every process's chains with an all-reduce.
    fn combined_trace(&self, local: Result<(Vec<f64>, Vec<f64>)>, what: &str) -> Result<Vec<f64>> {
        let Some(allreduce) = &self.allreduce else {
            let (sums, counts) = local?;
            return Ok(sums.iter().zip(&counts).map(|(s, c)| mean(*s, *c)).collect());
        };
        let (sent, local) = match local {
            Ok((sums, counts)) => (Ok(with_square(sums.len() as f64).to_vec()), Some((sums, counts))),
            Err(error) => (Err(error), None),
        };
        let agreement = allreduce.agree("sampler", sent, 2)?;
        let (sums, counts) = local.expect("the agreement fails when the local part did");
        if !agreement.all_equal(0) {
            return Err(Error::invalid(
                "sampler",
                format!("the processes' chains have taken different numbers of steps; their {what} cannot be combined"),
            ));
        }
        let steps = sums.len();
        let mut buffer = crate::host::with_capacity("trace", 2 * steps)?;
        buffer.extend_from_slice(&sums);
        buffer.extend_from_slice(&counts);
        allreduce.sum(Values::F64(&mut buffer))?;
        Ok((0..steps).map(|i| mean(buffer[i], buffer[steps + i])).collect())
    }

    /// Per chain, the energy E of its current state (not divided by the temperature).
    pub fn energies(&self) -> Result<Vec<f64>> {
        with_run!(&self.engine, run => run.energies())
    }

    /// The inverse mass Σ = M⁻¹ the next step uses (after any windowed adaptation): dim
    /// values for a diagonal mass, dim² (row-major) for a dense one.
    pub fn inverse_mass(&self) -> Result<Vec<f64>> {
        let method = &self.method;
        with_run!(&self.engine, run => run.inverse_mass(method))
    }

    /// The chains' momenta (n × dim, row-major) into `out`: HMC's at the end of its last
    /// transition (zeros before the first), kinetic Langevin's p = M v.
    pub fn momenta<T: Real>(&mut self, out: &mut [T]) -> Result<()> {
        self.check_chain_buffer("momenta_out", out.len())?;
        let method = &self.method;
        with_run!(&mut self.engine, run => run.momenta(method, out))
    }

    /// Sets the chains' momenta (n × dim, row-major): HMC's next transition starts from them
    /// instead of a fresh draw; kinetic Langevin continues with velocities M⁻¹p.
    pub fn set_momenta<T: Real>(&mut self, values: &[T]) -> Result<()> {
        self.check_chain_buffer("momenta", values.len())?;
        if let Some(i) = values.iter().position(|v| !v.to_f64().is_finite()) {
            return Err(Error::NonFinite {
                arg: "momenta",
                reason: format!("element {i} is {}, momenta must be finite", values[i].to_f64()),
            });
        }
        let method = &self.method;
        with_run!(&mut self.engine, run => run.set_momenta(method, values))
    }

    /// Moves the chains to `values` (n × dim, row-major) without re-initialising them: step
    /// counts, statistics, adaptation, schedules and momenta continue; E and ∇E are evaluated
    /// at the new states (a chain is live again when its new state is finite).
    pub fn set_samples<T: Real>(&mut self, values: &[T]) -> Result<()> {
        self.check_chain_buffer("samples", values.len())?;
        with_run!(&mut self.engine, run => run.move_to(values))
    }

    /// Evaluates E and ∇E again at the chains' current states: call it when the energy
    /// changed since the last step (an energy that depends on the host's state), since
    /// every step reuses the values cached at the end of the previous one.
    pub fn refresh(&mut self) -> Result<()> {
        with_run!(&mut self.engine, run => run.refresh())
    }

    /// Checks that a caller buffer holds n × dim values of the chains.
    fn check_chain_buffer(&self, arg: &'static str, len: usize) -> Result<()> {
        let (n, dim) = self.shape()?;
        if len != n * dim {
            return Err(Error::LengthMismatch {
                arg,
                reason: format!("has {len} values, {n} chains of dim {dim} need {}", n * dim),
            });
        }
        Ok(())
    }

    /// Per chain, whether its state became non-finite (it is then frozen).
    pub fn non_finite_chains(&self) -> Result<Vec<bool>> {
        with_run!(&self.engine, run => run.non_finite_chains())
    }

    /// Restarts the random streams from `seed` (the chains keep their states).
    pub fn reseed(&mut self, seed: u64) -> Result<()> {
        self.options.seed = seed;
        with_run!(&mut self.engine, run => run.reseed(seed))
    }

    /// Installs (or, with None, removes) a callback run every `interval` steps.
    pub fn set_progress(&mut self, callback: Option<ProgressCallback>, interval: u64) -> Result<()> {
        if callback.is_some() && interval == 0 {
            return Err(Error::invalid("interval", "must be >= 1"));
        }
        self.progress = callback.map(|c| (c, interval));
        Ok(())
    }

    /// The specification's `sample_chain`: chains started at `initial` (or N(0, I)), run for
    /// `n_steps` with thinning into `trajectory`, final states into `samples_out`.
    #[allow(clippy::too_many_arguments)]
    pub fn sample_chain<T: Real>(
        &mut self,
        initial: Option<&[T]>,
        n: usize,
        dim: usize,
        n_steps: u64,
        thin: u64,
        samples_out: &mut [T],
        trajectory: Option<&mut [T]>,
    ) -> Result<()> {
        if thin == 0 {
            return Err(Error::invalid("thin", "must be >= 1"));
        }
        if samples_out.len() != n * dim {
            return Err(Error::LengthMismatch {
                arg: "samples_out",
                reason: format!(
                    "has {} values, {n} chains of dim {dim} need {}",
                    samples_out.len(),
                    n * dim
                ),
            });
        }
        if let Some(trajectory) = &trajectory {
            let needed = trajectory_len(n_steps, thin, n, dim)?;
            if trajectory.len() < needed {
                return Err(Error::LengthMismatch {
                    arg: "trajectory",
                    reason: format!("holds {} values, {needed} are needed", trajectory.len()),
                });
            }
        }
        self.init(initial, n, dim)?;
        self.run(n_steps, thin, trajectory)?;
        self.samples(samples_out)
    }

    /// The specification's `sample`: `n_samples` chains from N(0, I) run for `n_steps`.
    pub fn sample<T: Real>(&mut self, n_samples: usize, dim: usize, n_steps: u64, samples_out: &mut [T]) -> Result<()> {
        self.sample_chain(None, n_samples, dim, n_steps, 1, samples_out, None)
    }

    /// The specification's `sample_step`: one step from the points `x` (n × dim values),
    /// written back into `x`. Re-initialises the chains at `x`.
    pub fn step<T: Real>(&mut self, x: &mut [T], dim: usize) -> Result<()> {
        if dim == 0 || x.len() % dim != 0 {
            return Err(Error::invalid(
                "dim",
                format!("must be >= 1 and divide the {} values of x", x.len()),
            ));
        }
        let n = x.len() / dim;
        self.init(Some(&*x), n, dim)?;
        self.run::<T>(1, 1, None)?;
        self.samples(x)
    }
}

/// Values a trajectory of `n_steps / thin` kept states of n × dim needs.
fn trajectory_len(n_steps: u64, thin: u64, n: usize, dim: usize) -> Result<usize> {
    usize::try_from(n_steps / thin)
        .ok()
        .and_then(|kept| kept.checked_mul(n))
        .and_then(|v| v.checked_mul(dim))
        .ok_or_else(|| Error::SizeOverflow {
            arg: "n_steps",
            reason: "the trajectory would not fit in memory".into(),
        })
}
