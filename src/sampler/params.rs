//! Sampler configurations, with their defaults and validation.

use tch::Device;

use super::schedule::Schedule;
use super::windowed_adaptation::{InverseMass, MassAdaptation, MassAdaptationKind, MAX_DENSE_DIM};
use crate::error::{ensure_finite, ensure_finite_scalar, Error, Result};

/// Where random numbers come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RngKind {
    /// On the CPU, one xoroshiro128++ stream per chain, keyed by (seed, first_chain + i): the
    /// fastest choice, and chain i's draws do not depend on how many chains run or where.
    /// On CUDA, the same as `Torch`.
    #[default]
    PerChain,
    /// A private clone of libtorch's generator for the device, seeded with the seed: draws
    /// exactly what PyTorch draws after `torch.manual_seed(seed)` for the same calls, so
    /// seeded TorchEBM runs can be reproduced.
    Torch,
}

/// Options shared by every sampler.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SamplerOptions {
    /// Seed of the sampler's random streams.
    pub seed: u64,
    /// Where the chains live and are advanced.
    pub device: Device,
    /// Source of random numbers.
    pub rng: RngKind,
    /// The global index of chain 0: chain i draws from the stream of chain first_chain + i,
    /// so that shards of one run (chains [a, b) with first_chain = a) reproduce it. Only
    /// per-chain streams on the CPU have per-chain draws; elsewhere it must be 0.
    pub first_chain: u64,
}

impl SamplerOptions {
    /// Checks that the options can be honoured.
    pub(crate) fn validate(&self) -> Result<()> {
        if self.first_chain != 0 && (self.device != Device::Cpu || self.rng != RngKind::PerChain) {
            return Err(Error::invalid(
                "params.first_chain",
                format!(
                    "is {}, but only per-chain random streams on the CPU draw per chain; it must be 0 \
                     with libtorch's generator or on CUDA",
                    self.first_chain
                ),
            ));
        }
        Ok(())
    }
}

impl Default for SamplerOptions {
    fn default() -> Self {
        SamplerOptions {
            seed: 0,
            device: Device::Cpu,
            rng: RngKind::PerChain,
            first_chain: 0,
        }
    }
}

/// Step-size adaptation by dual averaging during the first `steps` steps after each
/// initialisation, toward the mean acceptance probability `target_accept`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Adaptation {
    /// Number of adapted steps (0: off).
    pub steps: u64,
    /// Target mean acceptance probability, in (0, 1).
    pub target_accept: f64,
}

/// The mass matrix of HMC and kinetic Langevin: diagonal, or for HMC dense.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Mass {
    /// The identity.
    #[default]
    Unit,
    /// m times the identity.
    Scalar(f64),
    /// diag(m₁, …, m_d); its length must equal the chains' dim. For HMC, dim² values
    /// (dim > 1) are a dense matrix, as `Dense`.
    Diagonal(Vec<f64>),
    /// M, dim × dim row-major, symmetric positive definite (HMC only, dim ≤ 100).
    Dense(Vec<f64>),
}

impl Mass {
    fn validate(&self, arg: &'static str) -> Result<()> {
        let values: &[f64] = match self {
            Mass::Unit => return Ok(()),
            Mass::Scalar(m) => std::slice::from_ref(m),
            // k² values may be a dense k × k matrix: their signs are checked once dim is known.
            Mass::Diagonal(values) if could_be_dense(values.len()) => return ensure_finite(arg, values),
            Mass::Diagonal(values) => values,
            Mass::Dense(values) => return ensure_finite(arg, values),
        };
        ensure_finite(arg, values)?;
        positive_masses(arg, values)
    }

