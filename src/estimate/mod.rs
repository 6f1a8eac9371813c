//! Estimates of an energy's normalising constant Z = ∫ exp(−E(x)) dx, the quantity that
//! compares energy-based models by likelihood.

mod ais;
mod annealed;
mod schedule;

pub use ais::{ais_estimate, AisParams, AisResult, InnerSampler};
pub use annealed::AnnealedEnergy;
pub use schedule::BetaSchedule;
