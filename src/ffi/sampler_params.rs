//! Sampler parameter structs, their defaults, and their conversion to the core's types.

use std::mem::size_of;

use super::args::{count, input};
use crate::error::{Error, Result};
use crate::runtime;
use crate::sampler::{
    Adaptation, HmcParams, KineticLangevinParams, LangevinParams, MalaParams, Mass, MassAdaptation, MassAdaptationKind,
    NutsParams, RngKind, SamplerOptions, Schedule, Windows,
};

/// ebm_schedule.kind: the value stays the parameter's base value.
pub const EBM_SCHEDULE_CONSTANT: i32 = 0;
/// ebm_schedule.kind: max(min_value, base * decay_rate^t).
pub const EBM_SCHEDULE_EXPONENTIAL_DECAY: i32 = 1;
/// ebm_schedule.kind: from base to end_value linearly over n_steps steps, then end_value.
pub const EBM_SCHEDULE_LINEAR: i32 = 2;
/// ebm_schedule.kind: end_value + (base - end_value) * (1 + cos(pi t / n_steps)) / 2, then
/// end_value.
pub const EBM_SCHEDULE_COSINE: i32 = 3;

/// Random numbers: on the CPU one xoroshiro128++ stream per chain, keyed by (seed, first_chain +
/// i) for chain i, so a chain's draws depend on nothing else: not on the number of chains, the
/// threads, or the process (the fastest choice). With the same seed, chains [a, b) run with
/// first_chain = a anywhere equal chains [a, b) of one run of all chains, bit for bit, for
/// energies that evaluate each point on its own (analytic and callback energies; neural
/// energies batch their matrix products, whose rounding may depend on the batch). On CUDA,
/// as EBM_RNG_TORCH.
pub const EBM_RNG_PER_CHAIN: i32 = 0;
/// Random numbers from a private clone of libtorch's generator for the device, seeded with
/// the seed: the draws PyTorch makes after torch.manual_seed(seed), so seeded TorchEBM runs
/// can be reproduced. On the CPU the chains are then libtorch tensors of the buffers' type.
pub const EBM_RNG_TORCH: i32 = 1;

/// ebm_hmc_params.adapt_mass: the mass stays params.mass; adapt_steps > 0 adapts the step
/// size alone by dual averaging.
pub const EBM_ADAPT_MASS_NONE: i32 = 0;
/// ebm_hmc_params.adapt_mass: Stan's windowed warm-up adapting the step size and a diagonal
/// inverse mass (the positions' variances).
pub const EBM_ADAPT_MASS_DIAGONAL: i32 = 1;
/// ebm_hmc_params.adapt_mass: Stan's windowed warm-up adapting the step size and a dense
/// inverse mass (the positions' covariance); chains of dim <= 100 only.
pub const EBM_ADAPT_MASS_DENSE: i32 = 2;

/// How a step size or noise scale evolves with t, the number of steps taken since the chains
/// were initialised (t = 0 for the first step). The value at t = 0 is the parameter's base
/// value (e.g. step_size). Formulas are TorchEBM's. Start from ebm_schedule_default(kind).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ebm_schedule {
    /// EBM_SCHEDULE_CONSTANT (default), _EXPONENTIAL_DECAY, _LINEAR or _COSINE.
    pub kind: i32,
    /// LINEAR, COSINE: the value reached after n_steps steps (> 0). Default 1.
    pub end_value: f64,
    /// EXPONENTIAL_DECAY: the factor applied per step, in (0, 1]. Default 1.
    pub decay_rate: f64,
    /// EXPONENTIAL_DECAY: the lower bound (> 0). Default 1e-12.
    pub min_value: f64,
    /// LINEAR, COSINE: the number of steps to reach end_value (>= 1). Default 1.
    pub n_steps: i64,
}

