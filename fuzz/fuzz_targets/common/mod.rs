//! Shared by the fuzz targets: the header's invariants on every call, fuzzer-chosen numbers,
//! sizes and buffers, energies, and handle owners that free what they hold.
//!
//! A call's error status is a normal outcome. What fails a target (a panic, which
//! libfuzzer-sys turns into an abort) is a broken promise of include/torchebm.h:
//! - the status is a known code and not EBM_ERR_PANIC (a contained internal error is a bug);
//! - on error ebm_last_error_message() is one non-empty line starting with the function's
//!   name, on success it is empty;
//! - *out is written on success only (it stays the sentinel otherwise);
//! - inputs are never modified;
//! - calls whose sizes are negative, or claim more memory than any machine has, fail.
//! Buffers are always as large as the sizes passed with them, except where the call must
//! reject those sizes before touching the buffer.
#![allow(dead_code)]

use std::ffi::CStr;
use std::ptr;

use arbitrary::Arbitrary;
pub use torchebm::ffi::*;

/// The value *out holds before a constructor runs: not NULL, aligned, never a real handle.
pub const SENTINEL: usize = 0x5eed_0000;

/// Elements the fuzzer allocates for one buffer at most: keeps every input fast and small.
pub const MAX_ELEMENTS: usize = 4096;

/// Once per process: one libtorch thread (the machines running this are small and shared, and
/// the runs are deterministic), and the one-time allocations done before leak checking starts.
pub fn init() {
    assert_eq!(ebm_set_num_threads(1), ebm_status::EBM_OK);
}

pub fn last_message() -> String {
    unsafe { CStr::from_ptr(ebm_last_error_message()) }.to_string_lossy().into_owned()
}

/// Checks the header's promises about a returned status; true on EBM_OK.
pub fn check(function: &str, status: ebm_status) -> bool {
    let code = status as i32;
    let text = unsafe { CStr::from_ptr(ebm_status_string(code)) };
    assert!(text.to_bytes() != b"unknown status", "{function}: unknown status code {code}");
    let message = last_message();
    if status == ebm_status::EBM_OK {
        assert!(message.is_empty(), "{function}: EBM_OK with a last error message {message:?}");
        return true;
    }
    assert!(status != ebm_status::EBM_ERR_PANIC, "{function}: EBM_ERR_PANIC (contained internal error): {message}");
    assert!(!message.is_empty(), "{function}: {status:?} with an empty last error message");
    assert!(!message.contains('\n'), "{function}: {status:?}: message is not one line: {message:?}");
    assert!(message.starts_with(function), "{function}: {status:?}: message does not name the function: {message:?}");
    false
}

/// `ebm!(f(args...))`: calls f and checks its status with [`check`]; true on EBM_OK.
#[macro_export]
macro_rules! ebm {
    ($f:ident ( $($arg:expr),* $(,)? )) => {
        $crate::common::check(stringify!($f), unsafe { $f($($arg),*) })
    };
}

/// `new_handle!(f(args...))`: calls a constructor f(args..., out); checks its status, that
/// *out was written on success only, and returns the new handle.
#[macro_export]
macro_rules! new_handle {
    ($f:ident ( $($arg:expr),* $(,)? )) => {{
        let mut out = $crate::common::SENTINEL as *mut _;
        let ok = $crate::common::check(stringify!($f), unsafe { $f($($arg,)* &mut out) });
        $crate::common::out_written(stringify!($f), ok, out)
    }};
}

pub fn out_written<T>(function: &str, ok: bool, out: *mut T) -> Option<*mut T> {
    if ok {
        assert!(!out.is_null() && out as usize != SENTINEL, "{function}: EBM_OK without writing *out");
        Some(out)
    } else {
        assert_eq!(out as usize, SENTINEL, "{function}: *out written by a failed call");
        None
    }
}

// ---------------------------------------------------------------------------------------
// Numbers and sizes.

/// A floating-point argument: mostly moderate values, with the special ones well represented.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Num {
    Small(i16),
    Unit(u8),
    Raw(f64),
    Zero,
    NegZero,
    One,
    NaN,
    Inf,
    NegInf,
    Max,
    Min,
    Tiny,
    Huge(i8),
}

