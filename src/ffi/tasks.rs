//! The host's task runner: the library's parallel work on threads the host owns.

use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use super::guard::call;
use super::status::ebm_status;
use crate::parallel::{self, TaskRunner};

/// One task of the library's parallel work: call it exactly once for each index in
/// [0, n_tasks) with the task_data given to the runner. It never fails and never throws; it
/// may block briefly on locks the library holds.
pub type ebm_task_fn = Option<unsafe extern "C" fn(task_data: *mut c_void, index: i64)>;

/// Runs n_tasks tasks of the library's parallel work on the host's threads: task(task_data, i)
/// once for every i in [0, n_tasks), on any threads (the calling one included), in any order,
/// and returns only when all have finished. A job system submits n_tasks jobs and waits for
/// them; a runner that can run nothing now may return a nonzero value at once. Return 0 on
/// success. Whatever the runner did not run (or after a nonzero return) the library runs
/// itself on the calling thread, so work is never lost; a task run twice runs only once.
/// Tasks never call the runner again (work started inside a task runs serially). Must not
/// throw C++ exceptions or longjmp.
pub type ebm_task_runner_fn = Option<
    unsafe extern "C" fn(task: ebm_task_fn, task_data: *mut c_void, n_tasks: i64, user_data: *mut c_void) -> i32,
>;

struct HostRunner {
    run: unsafe extern "C" fn(ebm_task_fn, *mut c_void, i64, *mut c_void) -> i32,
    user_data: *mut c_void,
}

// SAFETY: the host promises, by installing the runner, that it and its user_data may be
// used from any thread that calls the library.
unsafe impl Send for HostRunner {}
unsafe impl Sync for HostRunner {}

/// The C entry point of one task: task_data is the `&dyn Fn(usize)` that HostRunner::run
/// passed, alive until run returns.
unsafe extern "C" fn run_task(task_data: *mut c_void, index: i64) {
    if task_data.is_null() || index < 0 {
        return;
    }
    // SAFETY: task_data points at the closure reference on HostRunner::run's stack.
    let task = unsafe { &*(task_data as *const &(dyn Fn(usize) + Sync)) };
    // The core catches panics inside tasks; this only keeps an unwind off the C frames.
    let _ = catch_unwind(AssertUnwindSafe(|| task(index as usize)));
}

impl TaskRunner for HostRunner {
    fn run(&self, tasks: usize, task: &(dyn Fn(usize) + Sync)) -> bool {
        let Ok(n_tasks) = i64::try_from(tasks) else {
            return false;
        };
        let mut task = task;
        let task_data = &mut task as *mut &(dyn Fn(usize) + Sync) as *mut c_void;
        // SAFETY: the host's runner, called with the contract its type documents.
        unsafe { (self.run)(Some(run_task), task_data, n_tasks, self.user_data) == 0 }
    }
}

/// Runs the library's parallel work (chains and points split into tasks) on the host's
/// threads through runner, instead of the library's own thread pool, for the whole process;
/// runner NULL goes back to the pool. user_data is passed to every runner call and is not
/// freed by the library. Calls already running may still use the previous runner: keep it
/// and its user_data valid until they have returned. With a runner installed, work is split
/// whatever ebm_set_num_threads says (the runner decides where it runs), and no library
/// thread is ever started.
///
/// Errors: none (EBM_OK).
#[no_mangle]
pub unsafe extern "C" fn ebm_set_task_runner(runner: ebm_task_runner_fn, user_data: *mut c_void) -> ebm_status {
    call("ebm_set_task_runner", || {
        let runner = runner.map(|run| Arc::new(HostRunner { run, user_data }) as Arc<dyn TaskRunner>);
        parallel::set_task_runner(runner);
        Ok(())
    })
}