/// Parameters of unadjusted Langevin dynamics (ebm_langevin_new), as the specification
/// writes it: x <- x - step_size * grad E(x) + sqrt(2 * step_size * noise_scale) * xi, xi ~
/// N(0, I). noise_scale acts as a temperature: the chains approach exp(-E / noise_scale),
/// with a bias of order step_size. (TorchEBM 0.8.9 multiplies the noise by noise_scale
/// instead of sqrt(noise_scale): its noise_scale s is noise_scale = s^2 here.)
///
/// Get defaults from ebm_langevin_default_params(), then change fields.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ebm_langevin_params {
    /// sizeof(ebm_langevin_params); set by ebm_langevin_default_params().
    pub struct_size: usize,
    /// Step size h > 0. Default 0.01 (the specification's).
    pub step_size: f64,
    /// Temperature T > 0. Default 1 (the specification's).
    pub noise_scale: f64,
    /// Schedule of step_size. Default constant.
    pub step_size_schedule: ebm_schedule,
    /// Schedule of noise_scale. Default constant.
    pub noise_scale_schedule: ebm_schedule,
    /// Nonzero: clamp every coordinate to [clamp_min, clamp_max] after each step. Default 0.
    pub clamp: i32,
    /// Lower clamp bound (finite, < clamp_max).
    pub clamp_min: f64,
    /// Upper clamp bound (finite).
    pub clamp_max: f64,
    /// Seed of the sampler's random streams. Default 0.
    pub seed: u64,
    /// EBM_DEVICE_CPU (default) or a CUDA device index.
    pub device: i32,
    /// EBM_RNG_PER_CHAIN (default) or EBM_RNG_TORCH.
    pub rng: i32,
    /// The global index of chain 0 (default 0): chain i draws from the stream of chain
    /// first_chain + i, so that P processes running chains [a, b) with first_chain = a
    /// reproduce one run of all chains. Must be 0 unless rng is EBM_RNG_PER_CHAIN on the CPU;
    /// first_chain + n must not exceed 2^64 - 1.
    pub first_chain: u64,
}

/// Parameters of the Metropolis-adjusted Langevin algorithm (ebm_mala_new): the Langevin
/// proposal y = x - h grad E(x) + sqrt(2 h T) xi, accepted per chain with the
/// Metropolis-Hastings probability, so the chains target exp(-E / T) exactly (T = temperature,
/// default 1).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ebm_mala_params {
    /// sizeof(ebm_mala_params); set by ebm_mala_default_params().
    pub struct_size: usize,
    /// Step size h > 0 (the initial one when adapting). Default 0.01.
    pub step_size: f64,
    /// Schedule of step_size; must be constant when adapt_steps > 0. Default constant.
    pub step_size_schedule: ebm_schedule,
    /// Number of steps after each initialisation during which h is adapted by dual averaging
    /// (then fixed at its averaged value). Default 0: no adaptation.
    pub adapt_steps: i64,
    /// Mean acceptance probability adaptation aims at, in (0, 1). Default 0.574 (optimal for
    /// MALA).
    pub target_accept: f64,
    /// Seed of the sampler's random streams. Default 0.
    pub seed: u64,
    /// EBM_DEVICE_CPU (default) or a CUDA device index.
    pub device: i32,
    /// EBM_RNG_PER_CHAIN (default) or EBM_RNG_TORCH.
    pub rng: i32,
    /// The global index of chain 0 (default 0): chain i draws from the stream of chain
    /// first_chain + i, so that P processes running chains [a, b) with first_chain = a
    /// reproduce one run of all chains. Must be 0 unless rng is EBM_RNG_PER_CHAIN on the CPU;
    /// first_chain + n must not exceed 2^64 - 1.
    pub first_chain: u64,
    /// Temperature T > 0 (default 1): the chains target exp(-E / T), the proposal being
    /// unadjusted Langevin's at noise_scale T, y = x - h grad E(x) + sqrt(2 h T) xi.
    pub temperature: f64,
}

