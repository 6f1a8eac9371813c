//! Checks on C arguments: NULL pointers, counts, sizes, alignment and overlapping buffers.

use std::mem::{align_of, size_of};

use crate::error::{Error, Result};

/// The handle behind `ptr`, or an error naming `arg`.
pub(crate) unsafe fn handle<'a, T>(ptr: *const T, arg: &'static str) -> Result<&'a T> {
    // SAFETY: the caller passes a pointer from the matching _new function (header contract).
    unsafe { ptr.as_ref() }.ok_or(Error::null(arg))
}

/// The mutable handle behind `ptr`, or an error naming `arg`.
pub(crate) unsafe fn handle_mut<'a, T>(ptr: *mut T, arg: &'static str) -> Result<&'a mut T> {
    // SAFETY: as for `handle`, plus exclusive access for the call (header contract).
    unsafe { ptr.as_mut() }.ok_or(Error::null(arg))
}

/// Checks a pointer-to-result argument before any work is done, so that a failure leaves
/// nothing half-built.
pub(crate) fn out_pointer<T>(out: *mut *mut T, arg: &'static str) -> Result<()> {
    if out.is_null() {
        Err(Error::null(arg))
    } else {
        Ok(())
    }
}

/// Stores a new handle into an `out` checked by [`out_pointer`].
pub(crate) unsafe fn store<T>(out: *mut *mut T, value: T) {
    // SAFETY: `out` was checked to be non-NULL; the caller provides writable storage.
    unsafe { *out = Box::into_raw(Box::new(value)) };
}

/// Writes a (rows, columns) shape into a `*_get_shape` function's caller-owned outputs:
/// (0, 0) when there is none yet, each size saturated at i64::MAX.
pub(crate) fn write_shape(shape: Option<(usize, usize)>, rows_out: &mut i64, columns_out: &mut i64) {
    let (rows, columns) = shape.unwrap_or((0, 0));
    *rows_out = i64::try_from(rows).unwrap_or(i64::MAX);
    *columns_out = i64::try_from(columns).unwrap_or(i64::MAX);
}

/// A non-negative count as usize.
pub(crate) fn count(arg: &'static str, value: i64) -> Result<usize> {
    usize::try_from(value).map_err(|_| Error::invalid(arg, format!("must be >= 0, got {value}")))
}

/// A positive dimension as usize.
pub(crate) fn dimension(arg: &'static str, value: i64) -> Result<usize> {
    if value < 1 {
        return Err(Error::invalid(arg, format!("must be >= 1, got {value}")));
    }
    usize::try_from(value).map_err(|_| Error::invalid(arg, format!("{value} does not fit in memory")))
}

/// `factors` multiplied, checked to fit in this machine's memory as elements of `T`.
pub(crate) fn element_count<T>(arg: &'static str, factors: &[usize]) -> Result<usize> {
    crate::memory::buffer_elements::<T>(arg, factors)
}

/// Checks a caller buffer of `len` elements: non-NULL, aligned, and no larger than this
/// machine's memory (a larger stated size is a caller error that must never be read through).
fn check_pointer<T>(ptr: *const T, arg: &'static str, len: usize) -> Result<()> {
    element_count::<T>(arg, &[len])?;
    if ptr.is_null() {
        return Err(Error::null(arg));
    }
    if (ptr as usize) % align_of::<T>() != 0 {
        return Err(Error::invalid(
            arg,
            format!("is not aligned to {} bytes", align_of::<T>()),
        ));
    }
    Ok(())
}

/// A caller buffer of `len` elements to read. NULL is accepted when `len` is 0.
pub(crate) unsafe fn input<'a, T>(ptr: *const T, arg: &'static str, len: usize) -> Result<&'a [T]> {
    if len == 0 {
        return Ok(&[]);
    }
    check_pointer(ptr, arg, len)?;
    // SAFETY: non-NULL and aligned; the caller guarantees `len` readable elements.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// A caller buffer of `len` elements to write. NULL is accepted when `len` is 0.
pub(crate) unsafe fn output<'a, T>(ptr: *mut T, arg: &'static str, len: usize) -> Result<&'a mut [T]> {
    if len == 0 {
        return Ok(&mut []);
    }
    check_pointer(ptr, arg, len)?;
    // SAFETY: non-NULL and aligned; the caller guarantees `len` writable elements, and
    // `disjoint` is checked before two such slices coexist with an input.
    Ok(unsafe { std::slice::from_raw_parts_mut(ptr, len) })
}

/// Errors if any two of the named buffers overlap in memory.
pub(crate) fn disjoint(buffers: &[(&'static str, *const u8, usize)]) -> Result<()> {
    for (i, (name_a, ptr_a, bytes_a)) in buffers.iter().enumerate() {
        for (name_b, ptr_b, bytes_b) in &buffers[i + 1..] {
            let (a, b) = (*ptr_a as usize, *ptr_b as usize);
            if *bytes_a > 0 && *bytes_b > 0 && a < b + bytes_b && b < a + bytes_a {
                return Err(Error::invalid(name_b, format!("overlaps {name_a}")));
            }
        }
    }
    Ok(())
}

/// A (pointer, byte length) entry for [`disjoint`].
pub(crate) fn span<T>(name: &'static str, ptr: *const T, len: usize) -> (&'static str, *const u8, usize) {
    (name, ptr as *const u8, len * size_of::<T>())
}
