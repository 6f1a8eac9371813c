//! Work spread over processes through the host's own all-reduce (MPI, MPI.jl, ...): the library
//! never starts a runtime of its own, it is handed a function that sums buffers in place
//! across every process of the host's communicator.
//!
//! Every combination here is collective: each process must make the same calls in the same
//! order. So that a failure on one process cannot leave the others waiting inside the
//! all-reduce, each combination starts with one round of a few f64 scalars (see
//! [`AllReduce::agree`]) in which a process whose own part failed says so; then every process
//! returns an error, and none goes on to the next round.

use crate::error::{Error, Result};

/// A buffer to sum element-wise across processes, in place.
pub enum Values<'a> {
    /// Single precision.
    F32(&'a mut [f32]),
    /// Double precision.
    F64(&'a mut [f64]),
}

impl Values<'_> {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            Values::F32(v) => v.len(),
            Values::F64(v) => v.len(),
        }
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The host's sum across processes: on return every process holds the element-wise sum of
/// every process's buffer. It must give every process the same result.
pub type SumFn = Box<dyn Fn(Values<'_>) -> Result<()> + Send + Sync>;

/// A host-supplied all-reduce and the collective rounds built on it.
pub struct AllReduce {
    sum: SumFn,
}

/// The outcome of an [`AllReduce::agree`] round.
#[derive(Debug, Clone, PartialEq)]
pub struct Agreement {
    /// Number of processes that took part.
    pub processes: f64,
    /// The element-wise sums of every process's values.
    pub sums: Vec<f64>,
}

impl Agreement {
    /// Whether every process contributed the same value at `index` of `values` and the same
    /// value's square at `index + 1` (the pair a process adds with [`with_square`]): the sums
    /// s₁ = Σv and s₂ = Σv² of P values are all equal exactly when P·s₂ = s₁². Every process
    /// evaluates this on the same sums, so all of them reach the same verdict.
    pub fn all_equal(&self, index: usize) -> bool {
        let (s1, s2) = (self.sums[index], self.sums[index + 1]);
        self.processes * s2 == s1 * s1
    }

    /// The common value at `index` (after [`Agreement::all_equal`] holds).
    pub fn common(&self, index: usize) -> f64 {
        self.sums[index] / self.processes
    }
}

/// `value` and its square: a pair whose sums tell whether every process had the same value
/// (see [`Agreement::all_equal`]). Exact for integers below 2^26.
pub fn with_square(value: f64) -> [f64; 2] {
    [value, value * value]
}

impl AllReduce {
    /// An all-reduce calling `sum`.
    pub fn new(sum: SumFn) -> Self {
        AllReduce { sum }
    }

    /// Sums `values` across processes in place (nothing is called for an empty buffer: every
    /// process agreed on the length beforehand, so all of them skip it).
    pub fn sum(&self, values: Values<'_>) -> Result<()> {
        if values.is_empty() {
            return Ok(());
        }
        (self.sum)(values)
    }

    /// One collective round of `len` f64 values. A process whose own part failed (`local` is
    /// an error) still takes part, flagging its failure, and then returns its own error; the
    /// others return [`Error::Remote`] naming `what`. So either every process goes on with
    /// the same sums, or every one of them stops here.
    pub fn agree(&self, what: &'static str, local: Result<Vec<f64>>, len: usize) -> Result<Agreement> {
        let mut buffer = vec![0.0; len + 2];
        buffer[0] = 1.0;
        let local = match local {
            Ok(values) => {
                debug_assert_eq!(values.len(), len, "every process sends the same number of scalars");
                buffer[2..].copy_from_slice(&values[..len]);
                Ok(())
            }
            Err(error) => {
                buffer[1] = 1.0;
                Err(error)
            }
        };
        let reduced = self.sum(Values::F64(&mut buffer));
        local?;
        reduced?;
        let failed = buffer[1];
        if failed != 0.0 {
            return Err(Error::Remote {
                arg: what,
                reason: format!(
                    "failed on {failed} other process{}; see its own error; nothing was changed here",
                    if failed == 1.0 { "" } else { "es" }
                ),
            });
        }
        Ok(Agreement {
            processes: buffer[0],
            sums: buffer.split_off(2),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Barrier, Mutex};
    use std::thread;

    /// P threads standing in for P processes: a sum that waits for all of them.
    fn group(processes: usize) -> Vec<AllReduce> {
        let shared = Arc::new((Mutex::new((Vec::<f64>::new(), 0usize)), Barrier::new(processes)));
        (0..processes)
            .map(|_| {
                let shared = Arc::clone(&shared);
                AllReduce::new(Box::new(move |values| {
                    let (state, barrier) = &*shared;
                    let mine: Vec<f64> = match &values {
                        Values::F32(v) => v.iter().map(|x| *x as f64).collect(),
                        Values::F64(v) => v.to_vec(),
                    };
                    {
                        let mut s = state.lock().unwrap();
                        if s.0.len() != mine.len() {
                            s.0 = vec![0.0; mine.len()];
                        }
                        for (a, b) in s.0.iter_mut().zip(&mine) {
                            *a += b;
                        }
                    }
                    barrier.wait();
                    let total = state.lock().unwrap().0.clone();
                    match values {
                        Values::F32(v) => v.iter_mut().zip(&total).for_each(|(a, b)| *a = *b as f32),
                        Values::F64(v) => v.copy_from_slice(&total),
                    }
                    if barrier.wait().is_leader() {
                        state.lock().unwrap().0.clear();
                    }
                    barrier.wait();
                    Ok(())
                }))
            })
            .collect()
    }

    #[test]
    fn agree_sums_and_checks_equality() {
        let results: Vec<_> = group(3)
            .into_iter()
            .enumerate()
            .map(|(rank, reduce)| {
                thread::spawn(move || {
                    let mut local = vec![rank as f64];
                    local.extend(with_square(7.0));
                    local.extend(with_square(rank as f64));
                    reduce.agree("test", Ok(local), 5).unwrap()
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect();
        for agreement in results {
            assert_eq!(agreement.processes, 3.0);
            assert_eq!(agreement.sums[0], 3.0);
            assert!(agreement.all_equal(1));
            assert_eq!(agreement.common(1), 7.0);
            assert!(!agreement.all_equal(3), "0, 1, 2 are not all equal");
        }
    }

    #[test]
    fn a_local_failure_stops_every_process() {
        let results: Vec<_> = group(2)
            .into_iter()
            .enumerate()
            .map(|(rank, reduce)| {
                thread::spawn(move || {
                    let local = if rank == 0 {
                        Err(Error::invalid("data", "bad"))
                    } else {
                        Ok(vec![1.0])
                    };
                    reduce.agree("step", local, 1).map_err(|e| e.to_string())
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect();
        assert_eq!(results[0].as_ref().unwrap_err(), "data: bad");
        assert!(results[1]
            .as_ref()
            .unwrap_err()
            .starts_with("step: failed on 1 other process"));
    }
}