/// Parameters of Hamiltonian Monte Carlo (ebm_hmc_new): momentum p ~ N(0, T M), n_leapfrog_steps
/// leapfrog steps of size step_size, accepted per chain with probability
/// min(1, exp((H_start - H_end) / T)), H = E(x) + p^T M^-1 p / 2, so the chains target
/// exp(-E / T) (T = temperature, default 1).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ebm_hmc_params {
    /// sizeof(ebm_hmc_params); set by ebm_hmc_default_params().
    pub struct_size: usize,
    /// Leapfrog step size > 0 (the initial one when adapting). Default 0.001 (TorchEBM 0.8.9's).
    pub step_size: f64,
    /// Leapfrog steps per proposal, >= 1. Default 10 (TorchEBM 0.8.9's).
    pub n_leapfrog_steps: i64,
    /// The mass matrix M: NULL with mass_len 0 for the identity (default), one value for a
    /// multiple of the identity, dim values for its diagonal (all > 0), or, when dim > 1,
    /// dim*dim values for a dense symmetric positive definite M (row-major, dim <= 100;
    /// EBM_ERR_NOT_POSITIVE_DEFINITE at initialisation otherwise). Copied by ebm_hmc_new.
    pub mass: *const f64,
    /// Number of values at mass: 0, 1, the chains' dim or dim*dim.
    pub mass_len: i64,
    /// Schedule of step_size; must be constant when adapt_steps > 0. Default constant.
    pub step_size_schedule: ebm_schedule,
    /// Steps after each initialisation during which step_size is adapted by dual averaging
    /// (and the mass too, see adapt_mass). Default 0: no adaptation.
    pub adapt_steps: i64,
    /// Mean acceptance probability adaptation aims at, in (0, 1). Default 0.8 (Stan's).
    pub target_accept: f64,
    /// Seed of the sampler's random streams. Default 0.
    pub seed: u64,
    /// EBM_DEVICE_CPU (default) or a CUDA device index.
    pub device: i32,
    /// EBM_RNG_PER_CHAIN (default) or EBM_RNG_TORCH.
    pub rng: i32,
    /// The global index of chain 0 (default 0): chain i draws from the stream of chain
    /// first_chain + i, so that P processes running chains [a, b) with first_chain = a
    /// reproduce one run of all chains. Must be 0 unless rng is EBM_RNG_PER_CHAIN on the CPU;
    /// first_chain + n must not exceed 2^64 - 1.
    pub first_chain: u64,
    /// Temperature T > 0 (default 1): the chains target exp(-E / T). Momenta are drawn from
    /// N(0, T M), the leapfrog integrates H = E + p^T M^-1 p / 2 unchanged (step_size keeps its
    /// meaning at every T) and proposals are accepted with min(1, exp(-(H_end - H_start) / T)).
    pub temperature: f64,
    /// EBM_ADAPT_MASS_NONE (default), EBM_ADAPT_MASS_DIAGONAL or EBM_ADAPT_MASS_DENSE. With
    /// DIAGONAL or DENSE (which need adapt_steps > 0), the adapt_steps steps after each
    /// initialisation are Stan's windowed warm-up: an initial fast window of init_buffer steps,
    /// slow windows of base_window, 2*base_window, ... steps (the last one stretched to the
    /// terminal window), a terminal fast window of term_buffer steps (when the three do not fit
    /// in adapt_steps: 15%, 75% and 10% of it; below 20 steps no slow window). step_size is
    /// adapted by dual averaging throughout, restarted at each slow window's end; at the end of
    /// each slow window the inverse mass M^-1 becomes the variances (DIAGONAL) or covariance
    /// (DENSE) of the positions of all live chains over the window's steps, n/(n+5) times the
    /// estimate plus 1e-3 * 5/(n+5) on the diagonal (n the number of pooled positions).
    /// EBM_ERR_INVALID_ARGUMENT (naming params.adapt_mass) for another value, without
    /// adapt_steps > 0, or (at initialisation) DENSE with dim > 100.
    pub adapt_mass: i32,
    /// The initial fast window, >= 1 (default 75, Stan's).
    pub init_buffer: i64,
    /// The terminal fast window, >= 1 (default 50, Stan's).
    pub term_buffer: i64,
    /// The first slow window, >= 1 (default 25, Stan's).
    pub base_window: i64,
}

