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
pub mod manual;
pub mod open;
pub mod prune;
pub mod report;
pub mod revert;
pub mod run;
pub mod snapshot;
pub mod trace;
pub mod validate;

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
