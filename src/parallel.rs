//! The CPU thread pool for host-side work (random draws, host kernels), sized like
//! libtorch's intra-op pool so that ebm_set_num_threads governs both.

use std::sync::{Arc, RwLock};

use once_cell::sync::Lazy;
use rayon::{ThreadPool, ThreadPoolBuilder};

/// Below this many values, work runs on the calling thread: splitting would cost more.
pub(crate) const MIN_PARALLEL_VALUES: usize = 1 << 18;

static POOL: Lazy<RwLock<Option<Arc<ThreadPool>>>> = Lazy::new(|| RwLock::new(None));

fn build(threads: usize) -> Option<Arc<ThreadPool>> {
    ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .thread_name(|i| format!("torchebm-{i}"))
        .build()
        .ok()
        .map(Arc::new)
}

/// The pool, built on first use with libtorch's thread count (None if threads cannot be
/// spawned, in which case work runs serially).
fn pool() -> Option<Arc<ThreadPool>> {
    if let Some(pool) = POOL.read().unwrap_or_else(|p| p.into_inner()).as_ref() {
        return Some(Arc::clone(pool));
    }
    let mut slot = POOL.write().unwrap_or_else(|p| p.into_inner());
    if slot.is_none() {
        *slot = build(usize::try_from(tch::get_num_threads()).unwrap_or(1));
    }
    slot.clone()
}

/// Rebuilds the pool with `threads` threads (called when libtorch's count changes).
pub(crate) fn set_threads(threads: usize) {
    *POOL.write().unwrap_or_else(|p| p.into_inner()) = build(threads);
}

/// Runs `work` in the pool when `values` is large enough to be worth splitting; `work` gets
/// `true` when it may use rayon's parallel iterators.
pub(crate) fn run<R: Send>(values: usize, work: impl FnOnce(bool) -> R + Send) -> R {
    if values >= MIN_PARALLEL_VALUES {
        if let Some(pool) = pool() {
            if pool.current_num_threads() > 1 {
                return pool.install(|| work(true));
            }
        }
    }
    work(false)
}
