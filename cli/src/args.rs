//! The command line, as clap sees it. Commands turn these raw flags into plain options.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "runglass", version, about = "Run a command. Get a receipt for what changed.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print what a command does as it happens: execs, file changes, network peers.
    ///
    /// A small, fast strace for the questions a receipt answers. Events go to stderr
    /// (or --output); the command's own output is untouched. Exits with the command's
    /// status (128+N when it was killed by signal N).
    Trace(TraceArgs),
    /// Run a command and record a receipt of what it did.
    Run(RunArgs),
    /// Internal: the background tracer that adopts processes outliving a traced command.
    #[command(name = "__keep", hide = true)]
    Keep(KeepArgs),
}

#[derive(Debug, Args)]
pub struct TraceArgs {
    /// Also report read-only opens (which files the command read).
    #[arg(long)]
    pub reads: bool,
    /// One JSON object per line instead of readable lines.
    #[arg(long)]
    pub json: bool,
    /// Write events to this file instead of stderr.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The command and its arguments.
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Trace the whole process tree with the ptrace engine.
    #[arg(long)]
    pub deep: bool,
    /// With --deep: also trace read-only opens.
    #[arg(long, requires = "deep")]
    pub reads: bool,
    /// The command and its arguments.
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

#[derive(Debug, Args)]
pub struct KeepArgs {
    /// Event log to write the adopted processes' events to.
    #[arg(long)]
    pub log: Option<PathBuf>,
    /// Trace read-only opens too (as the original trace did).
    #[arg(long)]
    pub reads: bool,
    /// The processes to adopt (left in group-stop by the tracer that hands them off).
    #[arg(required = true)]
    pub pids: Vec<i32>,
}