impl Num {
    pub fn get(self) -> f64 {
        match self {
            Num::Small(v) => f64::from(v) / 64.0,
            Num::Unit(v) => f64::from(v) / 255.0,
            Num::Raw(v) => v,
            Num::Zero => 0.0,
            Num::NegZero => -0.0,
            Num::One => 1.0,
            Num::NaN => f64::NAN,
            Num::Inf => f64::INFINITY,
            Num::NegInf => f64::NEG_INFINITY,
            Num::Max => f64::MAX,
            Num::Min => f64::MIN,
            Num::Tiny => f64::MIN_POSITIVE / 4.0,
            Num::Huge(e) => 10f64.powi(i32::from(e).abs() % 300 + 8) * if e < 0 { -1.0 } else { 1.0 },
        }
    }
}

/// The smallest count that no machine's memory can hold as 4-byte elements, so that a call
/// claiming it must fail before reading the (smaller) buffer passed with it.
pub const ABSURD: i64 = 1 << 42;

/// A count or dimension argument.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Count {
    /// 0..=15
    Small(u8),
    Zero,
    One,
    /// Any negative value.
    Negative(i64),
    /// >= ABSURD: must be rejected whatever else is passed.
    Absurd(u64),
    Max,
    Min,
}

impl Count {
    pub fn get(self) -> i64 {
        match self {
            Count::Small(v) => i64::from(v % 16),
            Count::Zero => 0,
            Count::One => 1,
            Count::Negative(v) => {
                if v < 0 {
                    v
                } else {
                    -1 - v
                }
            }
            Count::Absurd(v) => ABSURD + (v % (i64::MAX - ABSURD) as u64) as i64,
            Count::Max => i64::MAX,
            Count::Min => i64::MIN,
        }
    }
}