/// Parameters of kinetic (underdamped) Langevin dynamics integrated by the BAOAB splitting
/// (ebm_kinetic_langevin_new), at temperature T with velocities v ~ N(0, T M^-1): the standard
/// integrator of molecular dynamics; its positions sample exp(-E / T) with an O(step_size^2)
/// bias (none for Gaussian energies).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ebm_kinetic_langevin_params {
    /// sizeof(ebm_kinetic_langevin_params); set by ebm_kinetic_langevin_default_params().
    pub struct_size: usize,
    /// Time step h > 0. Default 0.01.
    pub step_size: f64,
    /// Friction gamma > 0, per unit time. Default 1.
    pub friction: f64,
    /// The diagonal of the mass matrix, as in ebm_hmc_params. Default NULL (identity).
    pub mass: *const f64,
    /// Number of values at mass: 0, 1 or the chains' dim.
    pub mass_len: i64,
    /// Schedule of step_size. Default constant.
    pub step_size_schedule: ebm_schedule,
    /// Seed of the sampler's random streams. Default 0.
    pub seed: u64,
    /// EBM_DEVICE_CPU (default) or a CUDA device index.
    pub device: i32,
    /// EBM_RNG_PER_CHAIN (default) or EBM_RNG_TORCH.
    pub rng: i32,
    /// The global index of chain 0 (default 0): chain i draws from the stream of chain
    /// first_chain + i, so that P processes running chains [a, b) with first_chain = a
    /// reproduce one run of all chains. Must be 0 unless rng is EBM_RNG_PER_CHAIN on the CPU;
    /// first_chain + n must not exceed 2^64 - 1.
    pub first_chain: u64,
    /// Temperature T > 0 (default 1): the positions sample exp(-E / T), velocities
    /// N(0, T M^-1) (the friction's noise scaled by sqrt(T)).
    pub temperature: f64,
}

/// Parameters of the No-U-Turn sampler (ebm_nuts_new), multinomial variant as in Stan and
/// BlackJAX: each step draws a momentum p ~ N(0, T M), then doubles a leapfrog trajectory
/// (2^j steps at doubling j, in a random direction) until the trajectory makes a U-turn
/// (generalised criterion on momentum sums, with Stan's extra checks between subtrees),
/// diverges ((H - H0) / T > 1000 or a non-finite point) or reaches max_tree_depth
/// doublings; the new state is drawn among the trajectory's points in proportion to
/// exp(-H / T), H = E(x) + p^T M^-1 p / 2. The chains target exp(-E / T). Each chain builds
/// its own tree. ebm_sampler_get_stats() reports the mean acceptance statistic, the
/// divergences and the mean tree depth.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ebm_nuts_params {
    /// sizeof(ebm_nuts_params); set by ebm_nuts_default_params().
    pub struct_size: usize,
    /// Leapfrog step size > 0 (the initial one when adapting). Default 0.1.
    pub step_size: f64,
    /// Most doublings per step, in [1, 30] (at most 2^max_tree_depth - 1 leapfrog steps and
    /// gradient evaluations per chain and step). Default 10 (Stan's).
    pub max_tree_depth: i64,
    /// The diagonal of the mass matrix M, as in ebm_hmc_params: NULL with mass_len 0 for the
    /// identity (default), one value for a multiple of the identity, or dim values, all > 0.
    /// Copied by ebm_nuts_new.
    pub mass: *const f64,
    /// Number of values at mass: 0, 1 or the chains' dim.
    pub mass_len: i64,
    /// Temperature T > 0: the chains target exp(-E / T). Default 1.
    pub temperature: f64,
    /// Schedule of step_size; must be constant when adapt_steps > 0. Default constant.
    pub step_size_schedule: ebm_schedule,
    /// Steps after each initialisation during which step_size is adapted by dual averaging of
    /// the mean acceptance statistic. Default 0: no adaptation.
    pub adapt_steps: i64,
    /// Mean acceptance statistic adaptation aims at, in (0, 1). Default 0.8 (Stan's).
    pub target_accept: f64,
    /// Seed of the sampler's random streams. Default 0.
    pub seed: u64,
    /// EBM_DEVICE_CPU (default) or a CUDA device index.
    pub device: i32,
    /// EBM_RNG_PER_CHAIN (default) or EBM_RNG_TORCH.
    pub rng: i32,
    /// The global index of chain 0 (default 0): chain i draws from the stream of chain
    /// first_chain + i, so that P processes running chains [a, b) with first_chain = a
    /// reproduce one run of all chains. Must be 0 unless rng is EBM_RNG_PER_CHAIN on the CPU;
    /// first_chain + n must not exceed 2^64 - 1.
    pub first_chain: u64,
    /// EBM_ADAPT_MASS_NONE (default) or EBM_ADAPT_MASS_DIAGONAL: Stan's windowed warm-up of
    /// step_size and a diagonal mass over adapt_steps steps, exactly as ebm_hmc_params.adapt_mass
    /// describes it. EBM_ADAPT_MASS_DENSE is refused (EBM_ERR_INVALID_ARGUMENT naming
    /// params.adapt_mass): NUTS takes diagonal masses only.
    pub adapt_mass: i32,
    /// The initial fast window, >= 1 (default 75, Stan's).
    pub init_buffer: i64,
    /// The terminal fast window, >= 1 (default 50, Stan's).
    pub term_buffer: i64,
    /// The first slow window, >= 1 (default 25, Stan's).
    pub base_window: i64,
}

