use std::ffi::c_char;
use std::mem::size_of;

use super::guard::{call, call_infallible};
use super::status::ebm_status;
use crate::error::Error;
use crate::runtime;

/// The device code of the CPU. CUDA devices are 0, 1, ... (see ebm_cuda_device_count()).
pub const EBM_DEVICE_CPU: i32 = -1;

/// This library's version, e.g. "0.1.0" (compare with EBM_VERSION from the header). Static;
/// do not free.
#[no_mangle]
pub extern "C" fn ebm_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr() as *const c_char
}

/// This library's version as major * 1000000 + minor * 1000 + patch (compare with
/// EBM_VERSION_NUMBER from the header).
#[no_mangle]
pub extern "C" fn ebm_version_number() -> u32 {
    runtime::version_number()
}

/// The version of the libtorch this library was built against, e.g. "2.13.0". Static; do not
/// free.
#[no_mangle]
pub extern "C" fn ebm_libtorch_version() -> *const c_char {
    concat!(env!("TORCHEBM_LIBTORCH_VERSION"), "\0").as_ptr() as *const c_char
}

/// Versions and capabilities of the library and the machine, filled by ebm_get_build_info().
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ebm_build_info {
    /// Same as ebm_version(). Static.
    pub version: *const c_char,
    /// Same as ebm_libtorch_version(). Static.
    pub libtorch_version: *const c_char,
    /// Same as ebm_version_number().
    pub version_number: u32,
    /// libtorch's CUDA backend is loaded: libtorch_cuda.so was found beside libtorch_cpu.so
    /// and loaded (false for a CPU-only libtorch, or when it or a CUDA library it needs could
    /// not be loaded; a CUDA device request then says why).
    pub cuda_compiled: bool,
    /// At least one CUDA device is usable now.
    pub cuda_available: bool,
    /// Number of usable CUDA devices.
    pub cuda_device_count: i32,
    /// Threads the library's parallel work may use (ebm_set_num_threads).
    pub num_threads: i32,
}

/// Fills *out with the build and machine information. Loads libtorch's CUDA backend if that
/// was not done yet (see "Start-up and CUDA" above).
///
/// out_size must be sizeof(ebm_build_info) as seen by the caller (so that later versions can
/// append fields without breaking older callers); at least the size of this version's struct.
///
/// Errors: EBM_ERR_NULL_POINTER (out), EBM_ERR_INVALID_ARGUMENT (out_size too small).
#[no_mangle]
pub unsafe extern "C" fn ebm_get_build_info(out: *mut ebm_build_info, out_size: usize) -> ebm_status {
    call("ebm_get_build_info", || {
        if out.is_null() {
            return Err(Error::null("out"));
        }
        if out_size < size_of::<ebm_build_info>() {
            return Err(Error::invalid(
                "out_size",
                format!("is {out_size}, ebm_build_info needs {}", size_of::<ebm_build_info>()),
            ));
        }
        let info = runtime::build_info();
        let filled = ebm_build_info {
            version: ebm_version(),
            libtorch_version: ebm_libtorch_version(),
            version_number: runtime::version_number(),
            cuda_compiled: info.cuda_compiled,
            cuda_available: info.cuda_available,
            cuda_device_count: i32::try_from(info.cuda_device_count).unwrap_or(i32::MAX),
            num_threads: info.num_threads,
        };
        // SAFETY: checked non-NULL; the caller provides at least out_size writable bytes.
        unsafe { out.write_unaligned(filled) };
        Ok(())
    })
}

/// Whether at least one CUDA device is usable. False on a machine without CUDA. Loads
/// libtorch's CUDA backend if that was not done yet.
#[no_mangle]
pub extern "C" fn ebm_cuda_is_available() -> bool {
    call_infallible(false, runtime::cuda_is_available)
}

/// Number of usable CUDA devices; 0 on a machine without CUDA. Loads libtorch's CUDA backend
/// if that was not done yet.
#[no_mangle]
pub extern "C" fn ebm_cuda_device_count() -> i32 {
    call_infallible(0, || i32::try_from(runtime::cuda_device_count()).unwrap_or(i32::MAX))
}

/// Sets how many threads the library's parallel work may use, for the whole process. The
/// library splits large batches over chains or points (random draws, host loops, libtorch
/// evaluations of large CPU batches) and runs the parts on its own pool, whose threads sleep
/// when idle; libtorch itself always runs single-threaded inside an operation, so no thread
/// ever busy-waits for another. 1 runs everything on the calling thread: no thread is started
/// at all (the choice for one MPI rank per core). The default is the number of CPUs this
/// process may run on (its affinity mask, so a rank bound to one core gets 1). Results do not
/// depend on the thread count. See also ebm_set_task_runner() for running the parts on the
/// host's own threads.
///
/// threads may be at most the number of CPUs this process may run on: more would only
/// contend for them.
///
/// Errors: EBM_ERR_INVALID_ARGUMENT (threads < 1 or more than the CPUs available).
#[no_mangle]
pub extern "C" fn ebm_set_num_threads(threads: i32) -> ebm_status {
    call("ebm_set_num_threads", || runtime::set_num_threads(threads))
}

/// The number of threads the library's parallel work may use (ebm_set_num_threads).
#[no_mangle]
pub extern "C" fn ebm_get_num_threads() -> i32 {
    call_infallible(1, runtime::num_threads)
}