    /// The diagonal for dimension `dim`.
    pub(crate) fn diagonal(&self, dim: usize) -> Result<Vec<f64>> {
        match self {
            Mass::Unit => Ok(vec![1.0; dim]),
            Mass::Scalar(m) => Ok(vec![*m; dim]),
            Mass::Diagonal(values) if values.len() == dim => {
                positive_masses("params.mass", values)?;
                Ok(values.clone())
            }
            Mass::Diagonal(values) => Err(Error::dimension(
                "mass",
                format!("has {} elements but the chains have dim {dim}", values.len()),
            )),
            Mass::Dense(_) => Err(Error::invalid(
                "params.mass",
                "a dense mass matrix is only supported by hmc",
            )),
        }
    }

    /// The inverse mass Σ = M⁻¹ for dimension `dim` (HMC: dense allowed).
    pub(crate) fn inverse(&self, dim: usize) -> Result<InverseMass> {
        let dense = match self {
            Mass::Dense(values) => values,
            Mass::Diagonal(values) if dim > 1 && values.len() == dim * dim => values,
            _ => {
                return Ok(InverseMass::Diagonal(
                    self.diagonal(dim)?.iter().map(|m| 1.0 / m).collect(),
                ))
            }
        };
        if dense.len() != dim * dim {
            return Err(Error::dimension(
                "mass",
                format!(
                    "has {} elements but a dense mass for dim {dim} has {}",
                    dense.len(),
                    dim * dim
                ),
            ));
        }
        if dim > MAX_DENSE_DIM {
            return Err(Error::invalid(
                "params.mass",
                format!("a dense mass is limited to dim <= {MAX_DENSE_DIM}, the chains have dim {dim}"),
            ));
        }
        Ok(InverseMass::Dense(
            crate::linalg::spd_inverse("params.mass", "", dense, dim)?.inverse,
        ))
    }
}

/// Whether `len` values could be a dense k × k mass (k > 1).
fn could_be_dense(len: usize) -> bool {
    let k = (len as f64).sqrt().round() as usize;
    k > 1 && k * k == len
}

fn positive_masses(arg: &'static str, values: &[f64]) -> Result<()> {
    match values.iter().position(|m| *m <= 0.0) {
        Some(i) => Err(Error::invalid(
            arg,
            format!("element {i} is {}, masses must be > 0", values[i]),
        )),
        None => Ok(()),
    }
}

/// The specification's unadjusted Langevin dynamics:
/// x ← x − h∇E(x) + √(2·h·noise_scale)·ξ, so noise_scale acts as a temperature.
#[derive(Debug, Clone, PartialEq)]
pub struct LangevinParams {
    /// h; the specification's default 0.01.
    pub step_size: f64,
    /// The temperature T; the specification's default 1.
    pub noise_scale: f64,
    /// How h evolves with the step count.
    pub step_size_schedule: Schedule,
    /// How T evolves with the step count.
    pub noise_scale_schedule: Schedule,
    /// A box [min, max] every coordinate is clamped to after each step.
    pub clamp: Option<(f64, f64)>,
}

impl LangevinParams {
    /// The box [-1, 1] a caller who switches clamping on without choosing one gets (the C
    /// struct's clamp_min and clamp_max defaults; `clamp` itself defaults to off).
    pub const DEFAULT_CLAMP_BOX: (f64, f64) = (-1.0, 1.0);
}

impl Default for LangevinParams {
    fn default() -> Self {
        LangevinParams {
            step_size: 0.01,
            noise_scale: 1.0,
            step_size_schedule: Schedule::Constant,
            noise_scale_schedule: Schedule::Constant,
            clamp: None,
        }
    }
}

/// Metropolis-adjusted Langevin: the Langevin proposal y = x − h∇E(x) + √(2hT)ξ (the
/// proposal of unadjusted Langevin at noise_scale T), accepted or rejected per chain so that
/// the chains target exp(−E/T) exactly.
#[derive(Debug, Clone, PartialEq)]
pub struct MalaParams {
    /// h, default 0.01.
    pub step_size: f64,
    /// The temperature T, default 1.
    pub temperature: f64,
    /// How h evolves with the step count (constant when adapting).
    pub step_size_schedule: Schedule,
    /// Dual-averaging adaptation (target 0.574, the optimal MALA acceptance).
    pub adaptation: Adaptation,
}