/// The schedule of kind `kind` (an EBM_SCHEDULE_* value) before its fields are chosen:
/// decay_rate 1 and min_value 1e-12 (EXPONENTIAL_DECAY: no decay until decay_rate is set, and
/// a floor that keeps step sizes and noise scales > 0), end_value 1 and n_steps 1 (LINEAR,
/// COSINE). Every kind has all of these fields, so changing kind keeps a valid schedule. An
/// unknown kind gets them with that kind, rejected when used. Wrappers build their schedules
/// from it.
#[no_mangle]
pub extern "C" fn ebm_schedule_default(kind: i32) -> ebm_schedule {
    ebm_schedule {
        kind,
        ..ebm_schedule::from(Schedule::Constant)
    }
}

impl From<Schedule> for ebm_schedule {
    fn from(schedule: Schedule) -> Self {
        let (Schedule::ExponentialDecay { decay_rate, min_value }, Schedule::Linear { end_value, n_steps }) =
            (Schedule::DEFAULT_EXPONENTIAL_DECAY, Schedule::DEFAULT_LINEAR)
        else {
            unreachable!("the default schedules are of their own kinds")
        };
        let blank = ebm_schedule {
            kind: EBM_SCHEDULE_CONSTANT,
            end_value,
            decay_rate,
            min_value,
            n_steps: n_steps as i64,
        };
        match schedule {
            Schedule::Constant => blank,
            Schedule::ExponentialDecay { decay_rate, min_value } => ebm_schedule {
                kind: EBM_SCHEDULE_EXPONENTIAL_DECAY,
                decay_rate,
                min_value,
                ..blank
            },
            Schedule::Linear { end_value, n_steps } => ebm_schedule {
                kind: EBM_SCHEDULE_LINEAR,
                end_value,
                n_steps: n_steps as i64,
                ..blank
            },
            Schedule::Cosine { end_value, n_steps } => ebm_schedule {
                kind: EBM_SCHEDULE_COSINE,
                end_value,
                n_steps: n_steps as i64,
                ..blank
            },
        }
    }
}

fn schedule(arg: &'static str, raw: &ebm_schedule) -> Result<Schedule> {
    let steps = || {
        u64::try_from(raw.n_steps)
            .map_err(|_| Error::invalid(arg, format!("n_steps must be >= 1, got {}", raw.n_steps)))
    };
    match raw.kind {
        EBM_SCHEDULE_CONSTANT => Ok(Schedule::Constant),
        EBM_SCHEDULE_EXPONENTIAL_DECAY => Ok(Schedule::ExponentialDecay {
            decay_rate: raw.decay_rate,
            min_value: raw.min_value,
        }),
        EBM_SCHEDULE_LINEAR => Ok(Schedule::Linear {
            end_value: raw.end_value,
            n_steps: steps()?,
        }),
        EBM_SCHEDULE_COSINE => Ok(Schedule::Cosine {
            end_value: raw.end_value,
            n_steps: steps()?,
        }),
        other => Err(Error::invalid(
            arg,
            format!("kind {other} is not an EBM_SCHEDULE_* value"),
        )),
    }
}

