//! Process-wide facts and settings: versions, devices, libtorch's thread pool.

use tch::Device;

use crate::cuda_backend;
use crate::error::{Error, Result};

/// This library's version, "major.minor.patch".
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The libtorch version this library was built against, "major.minor.patch".
pub const LIBTORCH_VERSION: &str = env!("TORCHEBM_LIBTORCH_VERSION");

/// major · 1 000 000 + minor · 1 000 + patch.
pub fn version_number() -> u32 {
    let part = |s: &str| s.parse::<u32>().expect("cargo versions are numeric");
    part(env!("CARGO_PKG_VERSION_MAJOR")) * 1_000_000
        + part(env!("CARGO_PKG_VERSION_MINOR")) * 1_000
        + part(env!("CARGO_PKG_VERSION_PATCH"))
}

/// The device code of the CPU; codes k ≥ 0 are CUDA devices.
pub const CPU_DEVICE_CODE: i32 = -1;

/// Whether libtorch's CUDA backend is loaded (libtorch_cuda.so, found beside libtorch_cpu.so
/// and loaded on first need: see [`cuda_backend`](crate::cuda_backend)), so that CUDA devices
/// are usable wherever a driver and a GPU are present. Loads it if that was not done yet.
pub fn cuda_compiled() -> bool {
    cuda_backend::status().is_ok()
}

/// Whether at least one CUDA device can be used now.
pub fn cuda_is_available() -> bool {
    cuda_compiled() && tch::Cuda::is_available()
}

/// Number of usable CUDA devices (0 without CUDA).
pub fn cuda_device_count() -> usize {
    if cuda_is_available() {
        usize::try_from(tch::Cuda::device_count()).unwrap_or(0)
    } else {
        0
    }
}

/// The device for a device code (`-1` CPU, `k ≥ 0` CUDA device k), checked to exist.
pub fn device_from_code(arg: &'static str, code: i32) -> Result<Device> {
    match code {
        CPU_DEVICE_CODE => Ok(Device::Cpu),
        k if k >= 0 => {
            let count = cuda_device_count();
            if (k as usize) < count {
                Ok(Device::Cuda(k as usize))
            } else if count == 0 {
                let why = match cuda_backend::status() {
                    Ok(()) => "no CUDA device is available on this machine".to_string(),
                    Err(reason) => format!("libtorch's CUDA backend is unavailable: {reason}"),
                };
                Err(Error::DeviceUnavailable {
                    arg,
                    reason: format!("CUDA device {k} requested but {why}"),
                })
            } else {
                Err(Error::DeviceUnavailable {
                    arg,
                    reason: format!("CUDA device {k} requested but only {count} device(s) exist"),
                })
            }
        }
        other => Err(Error::invalid(
            arg,
            format!("must be -1 (CPU) or a CUDA device index >= 0, got {other}"),
        )),
    }
}

/// The code of a device (inverse of [`device_from_code`]).
pub fn device_code(device: Device) -> i32 {
    match device {
        Device::Cuda(k) => k as i32,
        _ => CPU_DEVICE_CODE,
    }
}

/// Sets the number of threads the library's parallel work may use (process-wide; 1: the
/// calling thread only). libtorch itself always runs single-threaded inside an operation.
/// Like [`num_threads`], it does not need [`cuda_backend::prepare`]: no device state.
pub fn set_num_threads(threads: i32) -> Result<()> {
    let max = max_threads();
    if threads < 1 || threads as usize > max {
        return Err(Error::invalid(
            "threads",
            format!("must be between 1 and the {max} CPUs this process may use, got {threads}"),
        ));
    }
    crate::parallel::set_threads(threads as usize);
    Ok(())
}

/// The most threads one operation may use: the CPUs this process may run on. More would
/// only contend for them (and thread pools with hundreds of threads can exhaust the host).
pub fn max_threads() -> usize {
    crate::parallel::available_cpus()
}

/// The number of threads the library's parallel work may use.
pub fn num_threads() -> i32 {
    i32::try_from(crate::parallel::threads()).unwrap_or(i32::MAX)
}

/// Versions and capabilities of this build and machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildInfo {
    /// This library's version.
    pub version: &'static str,
    /// The libtorch version it was built against.
    pub libtorch_version: &'static str,
    /// libtorch's CUDA backend is loaded ([`cuda_compiled`]).
    pub cuda_compiled: bool,
    /// A CUDA device is usable now.
    pub cuda_available: bool,
    /// Number of usable CUDA devices.
    pub cuda_device_count: usize,
    /// The threads the library's parallel work may use.
    pub num_threads: i32,
}

/// Collects [`BuildInfo`].
pub fn build_info() -> BuildInfo {
    BuildInfo {
        version: VERSION,
        libtorch_version: LIBTORCH_VERSION,
        cuda_compiled: cuda_compiled(),
        cuda_available: cuda_is_available(),
        cuda_device_count: cuda_device_count(),
        num_threads: num_threads(),
    }
}
