//! The `runglass` binary: parse the command line, run one command, report errors as one
//! line on stderr with a non-zero exit.

#![forbid(unsafe_code)]

mod args;
#[allow(dead_code)]
mod blobs;
mod commands;
#[allow(dead_code)]
mod output;
#[allow(dead_code)]
mod poll;
mod deep;
mod signals;
#[allow(dead_code)]
mod snapshot;
mod store;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    let result = match cli.command {
        args::Command::Trace(a) => commands::trace::run(a),
        args::Command::Run(a) => commands::run::run(a),
        args::Command::Keep(a) => commands::keep::run(a),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("runglass: {err:#}");
            ExitCode::from(commands::error_exit_code(&err))
        }
    }
}
