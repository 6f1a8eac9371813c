//! The one error type of the library. Every message names the argument at fault and says
//! what was wrong with it, without a "failed to" prefix, so wrappers can show it as is.

use thiserror::Error as ThisError;

/// What went wrong, and with which argument.
#[derive(Debug, ThisError)]
pub enum Error {
    /// A required pointer or handle was absent (`element`: its index within an array).
    #[error("{arg}{}: must not be NULL", element.map(|i| format!("[{i}]")).unwrap_or_default())]
    NullPointer { arg: &'static str, element: Option<usize> },

    /// A value outside its documented domain (a negative count, an unknown enum value, ...).
    #[error("{arg}: {reason}")]
    InvalidArgument { arg: &'static str, reason: String },

    /// A parameter or input that must be finite holds NaN or an infinity.
    #[error("{arg}: {reason}")]
    NonFinite { arg: &'static str, reason: String },

    /// An input's dimension does not match what the energy accepts.
    #[error("{arg}: {reason}")]
    DimensionMismatch { arg: &'static str, reason: String },

    /// Two lists that must have the same length do not.
    #[error("{arg}: {reason}")]
    LengthMismatch { arg: &'static str, reason: String },

    /// Sizes whose product or byte count does not fit in memory addressing.
    #[error("{arg}: {reason}")]
    SizeOverflow { arg: &'static str, reason: String },

    /// A covariance matrix that is not symmetric positive definite.
    #[error("{arg}: {reason}")]
    NotPositiveDefinite { arg: &'static str, reason: String },

    /// A device that this build or this machine does not have.
    #[error("{arg}: {reason}")]
    DeviceUnavailable { arg: &'static str, reason: String },

    /// A user callback reported failure.
    #[error("{arg}: callback returned {code}{}", detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Callback {
        arg: &'static str,
        code: i32,
        detail: Option<String>,
    },

    /// A file could not be read or written.
    #[error("{arg}: {reason}")]
    Io { arg: &'static str, reason: String },

    /// A file's contents are not what they should be: truncated, corrupted, or another
    /// architecture.
    #[error("{arg}: {reason}")]
    Format { arg: &'static str, reason: String },

    /// A progress callback asked to stop; `reason` is its own explanation, if it gave one.
    #[error("{arg}: cancelled the run after {steps} of {total} steps{}", reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default())]
    Cancelled {
        arg: &'static str,
        steps: u64,
        total: u64,
        reason: Option<String>,
    },

    /// A call on an object that the calling thread is already inside (a callback calling
    /// back into the sampler or loss that is running it).
    #[error("{arg}: {reason}")]
    Busy { arg: &'static str, reason: String },

    /// Another process failed its part of a collective call (a combination through the
    /// host's all-reduce); this process changed nothing.
    #[error("{arg}: {reason}")]
    Remote { arg: &'static str, reason: String },

    /// A host buffer sized by the caller's arguments could not be allocated.
    #[error("{arg}: {reason}")]
    OutOfMemory { arg: &'static str, reason: String },

    /// libtorch raised an error (out of memory, a CUDA error, ...). Shown as one line: the
    /// meaningful line of libtorch's message, without tracebacks or C++ stack traces.
    #[error("libtorch: {}", torch_message(.0))]
    Torch(#[from] tch::TchError),
}

/// Shorthand used throughout the crate.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn null(arg: &'static str) -> Self {
        Error::NullPointer { arg, element: None }
    }

    pub(crate) fn invalid(arg: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidArgument {
            arg,
            reason: reason.into(),
        }
    }

    pub(crate) fn dimension(arg: &'static str, reason: impl Into<String>) -> Self {
        Error::DimensionMismatch {
            arg,
            reason: reason.into(),
        }
    }
}

/// Rejects a slice holding NaN or an infinity, naming the first bad index.
pub(crate) fn ensure_finite(arg: &'static str, values: &[f64]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(Error::NonFinite {
            arg,
            reason: format!("element {i} is {}, parameters must be finite", values[i]),
        }),
    }
}

/// Rejects a non-finite scalar parameter.
pub(crate) fn ensure_finite_scalar(arg: &'static str, value: f64) -> Result<()> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(Error::NonFinite {
            arg,
            reason: format!("is {value}, parameters must be finite"),
        })
    }
}

/// A libtorch error as one line (see [`one_line`]), without tch's "Internal torch error"
/// prefix.
pub(crate) fn torch_message(error: &tch::TchError) -> String {
    match error {
        tch::TchError::Torch(message) => one_line(message),
        other => one_line(&other.to_string()),
    }
}

/// The one meaningful line of a multi-line libtorch message: for a TorchScript interpreter
/// traceback ("The following operation failed in the TorchScript interpreter. Traceback of
/// TorchScript ... RuntimeError: <reason>") the exception line at its end, otherwise the first
/// non-empty line, dropping C++ stack traces ("Exception raised from ...", "frame #0: ...").
pub(crate) fn one_line(message: &str) -> String {
    let lines = || message.lines().map(str::trim).filter(|l| !l.is_empty());
    let is_noise = |line: &str| {
        line.starts_with("Exception raised from")
            || line.starts_with("frame #")
            || line.starts_with("Traceback of TorchScript")
            || line.starts_with("The following operation failed in the TorchScript interpreter")
    };
    // "builtins.RuntimeError: boom", "RuntimeError: boom", "torch.jit.Error: boom", ...
    let is_exception = |line: &str| {
        line.split_once(": ").is_some_and(|(name, _)| {
            !name.is_empty()
                && !name.contains(' ')
                && (name.ends_with("Error") || name.ends_with("Exception") || name.ends_with("Interrupt"))
        })
    };
    let interpreter = message.contains("Traceback of TorchScript");
    let chosen = if interpreter {
        // The last exception line before any C++ stack trace.
        lines()
            .take_while(|l| !l.starts_with("Exception raised from") && !l.starts_with("frame #"))
            .filter(|l| is_exception(l))
            .last()
    } else {
        None
    };
    let line = chosen
        .or_else(|| lines().find(|l| !is_noise(l)))
        .unwrap_or("")
        // A single line can still hold "(most recent call first):" before its frames.
        .trim_end_matches(|c: char| c == ':' || c.is_whitespace());
    // TorchScript names Python's exceptions "builtins.RuntimeError".
    let line = line.strip_prefix("builtins.").unwrap_or(line);
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}
