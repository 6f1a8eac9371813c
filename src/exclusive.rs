//! A mutex that refuses re-entry instead of deadlocking.
//!
//! Samplers, losses and optimizers run user callbacks (progress reports, callback energies)
//! while they hold their own lock. A callback that calls back into the same object from the
//! same thread would wait for itself forever; here it gets [`Error::Busy`] at once. Other
//! threads still wait their turn, so calls stay serialised.

use std::cell::RefCell;
use std::ops::{Deref, DerefMut};
use std::sync::{Mutex, MutexGuard};

use crate::error::{Error, Result};

thread_local! {
    /// Addresses of the [`Exclusive`] values this thread holds, innermost last.
    static HELD: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// A value behind a mutex that one thread cannot lock twice.
#[derive(Debug, Default)]
pub struct Exclusive<T> {
    inner: Mutex<T>,
}

/// Access to the value of an [`Exclusive`] until dropped.
pub struct ExclusiveGuard<'a, T> {
    guard: MutexGuard<'a, T>,
    address: usize,
}

impl<T> Exclusive<T> {
    /// Wraps `value`.
    pub fn new(value: T) -> Self {
        Exclusive {
            inner: Mutex::new(value),
        }
    }

    fn address(&self) -> usize {
        self as *const Self as usize
    }

    /// Whether the calling thread holds this value now (a callback of a call on it is
    /// running).
    pub fn held_by_this_thread(&self) -> bool {
        let address = self.address();
        HELD.with(|held| held.borrow().contains(&address))
    }

    /// Locks the value, waiting for other threads; [`Error::Busy`] naming `arg` when this
    /// thread already holds it. A lock poisoned by a contained panic is taken over: every
    /// call leaves the value consistent or reports an error.
    pub fn lock(&self, arg: &'static str) -> Result<ExclusiveGuard<'_, T>> {
        if self.held_by_this_thread() {
            return Err(Error::Busy {
                arg,
                reason: "is running a call further up this thread's stack (a callback called back into it); \
                         call it again after that call returns"
                    .into(),
            });
        }
        let guard = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let address = self.address();
        HELD.with(|held| held.borrow_mut().push(address));
        Ok(ExclusiveGuard { guard, address })
    }
}

impl<T> Deref for ExclusiveGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> DerefMut for ExclusiveGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

impl<T> Drop for ExclusiveGuard<'_, T> {
    fn drop(&mut self) {
        HELD.with(|held| {
            let mut held = held.borrow_mut();
            if let Some(i) = held.iter().rposition(|a| *a == self.address) {
                held.remove(i);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn re_entry_is_busy_and_other_threads_wait() {
        let shared = std::sync::Arc::new(Exclusive::new(0));
        {
            let mut outer = shared.lock("x").unwrap();
            *outer += 1;
            let err = shared.lock("x").err().expect("re-entry must fail");
            assert!(matches!(err, Error::Busy { arg: "x", .. }), "{err}");
            let other = std::sync::Arc::clone(&shared);
            let waiter = std::thread::spawn(move || *other.lock("x").unwrap() + 1);
            drop(outer);
            assert_eq!(waiter.join().unwrap(), 2);
        }
        assert!(!shared.held_by_this_thread());
        assert_eq!(*shared.lock("x").unwrap(), 1);
    }
}

thread_local! {
    /// Addresses of the [`ParameterLock`]s this thread holds for reading.
    static READING: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// A reader-writer lock whose readers may nest (an evaluation inside a training step that
/// already reads) and whose writers get [`Error::Busy`] instead of deadlocking when their own
/// thread is reading (a callback that sets the parameters of the model being trained).
#[derive(Debug, Default)]
pub struct ParameterLock {
    inner: parking_lot::RwLock<()>,
}

/// Read access until dropped.
pub struct ReadGuard<'a> {
    _guard: parking_lot::RwLockReadGuard<'a, ()>,
    address: usize,
}

/// Write access until dropped.
pub struct WriteGuard<'a> {
    _guard: parking_lot::RwLockWriteGuard<'a, ()>,
}

impl ParameterLock {
    /// An unlocked lock.
    pub fn new() -> Self {
        Self::default()
    }

    fn address(&self) -> usize {
        self as *const Self as usize
    }

    /// Shared access; never waits for this thread's own readers.
    pub fn read(&self) -> ReadGuard<'_> {
        let guard = self.inner.read_recursive();
        let address = self.address();
        READING.with(|r| r.borrow_mut().push(address));
        ReadGuard { _guard: guard, address }
    }

    /// Exclusive access, waiting for other threads' readers; [`Error::Busy`] naming `arg`
    /// when this thread itself is reading.
    pub fn write(&self, arg: &'static str) -> Result<WriteGuard<'_>> {
        let address = self.address();
        if READING.with(|r| r.borrow().contains(&address)) {
            return Err(Error::Busy {
                arg,
                reason: "is being evaluated or trained further up this thread's stack (a callback tried to change \
                         its parameters); change them after that call returns"
                    .into(),
            });
        }
        Ok(WriteGuard {
            _guard: self.inner.write(),
        })
    }
}

impl Drop for ReadGuard<'_> {
    fn drop(&mut self) {
        READING.with(|r| {
            let mut reading = r.borrow_mut();
            if let Some(i) = reading.iter().rposition(|a| *a == self.address) {
                reading.remove(i);
            }
        });
    }
}

#[cfg(test)]
mod parameter_lock_tests {
    use super::*;

    #[test]
    fn readers_nest_and_a_reading_thread_cannot_write() {
        let lock = ParameterLock::new();
        {
            let _outer = lock.read();
            let _inner = lock.read();
            assert!(matches!(lock.write("model"), Err(Error::Busy { arg: "model", .. })));
        }
        assert!(lock.write("model").is_ok());
    }
}