/// The EBM_RNG_* code of a kind of random streams.
pub(crate) fn rng_code(rng: RngKind) -> i32 {
    match rng {
        RngKind::PerChain => EBM_RNG_PER_CHAIN,
        RngKind::Torch => EBM_RNG_TORCH,
    }
}

/// The EBM_ADAPT_MASS_* code of a kind of mass adaptation.
fn mass_adaptation_code(kind: MassAdaptationKind) -> i32 {
    match kind {
        MassAdaptationKind::None => EBM_ADAPT_MASS_NONE,
        MassAdaptationKind::Diagonal => EBM_ADAPT_MASS_DIAGONAL,
        MassAdaptationKind::Dense => EBM_ADAPT_MASS_DENSE,
    }
}

fn options(seed: u64, device: i32, rng: i32, first_chain: u64) -> Result<SamplerOptions> {
    let rng = match rng {
        EBM_RNG_PER_CHAIN => RngKind::PerChain,
        EBM_RNG_TORCH => RngKind::Torch,
        other => {
            return Err(Error::invalid(
                "params.rng",
                format!("{other} is not an EBM_RNG_* value"),
            ))
        }
    };
    Ok(SamplerOptions {
        seed,
        device: runtime::device_from_code("params.device", device)?,
        rng,
        first_chain,
    })
}

fn adaptation(steps: i64, target_accept: f64) -> Result<Adaptation> {
    Ok(Adaptation {
        steps: count("params.adapt_steps", steps)? as u64,
        target_accept,
    })
}

unsafe fn mass(ptr: *const f64, len: i64) -> Result<Mass> {
    let len = count("params.mass_len", len)?;
    let values = unsafe { input(ptr, "params.mass", len)? };
    Ok(match values {
        [] => Mass::Unit,
        [m] => Mass::Scalar(*m),
        many => Mass::Diagonal(many.to_vec()),
    })
}

/// A copy of the caller's params struct, after checking its struct_size.
pub(crate) unsafe fn read<P: Copy>(params: *const P) -> Result<P> {
    if params.is_null() {
        return Err(Error::null("params"));
    }
    // SAFETY: every params struct starts with its size_t struct_size.
    let declared = unsafe { *(params as *const usize) };
    if declared < size_of::<P>() {
        return Err(Error::invalid(
            "params.struct_size",
            format!(
                "is {declared}, expected {}: initialise params with the matching _default_params()",
                size_of::<P>()
            ),
        ));
    }
    // SAFETY: the caller's struct holds at least size_of::<P>() bytes.
    Ok(unsafe { std::ptr::read_unaligned(params) })
}

/// A copy of the caller's params struct of this version or of an older one, `older_sizes`
/// being the struct_size of each older version: the fields an older struct lacks (appended
/// since) take their values from `defaults`.
pub(crate) unsafe fn read_appended<P: Copy>(params: *const P, defaults: P, older_sizes: &[usize]) -> Result<P> {
    if params.is_null() {
        return Err(Error::null("params"));
    }
    // SAFETY: every params struct starts with its size_t struct_size.
    let declared = unsafe { *(params as *const usize) };
    if declared >= size_of::<P>() {
        return unsafe { read(params) };
    }
    if !older_sizes.contains(&declared) {
        return Err(Error::invalid(
            "params.struct_size",
            format!(
                "is {declared}, expected {} (or an older version's {older_sizes:?}): initialise params with the matching _default_params()",
                size_of::<P>()
            ),
        ));
    }
    let mut value = defaults;
    // SAFETY: the caller's struct holds `declared` bytes, fewer than P's; both are plain data.
    unsafe { std::ptr::copy_nonoverlapping(params as *const u8, (&mut value as *mut P).cast::<u8>(), declared) };
    Ok(value)
}

impl ebm_langevin_params {
    pub(crate) fn defaults() -> Self {
        let d = LangevinParams::default();
        let o = SamplerOptions::default();
        let (clamp_min, clamp_max) = d.clamp.unwrap_or(LangevinParams::DEFAULT_CLAMP_BOX);
        ebm_langevin_params {
            struct_size: size_of::<Self>(),
            step_size: d.step_size,
            noise_scale: d.noise_scale,
            step_size_schedule: d.step_size_schedule.into(),
            noise_scale_schedule: d.noise_scale_schedule.into(),
            clamp: i32::from(d.clamp.is_some()),
            clamp_min,
            clamp_max,
            seed: o.seed,
            device: runtime::device_code(o.device),
            rng: rng_code(o.rng),
            first_chain: o.first_chain,
        }
    }