/// Whether `n` points of dimension `dim` are a size the fuzzer allocates honestly; None when
/// the call must reject them (negative, or absurd).
pub fn honest_len(factors: &[i64]) -> Honest {
    if factors.iter().any(|&f| f < 0) {
        return Honest::MustReject;
    }
    if factors.iter().any(|&f| f >= ABSURD) && !factors.contains(&0) {
        return Honest::MustReject;
    }
    let mut total: u128 = 1;
    for &f in factors {
        total = total.saturating_mul(f as u128);
    }
    if total <= MAX_ELEMENTS as u128 {
        Honest::Len(total as usize)
    } else if factors.contains(&0) {
        Honest::Len(0)
    } else {
        Honest::TooBig
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Honest {
    /// The fuzzer allocates this many elements.
    Len(usize),
    /// Invalid sizes: the call must fail; the buffer passed is small or NULL.
    MustReject,
    /// Valid but more than the fuzzer allocates: the call is skipped.
    TooBig,
}

// ---------------------------------------------------------------------------------------
// Buffers.

/// How a buffer is passed.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum BufMode {
    Honest,
    Honest2,
    Honest3,
    Null,
    /// One byte past an aligned address (the call must report the misalignment).
    Misaligned,
}

/// A caller buffer of T with the documented length, or a deliberately bad pointer to one.
pub struct Buf<T: Copy + Default> {
    storage: Vec<T>,
    mode: BufMode,
    len: usize,
}

impl<T: Copy + Default> Buf<T> {
    /// A buffer of `len` elements holding `values` (cycled; zeros when empty). For sizes the
    /// call must reject, a one-element buffer.
    pub fn new(len: Honest, values: &[T], mode: BufMode) -> Self {
        let len = match len {
            Honest::Len(len) => len,
            _ => 1,
        };
        let mut storage: Vec<T> = (0..len + 1)
            .map(|i| if values.is_empty() { T::default() } else { values[i % values.len()] })
            .collect();
        storage.truncate(len + 1);
        Buf { storage, mode, len }
    }

    pub fn ptr(&self) -> *const T {
        match self.mode {
            BufMode::Null => ptr::null(),
            BufMode::Misaligned if self.len > 0 => unsafe { (self.storage.as_ptr() as *const u8).add(1) as *const T },
            _ => self.storage.as_ptr(),
        }
    }

    pub fn mut_ptr(&mut self) -> *mut T {
        match self.mode {
            BufMode::Null => ptr::null_mut(),
            BufMode::Misaligned if self.len > 0 => unsafe { (self.storage.as_mut_ptr() as *mut u8).add(1) as *mut T },
            _ => self.storage.as_mut_ptr(),
        }
    }

    /// Whether this buffer, as passed, is a bad pointer that the call must reject (when it
    /// needs the buffer at all).
    pub fn bad(&self) -> bool {
        self.len > 0 && matches!(self.mode, BufMode::Null | BufMode::Misaligned)
    }

    /// Whether this buffer, as passed, is misaligned (for calls where NULL is meaningful).
    pub fn misaligned(&self) -> bool {
        self.len > 0 && self.mode == BufMode::Misaligned
    }

    pub fn values(&self) -> &[T] {
        &self.storage[..self.len]
    }
}

/// Values as f32 (f64 values converted; huge ones become infinities).
pub fn to_f32(values: &[Num]) -> Vec<f32> {
    values.iter().map(|v| v.get() as f32).collect()
}

pub fn to_f64(values: &[Num]) -> Vec<f64> {
    values.iter().map(|v| v.get()).collect()
}

/// Bitwise equality of inputs before and after a call ("inputs are never modified").
pub fn same_bits<T: Copy>(a: &[T], b: &[T]) -> bool {
    let size = std::mem::size_of_val(a);
    size == std::mem::size_of_val(b)
        && unsafe { std::slice::from_raw_parts(a.as_ptr() as *const u8, size) }
            == unsafe { std::slice::from_raw_parts(b.as_ptr() as *const u8, size) }
}

// ---------------------------------------------------------------------------------------
// Handles.

macro_rules! owner {
    ($name:ident, $t:ty, $free:ident) => {
        pub struct $name(pub *mut $t);
        impl Drop for $name {
            fn drop(&mut self) {
                unsafe { $free(self.0) }
            }
        }
    };
}

owner!(Energy, ebm_energy, ebm_energy_free);
owner!(Sampler, ebm_sampler, ebm_sampler_free);
owner!(CdLoss, ebm_cd_loss, ebm_cd_loss_free);
owner!(ScoreMatching, ebm_score_matching, ebm_score_matching_free);
owner!(Optimizer, ebm_optimizer, ebm_optimizer_free);

// ---------------------------------------------------------------------------------------
// Energies.

/// How a covariance is built from the fuzzer's values.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum CovKind {
    /// As given (mostly not positive definite).
    Raw,
    /// Identity times |v| + tiny.
    Diagonal,
    /// A A^T + I/100: symmetric positive semi-definite for finite A.
    Gram,
}

fn covariance(kind: CovKind, dim: usize, values: &[f64]) -> Vec<f64> {
    let v = |i: usize| if values.is_empty() { 1.0 } else { values[i % values.len()] };
    let mut cov = vec![0.0; dim * dim];
    match kind {
        CovKind::Raw => {
            for (i, c) in cov.iter_mut().enumerate() {
                *c = v(i);
            }
        }
        CovKind::Diagonal => {
            for i in 0..dim {
                cov[i * dim + i] = v(i).abs() + 1e-300;
            }
        }
        CovKind::Gram => {
            for i in 0..dim {
                for j in 0..dim {
                    let mut s = if i == j { 0.01 } else { 0.0 };
                    for k in 0..dim {
                        s += v(i * dim + k) * v(j * dim + k);
                    }
                    cov[i * dim + j] = s;
                }
            }
        }
    }
    cov
}

/// What a callback energy does.
#[derive(Arbitrary, Debug, Clone)]
pub struct CallbackSpec {
    pub dim: u8,
    /// The value E returns (plus sum x^2); NaN and infinities included.
    pub offset: Num,
    /// Nonzero: fail with this code.
    pub fail: i32,
    /// Message set with ebm_callback_set_error before failing (may hold '\n' or be absent).
    pub message: Option<String>,
    pub with_gradient: bool,
}

struct CallbackData {
    spec: CallbackSpec,
}