impl Default for MalaParams {
    fn default() -> Self {
        MalaParams {
            step_size: 0.01,
            temperature: 1.0,
            step_size_schedule: Schedule::Constant,
            adaptation: Adaptation {
                steps: 0,
                target_accept: 0.574,
            },
        }
    }
}

/// Hamiltonian Monte Carlo with leapfrog integration and a diagonal mass, at temperature T:
/// momenta p ~ N(0, T·M), the Hamiltonian H = E + ½pᵀM⁻¹p integrated as it is (so the step
/// size keeps its physical meaning at every T), proposals accepted with min(1, e^{−ΔH/T}):
/// the chains target exp(−E/T).
#[derive(Debug, Clone, PartialEq)]
pub struct HmcParams {
    /// Leapfrog step ε; TorchEBM 0.8.9's default 1e-3.
    pub step_size: f64,
    /// The temperature T, default 1.
    pub temperature: f64,
    /// Leapfrog steps per proposal; TorchEBM 0.8.9's default 10.
    pub n_leapfrog_steps: u64,
    /// The mass matrix.
    pub mass: Mass,
    /// How ε evolves with the step count (constant when adapting).
    pub step_size_schedule: Schedule,
    /// Dual-averaging adaptation (target 0.8, Stan's default).
    pub adaptation: Adaptation,
    /// Windowed adaptation of the mass during the adapted steps (default: none).
    pub mass_adaptation: MassAdaptation,
}

impl Default for HmcParams {
    fn default() -> Self {
        HmcParams {
            step_size: 1e-3,
            temperature: 1.0,
            n_leapfrog_steps: 10,
            mass: Mass::Unit,
            step_size_schedule: Schedule::Constant,
            adaptation: Adaptation {
                steps: 0,
                target_accept: 0.8,
            },
            mass_adaptation: MassAdaptation::default(),
        }
    }
}

/// Kinetic (underdamped) Langevin dynamics integrated by the BAOAB splitting, at
/// temperature T (velocities v ~ N(0, T·M⁻¹)): its positions sample exp(−E/T) up to an
/// O(h²) bias (none for Gaussians).
#[derive(Debug, Clone, PartialEq)]
pub struct KineticLangevinParams {
    /// h, default 0.01.
    pub step_size: f64,
    /// The temperature T, default 1.
    pub temperature: f64,
    /// The friction γ (per unit time), default 1.
    pub friction: f64,
    /// The mass matrix.
    pub mass: Mass,
    /// How h evolves with the step count.
    pub step_size_schedule: Schedule,
}

impl Default for KineticLangevinParams {
    fn default() -> Self {
        KineticLangevinParams {
            step_size: 0.01,
            temperature: 1.0,
            friction: 1.0,
            mass: Mass::Unit,
            step_size_schedule: Schedule::Constant,
        }
    }
}

/// The No-U-Turn sampler (multinomial variant, as Stan and BlackJAX): each step doubles a
/// leapfrog trajectory in random directions until it makes a U-turn, diverges or reaches
/// `max_tree_depth` doublings, and draws the new state from it in proportion to exp(−H/T).
#[derive(Debug, Clone, PartialEq)]
pub struct NutsParams {
    /// Leapfrog step ε, default 0.1.
    pub step_size: f64,
    /// Most doublings per step (2^depth − 1 leapfrog steps), in [1, 30]; Stan's default 10.
    pub max_tree_depth: u32,
    /// The mass matrix.
    pub mass: Mass,
    /// The temperature T: the chains target exp(−E/T), momenta are N(0, T·M). Default 1.
    pub temperature: f64,
    /// How ε evolves with the step count (constant when adapting).
    pub step_size_schedule: Schedule,
    /// Dual-averaging adaptation on the mean of Stan's acceptance statistic (target 0.8).
    pub adaptation: Adaptation,
    /// Stan's windowed warm-up of the step size and a diagonal mass (dense is HMC's only).
    pub mass_adaptation: MassAdaptation,
}

