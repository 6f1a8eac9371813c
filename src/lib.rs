//! libtorchebm: TorchEBM's energy-based-model toolkit on libtorch, for Rust and, through
//! [`ffi`], for every language that can call C.
//!
//! The crate has two layers. The safe core (every module but [`ffi`]) knows nothing of C: it
//! works on tensors and slices, reports [`Error`]s, and owns every default (`Default` impls
//! and `DEFAULT_*` constants) and every rule between objects (a CD loss's sampler samples its
//! model, an optimizer updates the model its loss trains). The [`ffi`] layer only validates C
//! arguments, converts buffers and the core's defaults to C structs, contains panics and maps
//! errors to status codes.

/// cbindgen:ignore
pub mod checkpoint;
/// cbindgen:ignore
pub mod cuda_backend;
/// cbindgen:ignore
pub mod data;
/// cbindgen:ignore
pub mod diagnostics;
/// cbindgen:ignore
pub mod distributed;
/// cbindgen:ignore
pub mod energy;
/// cbindgen:ignore
pub mod error;
/// cbindgen:ignore
pub mod estimate;
/// cbindgen:ignore
pub mod exclusive;
/// cbindgen:ignore
mod files;
/// cbindgen:ignore
mod host;
/// cbindgen:ignore
pub mod linalg;
/// cbindgen:ignore
pub mod loss;
/// cbindgen:ignore
pub mod memory;
/// cbindgen:ignore
pub mod model;
/// cbindgen:ignore
pub mod optim;
/// cbindgen:ignore
mod parallel;
/// cbindgen:ignore
pub mod render;
/// cbindgen:ignore
pub mod runtime;
/// cbindgen:ignore
pub mod sampler;
/// cbindgen:ignore
pub mod tensor;
/// cbindgen:ignore
mod torch_generator;

pub mod ffi;

pub use error::{Error, Result};
