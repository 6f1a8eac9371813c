//! Bounds on sizes that come from the caller, checked before anything is allocated or read.
//!
//! Overflow checks alone are not enough: a product that fits in `isize` can still name far
//! more memory than exists, and then a copy reads past the caller's buffer, or an
//! allocation aborts the host (Rust's infallible allocations) or has it killed later
//! (Linux overcommits). Two bounds apply:
//! - a caller's buffer cannot be larger than this machine's memory (RAM + swap): larger
//!   claimed sizes are [`Error::SizeOverflow`];
//! - what the library allocates for a request must fit in the memory available now (and in
//!   the process's cgroup limit): otherwise [`Error::OutOfMemory`], before allocating.

use std::mem::size_of;

use once_cell::sync::Lazy;

use crate::error::{Error, Result};

/// Bytes of RAM plus swap, the most any buffer on this machine can hold.
static MACHINE_BYTES: Lazy<u64> = Lazy::new(|| {
    let from_sysinfo = sysinfo_total().unwrap_or(u64::MAX);
    from_sysinfo.min(cgroup_limit().unwrap_or(u64::MAX))
});

fn sysinfo_total() -> Option<u64> {
    // SAFETY: sysinfo fills the zeroed struct it is given.
    let mut info: libc::sysinfo = unsafe { std::mem::zeroed() };
    if unsafe { libc::sysinfo(&mut info) } != 0 {
        return None;
    }
    let unit = u64::from(info.mem_unit.max(1));
    Some(
        (info.totalram as u64)
            .saturating_add(info.totalswap as u64)
            .saturating_mul(unit),
    )
}

/// The cgroup (v2, else v1) memory limit of this process, if one is set.
fn cgroup_limit() -> Option<u64> {
    [
        "/sys/fs/cgroup/memory.max",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    ]
    .iter()
    .filter_map(|path| std::fs::read_to_string(path).ok())
    .find_map(|text| text.trim().parse::<u64>().ok())
}

/// Bytes that can be allocated now: MemAvailable plus free swap, within the cgroup limit.
fn available_bytes() -> u64 {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let field = |name: &str| -> Option<u64> {
        meminfo
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kib| kib.parse::<u64>().ok())
            .map(|kib| kib.saturating_mul(1024))
    };
    match field("MemAvailable:") {
        Some(available) => available
            .saturating_add(field("SwapFree:").unwrap_or(0))
            .min(*MACHINE_BYTES),
        None => *MACHINE_BYTES,
    }
}

/// The most bytes a caller's buffer can hold on this machine.
pub fn machine_bytes() -> u64 {
    (*MACHINE_BYTES).min(isize::MAX as u64)
}

fn describe(factors: &[usize]) -> String {
    factors.iter().map(|f| f.to_string()).collect::<Vec<_>>().join(" x ")
}

fn human(bytes: u64) -> String {
    const GIB: f64 = (1u64 << 30) as f64;
    format!("{:.1} GiB", bytes as f64 / GIB)
}

/// `factors` multiplied: the number of elements of type `T` in a caller's buffer, checked
/// to fit in this machine's memory ([`Error::SizeOverflow`] naming `arg` otherwise).
pub fn buffer_elements<T>(arg: &'static str, factors: &[usize]) -> Result<usize> {
    let bytes = factors
        .iter()
        .try_fold(size_of::<T>(), |acc, f| acc.checked_mul(*f))
        .filter(|bytes| *bytes as u64 <= machine_bytes());
    match bytes {
        Some(_) => Ok(factors.iter().product()),
        None => Err(Error::SizeOverflow {
            arg,
            reason: format!(
                "{} elements of {} bytes exceed this machine's memory ({})",
                describe(factors),
                size_of::<T>(),
                human(machine_bytes())
            ),
        }),
    }
}

/// Checks that the library can allocate `copies` arrays of `factors` elements of
/// `element_bytes` each for a request (e.g. a sampler's state vectors); [`Error::OutOfMemory`]
/// naming `arg` otherwise. Called before allocating, so that nothing aborts.
pub fn ensure_allocatable(arg: &'static str, factors: &[usize], element_bytes: usize, copies: usize) -> Result<()> {
    let bytes = factors
        .iter()
        .try_fold(element_bytes.saturating_mul(copies), |acc, f| acc.checked_mul(*f))
        .map(|b| b as u64);
    let available = available_bytes();
    match bytes {
        Some(bytes) if bytes <= available => Ok(()),
        _ => Err(Error::OutOfMemory {
            arg,
            reason: format!(
                "{} elements ({copies} arrays of {element_bytes}-byte values) need {}, {} is available",
                describe(factors),
                bytes.map(human).unwrap_or_else(|| "more than can be addressed".into()),
                human(available)
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_real() {
        assert!(machine_bytes() > 1 << 20);
        assert_eq!(buffer_elements::<f64>("x", &[3, 4]).unwrap(), 12);
        let err = buffer_elements::<f64>("cov", &[1 << 29, 1 << 29]).unwrap_err();
        assert!(matches!(err, Error::SizeOverflow { arg: "cov", .. }), "{err}");
        assert!(ensure_allocatable("n", &[1000, 2], 8, 4).is_ok());
        let err = ensure_allocatable("n", &[1 << 40, 2], 8, 4).unwrap_err();
        assert!(matches!(err, Error::OutOfMemory { arg: "n", .. }), "{err}");
        let err = ensure_allocatable("n", &[usize::MAX, 2], 8, 4).unwrap_err();
        assert!(matches!(err, Error::OutOfMemory { arg: "n", .. }), "{err}");
    }
}