    pub(crate) fn to_core(self) -> Result<(LangevinParams, SamplerOptions)> {
        let params = LangevinParams {
            step_size: self.step_size,
            noise_scale: self.noise_scale,
            step_size_schedule: schedule("params.step_size_schedule", &self.step_size_schedule)?,
            noise_scale_schedule: schedule("params.noise_scale_schedule", &self.noise_scale_schedule)?,
            clamp: (self.clamp != 0).then_some((self.clamp_min, self.clamp_max)),
        };
        Ok((params, options(self.seed, self.device, self.rng, self.first_chain)?))
    }
}

impl ebm_mala_params {
    pub(crate) fn defaults() -> Self {
        let d = MalaParams::default();
        let o = SamplerOptions::default();
        ebm_mala_params {
            struct_size: size_of::<Self>(),
            step_size: d.step_size,
            step_size_schedule: d.step_size_schedule.into(),
            adapt_steps: d.adaptation.steps as i64,
            target_accept: d.adaptation.target_accept,
            seed: o.seed,
            device: runtime::device_code(o.device),
            rng: rng_code(o.rng),
            first_chain: o.first_chain,
            temperature: d.temperature,
        }
    }

    pub(crate) fn to_core(self) -> Result<(MalaParams, SamplerOptions)> {
        let params = MalaParams {
            step_size: self.step_size,
            temperature: self.temperature,
            step_size_schedule: schedule("params.step_size_schedule", &self.step_size_schedule)?,
            adaptation: adaptation(self.adapt_steps, self.target_accept)?,
        };
        Ok((params, options(self.seed, self.device, self.rng, self.first_chain)?))
    }
}

impl ebm_hmc_params {
    pub(crate) fn defaults() -> Self {
        let d = HmcParams::default();
        let o = SamplerOptions::default();
        ebm_hmc_params {
            struct_size: size_of::<Self>(),
            step_size: d.step_size,
            n_leapfrog_steps: d.n_leapfrog_steps as i64,
            mass: std::ptr::null(),
            mass_len: 0,
            step_size_schedule: d.step_size_schedule.into(),
            adapt_steps: d.adaptation.steps as i64,
            target_accept: d.adaptation.target_accept,
            seed: o.seed,
            device: runtime::device_code(o.device),
            rng: rng_code(o.rng),
            first_chain: o.first_chain,
            temperature: d.temperature,
            adapt_mass: mass_adaptation_code(d.mass_adaptation.kind),
            init_buffer: d.mass_adaptation.windows.init_buffer as i64,
            term_buffer: d.mass_adaptation.windows.term_buffer as i64,
            base_window: d.mass_adaptation.windows.base_window as i64,
        }
    }

    pub(crate) unsafe fn to_core(self) -> Result<(HmcParams, SamplerOptions)> {
        let params = HmcParams {
            step_size: self.step_size,
            temperature: self.temperature,
            n_leapfrog_steps: u64::try_from(self.n_leapfrog_steps).map_err(|_| {
                Error::invalid(
                    "params.n_leapfrog_steps",
                    format!("must be >= 1, got {}", self.n_leapfrog_steps),
                )
            })?,
            mass: unsafe { mass(self.mass, self.mass_len)? },
            step_size_schedule: schedule("params.step_size_schedule", &self.step_size_schedule)?,
            adaptation: adaptation(self.adapt_steps, self.target_accept)?,
            mass_adaptation: mass_adaptation(self.adapt_mass, self.init_buffer, self.term_buffer, self.base_window)?,
        };
        Ok((params, options(self.seed, self.device, self.rng, self.first_chain)?))
    }
}