/// The deepest tree NUTS may build: 2^30 leapfrog steps per step is already far beyond use.
pub const NUTS_MAX_TREE_DEPTH: u32 = 30;

impl Default for NutsParams {
    fn default() -> Self {
        NutsParams {
            step_size: 0.1,
            max_tree_depth: 10,
            mass: Mass::Unit,
            temperature: 1.0,
            step_size_schedule: Schedule::Constant,
            adaptation: Adaptation {
                steps: 0,
                target_accept: 0.8,
            },
            mass_adaptation: MassAdaptation::default(),
        }
    }
}

/// Which sampler, with its parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum Method {
    /// Unadjusted Langevin.
    Langevin(LangevinParams),
    /// Metropolis-adjusted Langevin.
    Mala(MalaParams),
    /// Hamiltonian Monte Carlo.
    Hmc(HmcParams),
    /// Kinetic Langevin (BAOAB).
    KineticLangevin(KineticLangevinParams),
    /// The No-U-Turn sampler.
    Nuts(NutsParams),
}

impl Method {
    /// How many n × dim arrays a step keeps or builds (state, gradient, draws, proposals,
    /// momenta): what initialising n chains must be able to allocate.
    pub(crate) fn state_arrays(&self) -> usize {
        match self {
            Method::Langevin(_) => 4,
            Method::Mala(_) | Method::KineticLangevin(_) => 8,
            Method::Hmc(_) => 10,
            // The trajectory's ends and sums, and per tree level a subtree's.
            Method::Nuts(p) => 14 + 7 * p.max_tree_depth as usize,
        }
    }
}

fn positive(arg: &'static str, value: f64) -> Result<()> {
    ensure_finite_scalar(arg, value)?;
    if value > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(arg, format!("must be > 0, got {value}")))
    }
}

fn validate_adaptation(adaptation: &Adaptation, schedule: &Schedule) -> Result<()> {
    if adaptation.steps == 0 {
        return Ok(());
    }
    ensure_finite_scalar("params.target_accept", adaptation.target_accept)?;
    if !(adaptation.target_accept > 0.0 && adaptation.target_accept < 1.0) {
        return Err(Error::invalid(
            "params.target_accept",
            format!("must be in (0, 1), got {}", adaptation.target_accept),
        ));
    }
    if *schedule != Schedule::Constant {
        return Err(Error::invalid(
            "params.step_size_schedule",
            "must be constant when the step size is adapted (adapt_steps > 0)",
        ));
    }
    Ok(())
}

