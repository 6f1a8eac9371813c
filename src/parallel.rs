//! The library's one threading model. libtorch runs single-threaded inside every operation
//! (no OpenMP team is ever forked, so no thread spins in a barrier while the host's threads
//! need the cores); the library's parallel work is split over chains or points, at a grain
//! coarse enough to amortise its dispatch, and runs either on the library's own pool (rayon:
//! workers sleep when idle, tasks are stolen from a preempted worker) or on the host's own
//! threads through a [`TaskRunner`] (a game engine's job system, say). With one thread and
//! no runner everything runs on the calling thread and no thread is ever started.
//!
//! The pool uses only the CPUs nobody else is using: every 50 ms at most, the share of idle
//! (or niced) CPU time (from /proc/stat) plus the library's own use sets how many lanes a parallel
//! region runs on (like OpenMP's dynamic adjustment), so on a host that keeps every core busy
//! the work runs on the calling thread instead of waiting on preempted workers. The split
//! into parts never depends on the thread count, so neither do the results.

use std::cell::Cell;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::{Duration, Instant};

use once_cell::sync::Lazy;
use rayon::{ThreadPool, ThreadPoolBuilder};

/// Below this many values, host loops run on the calling thread: splitting would cost more.
pub(crate) const MIN_PARALLEL_VALUES: usize = 1 << 18;

/// Values per task of libtorch evaluations (each task pays a few tensor allocations).
pub(crate) const TORCH_VALUES_PER_TASK: usize = 1 << 14;

/// Runs tasks on threads the host owns.
pub trait TaskRunner: Send + Sync {
    /// Runs `task(i)` for every i in 0..tasks, on any threads, in any order, concurrently or
    /// not, and returns once none is running. Returns false when it failed; the library then
    /// runs every task it did not start on the calling thread.
    fn run(&self, tasks: usize, task: &(dyn Fn(usize) + Sync)) -> bool;
}

/// The configured thread count (0: not set, the CPUs this process may use).
static THREADS: AtomicUsize = AtomicUsize::new(0);
static POOL: Lazy<RwLock<Option<Arc<ThreadPool>>>> = Lazy::new(|| RwLock::new(None));
static RUNNER: Lazy<RwLock<Option<Arc<dyn TaskRunner>>>> = Lazy::new(|| RwLock::new(None));

thread_local! {
    /// Set while this thread runs one of the library's tasks: work it starts runs serially
    /// (no nested parallel regions, and no task waits on a job system it is part of).
    static IN_TASK: Cell<bool> = const { Cell::new(false) };
    /// Whether libtorch was told to run single-threaded on this thread.
    static TORCH_SINGLE_THREADED: Cell<bool> = const { Cell::new(false) };
}

/// The CPUs this process may run on (its affinity mask).
pub fn available_cpus() -> usize {
    std::thread::available_parallelism().map(usize::from).unwrap_or(1)
}

/// The threads parallel work may use (1: the calling thread only).
pub fn threads() -> usize {
    match THREADS.load(Ordering::Relaxed) {
        0 => available_cpus(),
        n => n,
    }
}

/// Sets the thread count; the pool is rebuilt at its next use (work in flight keeps the old one).
pub(crate) fn set_threads(threads: usize) {
    THREADS.store(threads.max(1), Ordering::Relaxed);
    *POOL.write().unwrap_or_else(|p| p.into_inner()) = None;
}

/// Installs (or with None removes) the host's task runner, used instead of the pool.
pub fn set_task_runner(runner: Option<Arc<dyn TaskRunner>>) {
    *RUNNER.write().unwrap_or_else(|p| p.into_inner()) = runner;
}

fn runner() -> Option<Arc<dyn TaskRunner>> {
    RUNNER.read().unwrap_or_else(|p| p.into_inner()).clone()
}

/// Makes libtorch run single-threaded on the calling thread (once per thread): the library
/// parallelises over chains itself, and libtorch's OpenMP teams would busy-wait in barriers
/// whenever the host keeps the cores busy.
pub fn torch_single_threaded() {
    if !TORCH_SINGLE_THREADED.with(Cell::get) {
        tch::set_num_threads(1);
        TORCH_SINGLE_THREADED.with(|flag| flag.set(true));
    }
}