/// The windowed-adaptation fields of a params struct (ebm_hmc_params; NUTS's the same way).
pub(crate) fn mass_adaptation(
    adapt_mass: i32,
    init_buffer: i64,
    term_buffer: i64,
    base_window: i64,
) -> Result<MassAdaptation> {
    Ok(MassAdaptation {
        kind: match adapt_mass {
            EBM_ADAPT_MASS_NONE => MassAdaptationKind::None,
            EBM_ADAPT_MASS_DIAGONAL => MassAdaptationKind::Diagonal,
            EBM_ADAPT_MASS_DENSE => MassAdaptationKind::Dense,
            other => {
                return Err(Error::invalid(
                    "params.adapt_mass",
                    format!("must be EBM_ADAPT_MASS_NONE, _DIAGONAL or _DENSE, got {other}"),
                ))
            }
        },
        windows: Windows {
            init_buffer: window("params.init_buffer", init_buffer)?,
            term_buffer: window("params.term_buffer", term_buffer)?,
            base_window: window("params.base_window", base_window)?,
        },
    })
}

fn window(arg: &'static str, value: i64) -> Result<u64> {
    match u64::try_from(value) {
        Ok(steps) if steps >= 1 => Ok(steps),
        _ => Err(Error::invalid(arg, format!("must be >= 1, got {value}"))),
    }
}

impl ebm_kinetic_langevin_params {
    pub(crate) fn defaults() -> Self {
        let d = KineticLangevinParams::default();
        let o = SamplerOptions::default();
        ebm_kinetic_langevin_params {
            struct_size: size_of::<Self>(),
            step_size: d.step_size,
            friction: d.friction,
            mass: std::ptr::null(),
            mass_len: 0,
            step_size_schedule: d.step_size_schedule.into(),
            seed: o.seed,
            device: runtime::device_code(o.device),
            rng: rng_code(o.rng),
            first_chain: o.first_chain,
            temperature: d.temperature,
        }
    }

    pub(crate) unsafe fn to_core(self) -> Result<(KineticLangevinParams, SamplerOptions)> {
        let params = KineticLangevinParams {
            step_size: self.step_size,
            temperature: self.temperature,
            friction: self.friction,
            mass: unsafe { mass(self.mass, self.mass_len)? },
            step_size_schedule: schedule("params.step_size_schedule", &self.step_size_schedule)?,
        };
        Ok((params, options(self.seed, self.device, self.rng, self.first_chain)?))
    }
}

impl ebm_nuts_params {
    pub(crate) fn defaults() -> Self {
        let d = NutsParams::default();
        let o = SamplerOptions::default();
        ebm_nuts_params {
            struct_size: size_of::<Self>(),
            step_size: d.step_size,
            max_tree_depth: i64::from(d.max_tree_depth),
            mass: std::ptr::null(),
            mass_len: 0,
            temperature: d.temperature,
            step_size_schedule: d.step_size_schedule.into(),
            adapt_steps: d.adaptation.steps as i64,
            target_accept: d.adaptation.target_accept,
            seed: o.seed,
            device: runtime::device_code(o.device),
            rng: rng_code(o.rng),
            first_chain: o.first_chain,
            adapt_mass: mass_adaptation_code(d.mass_adaptation.kind),
            init_buffer: d.mass_adaptation.windows.init_buffer as i64,
            term_buffer: d.mass_adaptation.windows.term_buffer as i64,
            base_window: d.mass_adaptation.windows.base_window as i64,
        }
    }

    pub(crate) unsafe fn to_core(self) -> Result<(NutsParams, SamplerOptions)> {
        let params = NutsParams {
            step_size: self.step_size,
            // Out-of-range values (negative or huge) are refused by validation, naming the field.
            max_tree_depth: u32::try_from(self.max_tree_depth).unwrap_or(u32::MAX),
            mass: unsafe { mass(self.mass, self.mass_len)? },
            temperature: self.temperature,
            step_size_schedule: schedule("params.step_size_schedule", &self.step_size_schedule)?,
            adaptation: adaptation(self.adapt_steps, self.target_accept)?,
            mass_adaptation: mass_adaptation(self.adapt_mass, self.init_buffer, self.term_buffer, self.base_window)?,
        };
        Ok((params, options(self.seed, self.device, self.rng, self.first_chain)?))
    }
}
