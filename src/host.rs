//! Host scratch buffers whose allocation failure is an error, not an abort: their sizes come
//! from the caller.

use crate::error::{Error, Result};

/// A zero-filled f64 buffer of `len` elements; `what` names it in the error.
pub(crate) fn zeroed(what: &'static str, len: usize) -> Result<Vec<f64>> {
    let mut buffer = with_capacity(what, len)?;
    buffer.resize(len, 0.0);
    Ok(buffer)
}

/// A buffer of `len` default (zero) values of `T`; `what` names it in the error.
pub(crate) fn zeroed_as<T: Default + Clone>(what: &'static str, len: usize) -> Result<Vec<T>> {
    let mut buffer = Vec::new();
    buffer.try_reserve_exact(len).map_err(|_| Error::OutOfMemory {
        arg: what,
        reason: format!("cannot allocate {len} values of scratch space"),
    })?;
    buffer.resize(len, T::default());
    Ok(buffer)
}

/// An empty f64 buffer with room for `len` elements; `what` names it in the error.
pub(crate) fn with_capacity(what: &'static str, len: usize) -> Result<Vec<f64>> {
    let mut buffer = Vec::new();
    buffer.try_reserve_exact(len).map_err(|_| Error::OutOfMemory {
        arg: what,
        reason: format!("cannot allocate {len} doubles of scratch space"),
    })?;
    Ok(buffer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impossible_allocations_are_errors() {
        let err = zeroed("x", usize::MAX / 16).unwrap_err();
        assert!(matches!(err, Error::OutOfMemory { arg: "x", .. }), "{err}");
        assert_eq!(zeroed("x", 3).unwrap(), vec![0.0; 3]);
    }
}