fn pool() -> Option<Arc<ThreadPool>> {
    if let Some(pool) = POOL.read().unwrap_or_else(|p| p.into_inner()).as_ref() {
        return Some(Arc::clone(pool));
    }
    let mut slot = POOL.write().unwrap_or_else(|p| p.into_inner());
    if slot.is_none() {
        *slot = ThreadPoolBuilder::new()
            .num_threads(threads())
            .thread_name(|i| format!("torchebm-{i}"))
            .start_handler(|_| torch_single_threaded())
            .build()
            .ok()
            .map(Arc::new);
    }
    slot.clone()
}

/// Whether work of `values` values should be split: at least `min_total`, more than one
/// thread may run it, and this thread is not already inside a task.
pub(crate) fn worth_splitting(values: usize, min_total: usize) -> bool {
    values >= min_total && !IN_TASK.with(Cell::get) && (threads() > 1 || runner().is_some())
}

/// Runs `work` on every item, in parallel when a runner is installed or more than one CPU
/// is free for the pool; serially, in order, on the calling thread otherwise (and inside
/// tasks). A panic in `work` is re-raised on the calling thread once no task runs any more.
pub(crate) fn for_each<T: Send>(items: Vec<T>, work: impl Fn(T) + Sync) {
    if items.len() <= 1 || IN_TASK.with(Cell::get) {
        items.into_iter().for_each(work);
        return;
    }
    if let Some(runner) = runner() {
        let batch = Batch::new(items, &work);
        // The runner's own failure is not the caller's: whatever it did not run runs here.
        let _ = catch_unwind(AssertUnwindSafe(|| {
            runner.run(batch.items.len(), &|index| batch.run_task(index))
        }));
        return batch.finish();
    }
    let lanes = lanes().min(items.len());
    match if lanes > 1 { pool() } else { None } {
        Some(pool) => {
            let batch = Batch::new(items, &work);
            let next = AtomicUsize::new(0);
            let drain = || loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= batch.items.len() {
                    break;
                }
                batch.run_task(index);
            };
            // The calling thread is one of the lanes: only lanes − 1 pool threads wake up.
            pool.in_place_scope(|scope| {
                for _ in 1..lanes {
                    scope.spawn(|_| drain());
                }
                drain();
            });
            batch.finish();
        }
        _ => items.into_iter().for_each(work),
    }
}

fn in_task<R>(work: impl FnOnce() -> R) -> R {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            IN_TASK.with(|flag| flag.set(self.0));
        }
    }
    let _reset = Reset(IN_TASK.with(|flag| flag.replace(true)));
    torch_single_threaded();
    work()
}

/// Items of a parallel region: each is claimed once, by whoever runs its index first; the
/// caller runs the unclaimed ones and waits for the claimed ones to finish, so a host runner
/// that skips, repeats or abandons tasks cannot lose work or free it while in use.
struct Batch<'a, T> {
    items: Vec<Mutex<Option<T>>>,
    work: &'a (dyn Fn(T) + Sync),
    running: Mutex<usize>,
    finished: Condvar,
    panic: Mutex<Option<Box<dyn std::any::Any + Send>>>,
}

impl<'a, T: Send> Batch<'a, T> {
    fn new(items: Vec<T>, work: &'a (dyn Fn(T) + Sync)) -> Self {
        Batch {
            items: items.into_iter().map(|item| Mutex::new(Some(item))).collect(),
            work,
            running: Mutex::new(0),
            finished: Condvar::new(),
            panic: Mutex::new(None),
        }
    }

    fn run_task(&self, index: usize) {
        let Some(slot) = self.items.get(index) else {
            return;
        };
        let item = {
            let mut slot = slot.lock().unwrap_or_else(|p| p.into_inner());
            let item = slot.take();
            if item.is_some() {
                *self.running.lock().unwrap_or_else(|p| p.into_inner()) += 1;
            }
            item
        };
        let Some(item) = item else {
            return;
        };
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| in_task(|| (self.work)(item)))) {
            self.panic
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get_or_insert(payload);
        }
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        *running -= 1;
        if *running == 0 {
            self.finished.notify_all();
        }
    }

    /// Runs what nobody claimed, waits for what others still run, re-raises a task's panic.
    fn finish(self) {
        (0..self.items.len()).for_each(|index| self.run_task(index));
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        while *running > 0 {
            running = self.finished.wait(running).unwrap_or_else(|p| p.into_inner());
        }
        drop(running);
        if let Some(payload) = self.panic.into_inner().unwrap_or_else(|p| p.into_inner()) {
            resume_unwind(payload);
        }
    }
}