extern "C" fn callback_energy(x: *const f64, n: i64, dim: i64, energy_out: *mut f64, user: *mut std::ffi::c_void) -> i32 {
    callback_common(x, n, dim, energy_out, ptr::null_mut(), user)
}

extern "C" fn callback_energy_gradient(
    x: *const f64,
    n: i64,
    dim: i64,
    energy_out: *mut f64,
    gradient_out: *mut f64,
    user: *mut std::ffi::c_void,
) -> i32 {
    callback_common(x, n, dim, energy_out, gradient_out, user)
}

fn callback_common(x: *const f64, n: i64, dim: i64, energy_out: *mut f64, gradient_out: *mut f64, user: *mut std::ffi::c_void) -> i32 {
    let data = unsafe { &*(user as *const CallbackData) };
    assert!(n >= 0 && dim >= 1, "callback called with n {n}, dim {dim}");
    assert_eq!(dim, i64::from(data.spec.dim.max(1) % 8 + 1), "callback called with another dim");
    let (n, dim) = (n as usize, dim as usize);
    let x = unsafe { std::slice::from_raw_parts(x, n * dim) };
    let energy = unsafe { std::slice::from_raw_parts_mut(energy_out, n) };
    for i in 0..n {
        energy[i] = x[i * dim..(i + 1) * dim].iter().map(|v| v * v).sum::<f64>() + data.spec.offset.get();
    }
    if !gradient_out.is_null() {
        let gradient = unsafe { std::slice::from_raw_parts_mut(gradient_out, n * dim) };
        for (g, v) in gradient.iter_mut().zip(x) {
            *g = 2.0 * v;
        }
    }
    if data.spec.fail != 0 {
        if let Some(message) = &data.spec.message {
            let text = std::ffi::CString::new(message.replace('\0', "")).unwrap();
            unsafe { ebm_callback_set_error(text.as_ptr()) };
        }
    }
    data.spec.fail
}

extern "C" fn callback_free(user: *mut std::ffi::c_void) {
    drop(unsafe { Box::from_raw(user as *mut CallbackData) });
}

/// An energy to construct (constructors get fuzzer values; most succeed).
#[derive(Arbitrary, Debug, Clone)]
pub enum EnergySpec {
    Gaussian { dim: u8, mean: Vec<Num>, cov_kind: CovKind, cov: Vec<Num> },
    GaussianMixture { k: u8, dim: u8, weights: Vec<Num>, means: Vec<Num>, cov_kind: CovKind, covs: Vec<Num> },
    DoubleWell(Num, Num),
    Harmonic(Num),
    Rosenbrock(Num, Num),
    Ackley(Num, Num, Num),
    Rastrigin(Num),
    Himmelblau,
    Booth,
    StyblinskiTang,
    Composite { parts: Vec<EnergySpec>, weights: Option<Vec<Num>> },
    Callback(CallbackSpec),
}

