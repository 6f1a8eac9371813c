//! Markov-chain samplers of exp(−E): the specification's unadjusted Langevin dynamics,
//! Metropolis-adjusted Langevin (MALA), Hamiltonian Monte Carlo and kinetic Langevin (BAOAB),
//! over any [`Energy`](crate::energy::Energy), with n chains in parallel on the CPU or CUDA.

mod backend;
mod chains;
mod dual_averaging;
mod host_backend;
mod nuts;
mod params;
mod driver;
mod schedule;
mod tempering;
mod tensor_backend;
mod windowed_adaptation;

pub use driver::{Progress, ProgressCallback, Sampler, SamplerStats};
pub use dual_averaging::DualAveraging;
pub use params::{
    Adaptation, HmcParams, KineticLangevinParams, LangevinParams, MalaParams, Mass, Method, NutsParams, RngKind,
    SamplerOptions, NUTS_MAX_TREE_DEPTH,
};
pub use schedule::Schedule;
pub use tempering::{TemperingParams, MAX_REPLICAS};
pub use windowed_adaptation::{
    slow_windows, InverseMass, MassAdaptation, MassAdaptationKind, RowMoments, Update, WindowedAdaptation, Windows,
    MAX_DENSE_DIM,
};
