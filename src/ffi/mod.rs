//! The C ABI: `ebm_`-prefixed functions over opaque handles, written into `torchebm.h` by
//! cbindgen.
//!
//! This layer holds no numerics: it checks C arguments (NULL, sizes, alignment, overlap),
//! turns pointers into slices, calls the safe core, contains panics and maps [`Error`]s to
//! [`ebm_status`] codes with a thread-local message.
//!
//! [`Error`]: crate::Error
#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)] // the header documents every contract

// Declaration order is the header's order.
mod status;
mod guard;
mod runtime;
mod tasks;
mod energy;
mod energy_eval;
mod energy_hvp;
mod callback;
mod sampler_params;
mod sampler;
mod sampler_run;
mod sampler_state;
mod tempering;
mod model;
mod cd_loss;
mod score_matching;
mod optimizer;
mod train_step;
mod checkpoint;
mod distributed;
mod dataset;
mod ais;
mod args;
mod loss_args;
mod diagnostics;

pub use ais::*;
pub use callback::*;
pub use cd_loss::*;
pub use checkpoint::*;
pub use dataset::*;
pub use diagnostics::*;
pub use distributed::*;
pub use energy::*;
pub use energy_eval::*;
pub use energy_hvp::*;
pub use guard::ebm_last_error_message;
pub use model::*;
pub use optimizer::*;
pub use runtime::*;
pub use sampler::*;
pub use sampler_params::*;
pub use sampler_run::*;
pub use sampler_state::*;
pub use score_matching::*;
pub use status::*;
pub use tasks::*;
pub use tempering::*;
pub use train_step::*;
