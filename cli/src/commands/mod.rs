//! One module per subcommand.

pub mod ci;
pub mod completions;
pub mod delete;
pub mod demo;
pub mod doctor;
pub mod export;
pub mod github;
pub mod keep;
pub mod list;
pub mod man;
pub mod open;
pub mod prune;
pub mod report;
pub mod revert;
pub mod run;
pub mod snapshot;
pub mod trace;
pub mod validate;

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
    if let Some(not_recorded) = err.downcast_ref::<crate::session::NotRecorded>() {
        return not_recorded.exit_code;
    }
    match err.downcast_ref::<runglass_tracer::Error>() {
        Some(runglass_tracer::Error::CommandNotFound(_) | runglass_tracer::Error::InterpreterNotFound(_)) => 127,
        Some(runglass_tracer::Error::CannotExecute { .. }) => 126,
        _ => 1,
    }
}

/// What to do instead when tracing cannot work here (no ptrace, no seccomp, an old kernel,
/// another tracer): record without it. The tracer's own message names the cause and how
/// to allow tracing; only the CLI knows its flags. `trace` has no untraced mode of its own.
pub fn untraced_remedy(err: &anyhow::Error, trace_command: bool) -> &'static str {
    match err.downcast_ref::<runglass_tracer::Error>() {
        Some(e) if e.is_environment() && trace_command => "; or record without tracing: `runglass run` without --deep",
        Some(e) if e.is_environment() => "; or run without --deep",
        _ => "",
    }
}
