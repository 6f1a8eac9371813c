//! Safe wrapper over torch_generator.cpp: a private libtorch generator per sampler.

use std::ffi::{c_char, c_void, CStr};
use std::ptr::NonNull;

use tch::{Device, Tensor};

use crate::error::{Error, Result};
use crate::runtime;

extern "C" {
    fn torchebm_generator_new(device_index: i32, seed: u64, error: *mut *mut c_char) -> *mut c_void;
    fn torchebm_generator_free(generator: *mut c_void);
    fn torchebm_generator_set_seed(generator: *mut c_void, seed: u64, error: *mut *mut c_char) -> i32;
    fn torchebm_generator_normal(generator: *mut c_void, tensor: *mut c_void, error: *mut *mut c_char) -> i32;
    fn torchebm_generator_uniform(
        generator: *mut c_void,
        tensor: *mut c_void,
        from: f64,
        to: f64,
        error: *mut *mut c_char,
    ) -> i32;
    fn torchebm_generator_randperm(generator: *mut c_void, tensor: *mut c_void, n: i64, error: *mut *mut c_char)
        -> i32;
}

/// Turns the shim's malloc'ed message into an error, freeing it.
fn shim_error(message: *mut c_char) -> Error {
    let text = if message.is_null() {
        "libtorch generator failed".to_string()
    } else {
        // SAFETY: a NUL-terminated string malloc'ed by the shim, freed right after copying.
        let text = unsafe { CStr::from_ptr(message) }.to_string_lossy().into_owned();
        unsafe { libc::free(message as *mut c_void) };
        text
    };
    Error::Torch(tch::TchError::Torch(text))
}

fn checked(status: i32, message: *mut c_char) -> Result<()> {
    if status == 0 {
        Ok(())
    } else {
        Err(shim_error(message))
    }
}

/// A clone of a device's default libtorch generator, used by one sampler only.
pub(crate) struct TorchGenerator {
    generator: NonNull<c_void>,
}

// SAFETY: at::Generator locks its own mutex around every draw; the handle is only reached
// through &mut self (one sampler call at a time).
unsafe impl Send for TorchGenerator {}

impl TorchGenerator {
    /// A generator for `device` seeded with `seed`.
    pub(crate) fn new(device: Device, seed: u64) -> Result<Self> {
        // Models, losses, datasets and tensor samplers reach libtorch here first.
        crate::cuda_backend::prepare();
        let mut message = std::ptr::null_mut();
        // SAFETY: plain values in, an owned pointer (or NULL and a message) out.
        let generator = unsafe { torchebm_generator_new(runtime::device_code(device), seed, &mut message) };
        NonNull::new(generator)
            .map(|generator| TorchGenerator { generator })
            .ok_or_else(|| shim_error(message))
    }

    /// Restarts the stream from `seed`.
    pub(crate) fn reseed(&mut self, seed: u64) -> Result<()> {
        let mut message = std::ptr::null_mut();
        // SAFETY: a live generator from `new`.
        checked(
            unsafe { torchebm_generator_set_seed(self.generator.as_ptr(), seed, &mut message) },
            message,
        )
    }

    /// Fills `tensor` with N(0, 1) draws.
    pub(crate) fn fill_normal(&mut self, tensor: &mut Tensor) -> Result<()> {
        let mut message = std::ptr::null_mut();
        // SAFETY: a live generator and a live tch tensor (a torch::Tensor*).
        let status = unsafe {
            torchebm_generator_normal(
                self.generator.as_ptr(),
                tensor.as_mut_ptr() as *mut c_void,
                &mut message,
            )
        };
        checked(status, message)
    }

    /// Fills `tensor` with U[0, 1) draws.
    pub(crate) fn fill_uniform(&mut self, tensor: &mut Tensor) -> Result<()> {
        self.fill_uniform_range(tensor, 0.0, 1.0)
    }

    /// Fills `tensor` with U[from, to) draws, as `tensor.uniform_(from, to)` in PyTorch.
    pub(crate) fn fill_uniform_range(&mut self, tensor: &mut Tensor, from: f64, to: f64) -> Result<()> {
        let mut message = std::ptr::null_mut();
        // SAFETY: as for `fill_normal`.
        let status = unsafe {
            torchebm_generator_uniform(
                self.generator.as_ptr(),
                tensor.as_mut_ptr() as *mut c_void,
                from,
                to,
                &mut message,
            )
        };
        checked(status, message)
    }

    /// A random permutation of 0..n (int64, on the CPU), as `torch.randperm(n)`.
    pub(crate) fn randperm(&mut self, n: usize) -> Result<Tensor> {
        let mut out = Tensor::f_empty([n as i64], (tch::Kind::Int64, Device::Cpu))?;
        let mut message = std::ptr::null_mut();
        // SAFETY: a live generator and a live int64 tensor that randperm_out resizes to n.
        let status = unsafe {
            torchebm_generator_randperm(
                self.generator.as_ptr(),
                out.as_mut_ptr() as *mut c_void,
                n as i64,
                &mut message,
            )
        };
        checked(status, message)?;
        Ok(out)
    }
}

impl Drop for TorchGenerator {
    fn drop(&mut self) {
        // SAFETY: created by torchebm_generator_new, freed once.
        unsafe { torchebm_generator_free(self.generator.as_ptr()) };
    }
}
