use std::ffi::c_char;

use crate::error::Error;

/// Result of every fallible ebm_ function. EBM_OK is 0; every other value is an error whose
/// details are in ebm_last_error_message(). New codes are only ever appended.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ebm_status {
    /// Success.
    EBM_OK = 0,
    /// A required pointer or handle argument was NULL.
    EBM_ERR_NULL_POINTER = 1,
    /// An argument outside its documented domain (negative count, unknown code, overlapping
    /// buffers, misaligned pointer, ...).
    EBM_ERR_INVALID_ARGUMENT = 2,
    /// A parameter that must be finite is NaN or infinite.
    EBM_ERR_NON_FINITE = 3,
    /// The points' dimension is not one the energy accepts, or energies of incompatible
    /// dimensions were combined.
    EBM_ERR_DIMENSION_MISMATCH = 4,
    /// Two arrays that must have the same length do not.
    EBM_ERR_LENGTH_MISMATCH = 5,
    /// Sizes whose product, or byte count, does not fit in memory.
    EBM_ERR_SIZE_OVERFLOW = 6,
    /// A covariance matrix that is not symmetric positive definite.
    EBM_ERR_NOT_POSITIVE_DEFINITE = 7,
    /// A CUDA device was requested that this build or machine does not have.
    EBM_ERR_DEVICE_UNAVAILABLE = 8,
    /// A user callback returned nonzero.
    EBM_ERR_CALLBACK = 9,
    /// libtorch reported an error (out of memory, CUDA error, ...).
    EBM_ERR_TORCH = 10,
    /// An internal error (a bug in libtorchebm) was contained; the message says where.
    EBM_ERR_PANIC = 11,
    /// Host memory for the call could not be allocated (libtorch's own allocation failures,
    /// including CUDA's, are EBM_ERR_TORCH).
    EBM_ERR_OUT_OF_MEMORY = 12,
    /// A progress callback cancelled a run; the chains hold the state reached.
    EBM_ERR_CANCELLED = 13,
    /// A file could not be opened, read or written.
    EBM_ERR_IO = 14,
    /// A file is truncated, corrupted, not a libtorchebm file, or holds another architecture.
    EBM_ERR_FORMAT = 15,
    /// The handle is in use by a call further up the calling thread's stack: a callback
    /// (progress or energy) called back into the sampler, loss or optimizer that is running
    /// it. Nothing was done; return from the callback and call again afterwards.
    EBM_ERR_BUSY = 16,
    /// Another process failed its part of a collective call (a training step or statistics
    /// combined through an all-reduce set with ebm_optimizer_set_allreduce or
    /// ebm_sampler_set_allreduce); nothing was changed on this one. That process's own status
    /// and message say why.
    EBM_ERR_REMOTE = 17,
}

impl From<&Error> for ebm_status {
    fn from(error: &Error) -> Self {
        match error {
            Error::NullPointer { .. } => ebm_status::EBM_ERR_NULL_POINTER,
            Error::InvalidArgument { .. } => ebm_status::EBM_ERR_INVALID_ARGUMENT,
            Error::NonFinite { .. } => ebm_status::EBM_ERR_NON_FINITE,
            Error::DimensionMismatch { .. } => ebm_status::EBM_ERR_DIMENSION_MISMATCH,
            Error::LengthMismatch { .. } => ebm_status::EBM_ERR_LENGTH_MISMATCH,
            Error::SizeOverflow { .. } => ebm_status::EBM_ERR_SIZE_OVERFLOW,
            Error::NotPositiveDefinite { .. } => ebm_status::EBM_ERR_NOT_POSITIVE_DEFINITE,
            Error::DeviceUnavailable { .. } => ebm_status::EBM_ERR_DEVICE_UNAVAILABLE,
            Error::Callback { .. } => ebm_status::EBM_ERR_CALLBACK,
            Error::Torch(_) => ebm_status::EBM_ERR_TORCH,
            Error::OutOfMemory { .. } => ebm_status::EBM_ERR_OUT_OF_MEMORY,
            Error::Cancelled { .. } => ebm_status::EBM_ERR_CANCELLED,
            Error::Io { .. } => ebm_status::EBM_ERR_IO,
            Error::Format { .. } => ebm_status::EBM_ERR_FORMAT,
            Error::Busy { .. } => ebm_status::EBM_ERR_BUSY,
            Error::Remote { .. } => ebm_status::EBM_ERR_REMOTE,
        }
    }
}

/// A fixed, static description of a status code, e.g. "null pointer" for
/// EBM_ERR_NULL_POINTER; "unknown status" for a value that is not a status. Never NULL;
/// the string must not be freed.
///
/// Example, a complete program (make test-header-examples compiles and runs it):
///
/// ```c
/// #include <stdio.h>
/// #include "torchebm.h"
///
/// int main(void) {
///     if (ebm_version_number() != EBM_VERSION_NUMBER) return 1; // header and library differ
///     // Bad input is a status and a message naming the function and argument, never a crash.
///     double mean[2] = {0, 0}, cov[4] = {1, 2, 2, 1}; // not positive definite
///     ebm_energy *e = NULL;
///     ebm_status status = ebm_energy_gaussian_new(mean, cov, 2, &e);
///     printf("%s: %s\n", ebm_status_string(status), ebm_last_error_message());
///     if (status != EBM_ERR_NOT_POSITIVE_DEFINITE || e != NULL) return 1;
///     if (ebm_set_num_threads(2) != EBM_OK) return 1; // the library's own pool
///     ebm_build_info info;
///     if (ebm_get_build_info(&info, sizeof info) != EBM_OK) return 1;
///     printf("libtorchebm %s, libtorch %s, %d threads, CUDA devices: %d\n", info.version,
///            info.libtorch_version, info.num_threads, info.cuda_device_count);
///     return 0;
/// }
/// ```
#[no_mangle]
pub extern "C" fn ebm_status_string(status: i32) -> *const c_char {
    let text: &'static [u8] = match status {
        0 => b"ok\0",
        1 => b"null pointer\0",
        2 => b"invalid argument\0",
        3 => b"non-finite value\0",
        4 => b"dimension mismatch\0",
        5 => b"length mismatch\0",
        6 => b"size overflow\0",
        7 => b"matrix not symmetric positive definite\0",
        8 => b"device unavailable\0",
        9 => b"callback failed\0",
        10 => b"libtorch error\0",
        11 => b"internal error\0",
        12 => b"out of memory\0",
        13 => b"cancelled\0",
        14 => b"file input/output error\0",
        15 => b"bad file format\0",
        16 => b"handle busy in a callback\0",
        17 => b"failed on another process\0",
        _ => b"unknown status\0",
    };
    text.as_ptr() as *const c_char
}
