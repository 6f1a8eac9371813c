//! Runs every exported body with panics contained and errors recorded for
//! ebm_last_error_message().

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::ffi::{c_char, CString};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use super::status::ebm_status;
use crate::error::Result;

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
    /// Depth of ebm_ calls on this thread; panics inside them are reported, not printed.
    static CALL_DEPTH: Cell<u32> = const { Cell::new(0) };
    static PANIC_LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

static QUIET_PANIC_HOOK: Once = Once::new();

/// Panics inside an ebm_ call become a status and a message, so the default hook's stderr
/// report is suppressed there (and only there); its location is kept for the message.
fn install_quiet_panic_hook() {
    QUIET_PANIC_HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if CALL_DEPTH.with(Cell::get) > 0 {
                let location = info.location().map(|l| format!("{}:{}", l.file(), l.line()));
                PANIC_LOCATION.with(|p| *p.borrow_mut() = location);
            } else {
                previous(info);
            }
        }));
    });
}

fn set_last_error(message: String) {
    // One line, whatever a callback's own text (ebm_callback_set_error) or libtorch held.
    let line: String = message
        .chars()
        .map(|c| if c == '\0' || c.is_control() { ' ' } else { c })
        .collect();
    let message = CString::new(line).expect("NULs were replaced");
    LAST_ERROR.with(|e| *e.borrow_mut() = message);
}

fn clear_last_error() {
    LAST_ERROR.with(|e| {
        if !e.borrow().is_empty() {
            *e.borrow_mut() = CString::default();
        }
    });
}

fn panic_text(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}

/// Runs `body` with panics contained; on failure records "`function`: message".
fn contained<T>(body: impl FnOnce() -> T) -> std::result::Result<T, String> {
    install_quiet_panic_hook();
    CALL_DEPTH.with(|d| d.set(d.get() + 1));
    let result = panic::catch_unwind(AssertUnwindSafe(body));
    CALL_DEPTH.with(|d| d.set(d.get() - 1));
    result.map_err(|payload| {
        let location = PANIC_LOCATION.with(|p| p.borrow_mut().take()).unwrap_or_default();
        format!("internal error at {location}: {}", panic_text(payload.as_ref()))
    })
}

/// The body of a fallible exported function.
pub(crate) fn call(function: &'static str, body: impl FnOnce() -> Result<()>) -> ebm_status {
    clear_last_error();
    crate::parallel::torch_single_threaded();
    match contained(body) {
        Ok(Ok(())) => {
            // A user callback may have made a failing ebm_ call of its own on this thread.
            clear_last_error();
            ebm_status::EBM_OK
        }
        Ok(Err(error)) => {
            set_last_error(format!("{function}: {error}"));
            ebm_status::from(&error)
        }
        Err(panic_message) => {
            set_last_error(format!("{function}: {panic_message}"));
            ebm_status::EBM_ERR_PANIC
        }
    }
}

/// The body of an exported function that cannot report errors: `fallback` on panic.
pub(crate) fn call_infallible<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    contained(body).unwrap_or(fallback)
}

/// The message of the most recent failed ebm_ call on this thread: one line naming the
/// function and the argument at fault. Empty after a successful fallible call. The pointer
/// is never NULL and stays valid until the next ebm_ call on the same thread; do not free it.
#[no_mangle]
pub extern "C" fn ebm_last_error_message() -> *const c_char {
    LAST_ERROR.with(|e| e.borrow().as_ptr())
}
