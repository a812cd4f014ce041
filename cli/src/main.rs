//! The `runglass` binary: parse the command line, run one command, report errors as one
//! line on stderr with a non-zero exit.

#![forbid(unsafe_code)]

mod args;
mod blobs;
mod browser;
mod capture;
mod ci;
mod commands;
mod deep;
mod docker;
mod formats;
mod git;
mod github;
mod host_names;
mod hosts_file;
mod log_sink;
mod manual;
mod normal;
mod output;
mod poll;
mod receipt;
mod recover;
mod revert;
mod serve;
mod session;
mod shortfall;
mod signals;
mod snapshot;
mod store;
mod time;
mod timeout;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    let result = match cli.command {
        args::Command::Trace(a) => commands::trace::run(a),
        args::Command::Run(a) => commands::run::run(a),
        args::Command::Ci(a) => commands::ci::run(a),
        args::Command::List(a) => commands::list::run(a),
        args::Command::Report(a) => commands::report::run(a),
        args::Command::Export(a) => commands::export::run(a),
        args::Command::Open(a) => commands::open::run(a),
        args::Command::Revert(a) => commands::revert::run(a),
        args::Command::Validate(a) => commands::validate::run(a),
        args::Command::Prune(a) => commands::prune::run(a),
        args::Command::Delete(a) => commands::delete::run(a),
        args::Command::Doctor => commands::doctor::run(),
        args::Command::Snapshot(a) => commands::snapshot::run(a),
        args::Command::Demo => commands::demo::run(),
        args::Command::Completions(a) => commands::completions::run(a),
        args::Command::Github(c) => commands::github::run(c),
        args::Command::Keep(a) => commands::keep::run(a),
        args::Command::Man(a) => commands::man::run(a),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("runglass: {err:#}");
            ExitCode::from(commands::error_exit_code(&err))
        }
    }
}
