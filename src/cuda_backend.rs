//! libtorch's CUDA backend (libtorch_cuda.so), loaded when libtorch is first used rather than
//! when the library is.
//!
//! Linked as a dependency, it and the CUDA libraries it pulls in (cuBLAS, cuDNN, NCCL, ...)
//! made every host pay at start-up — most of the time and resident memory of a program that
//! only samples an analytic energy (README, Deployment) — whether or not it ever used a GPU.
//! So it is not linked: [`prepare`] dlopen()s it once (RTLD_NOW | RTLD_GLOBAL, never closed)
//! from the directory of the libtorch_cpu.so this process loaded, so that both halves always
//! come from the same libtorch, LD_LIBRARY_PATH overrides included.
//!
//! It must be loaded before libtorch's first use, not merely before CUDA's first use:
//! libtorch decides once per process whether CUDA exists. Its CUDA hooks are created at the
//! first seeding of a generator, backward pass or device query, the autograd engine's device
//! threads at the first backward pass, and a backend loaded after that is never used
//! (checked: after torch::manual_seed or a backward pass on the CPU, a late libtorch_cuda
//! leaves libtorch with its CUDA stub). Hence every path into libtorch calls [`prepare`]
//! first — the tensor helpers, the generator shim, TorchScript loading, checkpoint reading,
//! rendering, device queries — while analytic and callback energies on their host paths never
//! reach it. Two host-side uses of libtorch are exempt, as they touch no device state
//! (checked the same way, and by tests/c/test_lazy_cuda.c): the thread-pool size
//! (`tch::set_num_threads`, `tch::get_num_threads`) and the CPU Cholesky factorisation of
//! covariance matrices when Gaussian energies are built (`linalg::spd_inverse`). Rust code
//! that calls tch itself before this crate should call [`prepare`] first.

use std::ffi::{c_int, c_void, CStr, CString, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use once_cell::sync::Lazy;

/// `Ok` once the backend is loaded and registered with libtorch; otherwise why not.
static BACKEND: Lazy<Result<(), String>> = Lazy::new(load);

/// Loads the CUDA backend if that has not been done yet (at most once per process, thread-
/// safe; later calls cost an atomic load). Call before anything reaches libtorch.
pub fn prepare() {
    Lazy::force(&BACKEND);
}

/// Whether the CUDA backend is loaded (after [`prepare`]), or the reason it is not: a CPU-only
/// libtorch, or a libtorch_cuda.so (or a CUDA library it needs) that could not be loaded.
pub fn status() -> Result<(), &'static str> {
    prepare();
    BACKEND.as_ref().map(|_| ()).map_err(String::as_str)
}

fn load() -> Result<(), String> {
    let dir = loaded_libtorch_dir().ok_or("libtorch_cpu.so is not among this process's libraries")?;
    let path = dir.join("libtorch_cuda.so");
    if !path.exists() {
        return Err(format!("{} does not exist (a CPU-only libtorch)", path.display()));
    }
    let c_path = CString::new(path.as_os_str().as_bytes()).map_err(|_| format!("{} contains a NUL", path.display()))?;
    // SAFETY: a NUL-terminated path. The handle is never closed: libtorch keeps pointers into
    // the backend (its hooks, allocators, kernels) for the rest of the process.
    let handle = unsafe { libc::dlopen(c_path.as_ptr(), libc::RTLD_NOW | libc::RTLD_GLOBAL) };
    if handle.is_null() {
        return Err(format!("{} could not be loaded: {}", path.display(), dlerror_text()));
    }
    if !cuda_hooks_registered() {
        // Only if something reached libtorch without calling prepare() first: a bug here.
        return Err(format!(
            "{} was loaded after libtorch had been used without it, so libtorch ignores it",
            path.display()
        ));
    }
    Ok(())
}

/// The directory of the libtorch_cpu.so that this process loaded (as a dependency of this
/// library), as the dynamic loader names it.
fn loaded_libtorch_dir() -> Option<PathBuf> {
    unsafe extern "C" fn visit(info: *mut libc::dl_phdr_info, _size: usize, found: *mut c_void) -> c_int {
        // SAFETY: the loader passes a valid entry; `found` is the Option below.
        let (name, found) = unsafe { ((*info).dlpi_name, &mut *(found as *mut Option<PathBuf>)) };
        if name.is_null() {
            return 0;
        }
        // SAFETY: the loader's NUL-terminated name of a loaded object.
        let path = Path::new(OsStr::from_bytes(unsafe { CStr::from_ptr(name) }.to_bytes()));
        if path.file_name() != Some(OsStr::new("libtorch_cpu.so")) {
            return 0;
        }
        let dir = path.parent().filter(|dir| !dir.as_os_str().is_empty());
        *found = Some(dir.unwrap_or(Path::new(".")).to_path_buf());
        1
    }
    let mut found: Option<PathBuf> = None;
    // SAFETY: `visit` only reads the entries and writes `found`, which outlives the call.
    unsafe { libc::dl_iterate_phdr(Some(visit), &mut found as *mut Option<PathBuf> as *mut c_void) };
    found
}

fn dlerror_text() -> String {
    // SAFETY: dlerror returns NULL or a NUL-terminated message owned by the loader.
    let message = unsafe { libc::dlerror() };
    if message.is_null() {
        "unknown dlopen error".to_string()
    } else {
        // SAFETY: see above; copied at once.
        unsafe { CStr::from_ptr(message) }.to_string_lossy().into_owned()
    }
}

/// Whether libtorch uses the CUDA backend: its stub hooks throw where the real ones report
/// the CUDA runtime version they were built with (no GPU needed to tell them apart).
fn cuda_hooks_registered() -> bool {
    // SAFETY: tch's wrapper catches the C++ exception and keeps its message (malloc'ed, per
    // thread) for get_and_reset_last_err, which hands it over to be freed.
    unsafe {
        torch_sys::at_context_version_cudart();
        let error = torch_sys::get_and_reset_last_err();
        if error.is_null() {
            true
        } else {
            libc::free(error as *mut c_void);
            false
        }
    }
}
