//! The exit status runglass leaves with: the command's own, as a shell reports it, or for
//! runglass's failures, the code a shell would give (127 not found, 126 cannot execute).

use runglass_model::ExitStatus;

/// The exit code runglass passes on for the command's status: the code, or 128+N for a
/// signal, as a shell reports it.
pub fn exit_code(status: ExitStatus) -> u8 {
    status.shell_code().clamp(0, 255) as u8
}

/// runglass's own failures: 127 when the command (or the interpreter it names) does not
/// exist, 126 when it cannot be executed (as shells do), 1 otherwise.
pub fn error_exit_code(err: &anyhow::Error) -> u8 {
    // The command ran; only its receipt is missing.
    if let Some(not_recorded) = err.downcast_ref::<NotRecorded>() {
        return not_recorded.exit_code;
    }
    match err.downcast_ref::<runglass_tracer::Error>() {
        Some(runglass_tracer::Error::CommandNotFound(_) | runglass_tracer::Error::InterpreterNotFound(_)) => 127,
        Some(runglass_tracer::Error::CannotExecute { .. }) => 126,
        _ => 1,
    }
}

/// A run whose command ran, but whose receipt could not be made: runglass exits with the
/// command's status all the same, after one line saying so (this error's text).
#[derive(Debug)]
pub struct NotRecorded {
    pub exit_code: u8,
    message: String,
}

impl NotRecorded {
    pub fn new(exit_code: u8, message: String) -> NotRecorded {
        NotRecorded { exit_code, message }
    }
}

impl std::fmt::Display for NotRecorded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for NotRecorded {}