impl EnergySpec {
    /// Builds the energy (None when the constructor rejected its arguments).
    pub fn build(&self, depth: u32) -> Option<Energy> {
        let small_dim = |d: u8| usize::from(d % 8) + 1;
        let handle = match self {
            EnergySpec::Gaussian { dim, mean, cov_kind, cov } => {
                let dim = small_dim(*dim);
                let mean: Vec<f64> = (0..dim).map(|i| mean.get(i).map_or(0.0, |v| v.get())).collect();
                let cov = covariance(*cov_kind, dim, &to_f64(cov));
                new_handle!(ebm_energy_gaussian_new(mean.as_ptr(), cov.as_ptr(), dim as i64))
            }
            EnergySpec::GaussianMixture { k, dim, weights, means, cov_kind, covs } => {
                let (k, dim) = (usize::from(k % 4) + 1, small_dim(*dim));
                let weights: Vec<f64> = (0..k).map(|i| weights.get(i).map_or(1.0, |v| v.get())).collect();
                let means: Vec<f64> = (0..k * dim).map(|i| means.get(i).map_or(0.0, |v| v.get())).collect();
                let covs_values = to_f64(covs);
                let mut all = Vec::with_capacity(k * dim * dim);
                for c in 0..k {
                    let part: Vec<f64> = covs_values.iter().skip(c).copied().collect();
                    all.extend(covariance(*cov_kind, dim, &part));
                }
                new_handle!(ebm_energy_gaussian_mixture_new(
                    weights.as_ptr(),
                    means.as_ptr(),
                    all.as_ptr(),
                    k as i64,
                    dim as i64
                ))
            }
            EnergySpec::DoubleWell(a, b) => new_handle!(ebm_energy_double_well_new(a.get(), b.get())),
            EnergySpec::Harmonic(k) => new_handle!(ebm_energy_harmonic_new(k.get())),
            EnergySpec::Rosenbrock(a, b) => new_handle!(ebm_energy_rosenbrock_new(a.get(), b.get())),
            EnergySpec::Ackley(a, b, c) => new_handle!(ebm_energy_ackley_new(a.get(), b.get(), c.get())),
            EnergySpec::Rastrigin(a) => new_handle!(ebm_energy_rastrigin_new(a.get())),
            EnergySpec::Himmelblau => new_handle!(ebm_energy_himmelblau_new()),
            EnergySpec::Booth => new_handle!(ebm_energy_booth_new()),
            EnergySpec::StyblinskiTang => new_handle!(ebm_energy_styblinski_tang_new()),
            EnergySpec::Composite { parts, weights } => {
                if depth >= 3 || parts.len() > 4 {
                    return None;
                }
                let built: Vec<Energy> = parts.iter().filter_map(|p| p.build(depth + 1)).collect();
                if built.is_empty() {
                    return None;
                }
                let handles: Vec<*const ebm_energy> = built.iter().map(|e| e.0 as *const _).collect();
                let weights: Option<Vec<f64>> = weights.as_ref().map(|w| to_f64(w));
                let (wp, wn) = match &weights {
                    Some(w) if !w.is_empty() => (w.as_ptr(), w.len() as i64),
                    _ => (ptr::null(), 0),
                };
                let ok_len = wn == 0 || wn == handles.len() as i64;
                let handle = new_handle!(ebm_energy_composite_new(handles.as_ptr(), handles.len() as i64, wp, wn));
                assert!(ok_len || handle.is_none(), "composite accepted {wn} weights for {} parts", handles.len());
                // The composite keeps its parts alive: `built` is freed first.
                drop(built);
                handle
            }
            EnergySpec::Callback(spec) => {
                let dim = i64::from(spec.dim.max(1) % 8 + 1);
                let data = Box::into_raw(Box::new(CallbackData { spec: spec.clone() })) as *mut std::ffi::c_void;
                let gradient: ebm_energy_gradient_fn = if spec.with_gradient { Some(callback_energy_gradient) } else { None };
                let handle = new_handle!(ebm_energy_callback_new(
                    dim,
                    Some(callback_energy),
                    gradient,
                    data,
                    Some(callback_free)
                ));
                if handle.is_none() {
                    // "If this function fails, free_user_data is not called."
                    callback_free(data);
                }
                handle
            }
        };
        handle.map(Energy)
    }
}

/// The energy's fixed dimension, or None when it accepts a range of them.
pub fn energy_dim(energy: &Energy) -> Option<i64> {
    let mut dim = -7;
    assert!(ebm!(ebm_energy_dim(energy.0, &mut dim)));
    assert!(dim >= 0, "ebm_energy_dim wrote {dim}");
    (dim > 0).then_some(dim)
}

/// A per-process path for the loaders' temporary files.
pub fn temp_path(name: &str) -> std::ffi::CString {
    let dir = std::env::var_os("TMPDIR").map(std::path::PathBuf::from).unwrap_or_else(std::env::temp_dir);
    let path = dir.join(format!("torchebm-fuzz-{}-{}", std::process::id(), name));
    std::ffi::CString::new(path.into_os_string().into_encoded_bytes()).unwrap()
}

pub fn write_temp(name: &str, data: &[u8]) -> std::ffi::CString {
    let path = temp_path(name);
    std::fs::write(path.to_str().unwrap(), data).expect("temporary file is writable");
    path
}