/// The CPU time of the whole machine and of this process, sampled for [`lanes`].
struct CpuSample {
    at: Instant,
    /// (idle, total) jiffies of all CPUs, from /proc/stat.
    machine: (u64, u64),
    /// This process's user + system time.
    own: Duration,
    lanes: usize,
}

static CPU_SAMPLE: Mutex<Option<CpuSample>> = Mutex::new(None);
/// The lanes decided at the last sample (0: none yet).
static LANES: AtomicUsize = AtomicUsize::new(0);
const RESAMPLE_AFTER: Duration = Duration::from_millis(50);

/// How many threads a parallel region should run on now: the configured count, reduced to
/// the CPUs that are idle or already the library's (rounded, at least 1).
fn lanes() -> usize {
    let configured = threads();
    if configured <= 1 {
        return 1;
    }
    // Whoever finds the sample stale takes it again; the others use the last decision.
    if let Ok(mut slot) = CPU_SAMPLE.try_lock() {
        let now = Instant::now();
        if slot
            .as_ref()
            .map_or(true, |last| now.duration_since(last.at) >= RESAMPLE_AFTER)
        {
            let fresh = sample_cpus(now, slot.as_ref(), configured);
            LANES.store(fresh.lanes, Ordering::Relaxed);
            *slot = Some(fresh);
        }
    }
    match LANES.load(Ordering::Relaxed) {
        0 => configured,
        lanes => lanes.min(configured),
    }
}

fn sample_cpus(now: Instant, last: Option<&CpuSample>, configured: usize) -> CpuSample {
    let machine = machine_jiffies();
    let own = own_cpu_time();
    let lanes = match (last, machine) {
        (Some(last), Some((idle, total))) if total > last.machine.1 => {
            let cpus = online_cpus() as f64;
            let idle_cpus = cpus * (idle.saturating_sub(last.machine.0)) as f64 / (total - last.machine.1) as f64;
            let wall = now.duration_since(last.at).as_secs_f64().max(1e-6);
            let own_cpus = own.saturating_sub(last.own).as_secs_f64() / wall;
            ((idle_cpus + own_cpus).round() as usize).clamp(1, configured)
        }
        // No history yet (or no /proc/stat): trust the configuration.
        _ => configured,
    };
    CpuSample {
        at: now,
        machine: machine.unwrap_or((0, 0)),
        own,
        lanes,
    }
}

/// (idle + iowait + nice, total) jiffies over all CPUs: niced processes yield to us, so
/// their CPUs count as free.
fn machine_jiffies() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let fields: Vec<u64> = stat
        .lines()
        .next()?
        .strip_prefix("cpu ")?
        .split_whitespace()
        .take(8)
        .map(|v| v.parse().ok())
        .collect::<Option<_>>()?;
    let idle = fields.get(3)? + fields.get(4).copied().unwrap_or(0) + fields.get(1)?;
    Some((idle, fields.iter().sum()))
}

fn online_cpus() -> usize {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    usize::try_from(n).unwrap_or(1).max(1)
}

fn own_cpu_time() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes the struct it is given.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) } != 0 {
        return Duration::ZERO;
    }
    // SAFETY: initialised by the successful call (and zeroed before).
    let usage = unsafe { usage.assume_init() };
    let time = |t: libc::timeval| Duration::new(t.tv_sec.max(0) as u64, (t.tv_usec.max(0) as u32) * 1000);
    time(usage.ru_utime) + time(usage.ru_stime)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    /// A runner that runs only the even tasks, each twice, on two threads.
    struct Sloppy;
    impl TaskRunner for Sloppy {
        fn run(&self, tasks: usize, task: &(dyn Fn(usize) + Sync)) -> bool {
            std::thread::scope(|scope| {
                for _ in 0..2 {
                    scope.spawn(|| (0..tasks).step_by(2).for_each(task));
                }
            });
            false
        }
    }

    #[test]
    fn every_item_runs_exactly_once_whatever_the_runner_does() {
        let sum = AtomicU64::new(0);
        let calls = AtomicU64::new(0);
        set_task_runner(Some(Arc::new(Sloppy)));
        for_each((1..=100u64).collect(), |v| {
            sum.fetch_add(v, Ordering::Relaxed);
            calls.fetch_add(1, Ordering::Relaxed);
        });
        set_task_runner(None);
        assert_eq!(sum.into_inner(), 5050);
        assert_eq!(calls.into_inner(), 100);
    }
}