impl Method {
    /// The sampler's name: "langevin", "mala", "hmc", "kinetic_langevin" or "nuts".
    pub fn name(&self) -> &'static str {
        match self {
            Method::Langevin(_) => "langevin",
            Method::Mala(_) => "mala",
            Method::Hmc(_) => "hmc",
            Method::KineticLangevin(_) => "kinetic_langevin",
            Method::Nuts(_) => "nuts",
        }
    }

    /// The temperature T of the target exp(−E/T) (unadjusted Langevin's noise_scale, as the
    /// specification names it; its value at step 0 when scheduled).
    pub fn temperature(&self) -> f64 {
        match self {
            Method::Langevin(p) => p.noise_scale,
            Method::Mala(p) => p.temperature,
            Method::Hmc(p) => p.temperature,
            Method::KineticLangevin(p) => p.temperature,
            Method::Nuts(p) => p.temperature,
        }
    }

    /// The same method at temperature `temperature` (for Langevin: noise_scale, with a
    /// constant schedule).
    pub fn with_temperature(&self, temperature: f64) -> Method {
        let mut method = self.clone();
        match &mut method {
            Method::Langevin(p) => {
                p.noise_scale = temperature;
                p.noise_scale_schedule = Schedule::Constant;
            }
            Method::Mala(p) => p.temperature = temperature,
            Method::Hmc(p) => p.temperature = temperature,
            Method::KineticLangevin(p) => p.temperature = temperature,
            Method::Nuts(p) => p.temperature = temperature,
        }
        method
    }

    /// Whether proposals are accepted or rejected (so acceptance rates exist).
    pub fn has_accept_reject(&self) -> bool {
        matches!(self, Method::Mala(_) | Method::Hmc(_) | Method::Nuts(_))
    }

    /// Checks every parameter; errors name them as "params.<field>".
    pub fn validate(&self) -> Result<()> {
        match self {
            Method::Langevin(p) => {
                positive("params.step_size", p.step_size)?;
                positive("params.noise_scale", p.noise_scale)?;
                p.step_size_schedule.validate("params.step_size_schedule", true)?;
                p.noise_scale_schedule.validate("params.noise_scale_schedule", true)?;
                if let Some((lo, hi)) = p.clamp {
                    ensure_finite_scalar("params.clamp_min", lo)?;
                    ensure_finite_scalar("params.clamp_max", hi)?;
                    if lo >= hi {
                        return Err(Error::invalid(
                            "params.clamp_min",
                            format!("must be < clamp_max, got [{lo}, {hi}]"),
                        ));
                    }
                }
                Ok(())
            }
            Method::Mala(p) => {
                positive("params.step_size", p.step_size)?;
                positive("params.temperature", p.temperature)?;
                p.step_size_schedule.validate("params.step_size_schedule", true)?;
                validate_adaptation(&p.adaptation, &p.step_size_schedule)
            }
            Method::Hmc(p) => {
                positive("params.step_size", p.step_size)?;
                positive("params.temperature", p.temperature)?;
                if p.n_leapfrog_steps == 0 {
                    return Err(Error::invalid("params.n_leapfrog_steps", "must be >= 1, got 0"));
                }
                p.mass.validate("params.mass")?;
                p.step_size_schedule.validate("params.step_size_schedule", true)?;
                p.mass_adaptation.validate(p.adaptation.steps)?;
                validate_adaptation(&p.adaptation, &p.step_size_schedule)
            }
            Method::KineticLangevin(p) => {
                positive("params.step_size", p.step_size)?;
                positive("params.temperature", p.temperature)?;
                positive("params.friction", p.friction)?;
                p.mass.validate("params.mass")?;
                p.step_size_schedule.validate("params.step_size_schedule", true)
            }
            Method::Nuts(p) => {
                positive("params.step_size", p.step_size)?;
                if !(1..=NUTS_MAX_TREE_DEPTH).contains(&p.max_tree_depth) {
                    return Err(Error::invalid(
                        "params.max_tree_depth",
                        format!("must be in [1, {NUTS_MAX_TREE_DEPTH}], got {}", p.max_tree_depth),
                    ));
                }
                positive("params.temperature", p.temperature)?;
                p.mass.validate("params.mass")?;
                if matches!(p.mass, Mass::Dense(_)) {
                    return Err(Error::invalid(
                        "params.mass",
                        "NUTS takes a diagonal mass (0, 1 or dim values); dense masses are HMC's",
                    ));
                }
                if p.mass_adaptation.kind == MassAdaptationKind::Dense {
                    return Err(Error::invalid(
                        "params.adapt_mass",
                        "NUTS adapts a diagonal mass only (EBM_ADAPT_MASS_DIAGONAL); dense adaptation is HMC's",
                    ));
                }
                p.mass_adaptation.validate(p.adaptation.steps)?;
                p.step_size_schedule.validate("params.step_size_schedule", true)?;
                validate_adaptation(&p.adaptation, &p.step_size_schedule)
            }
        }
    }
}
