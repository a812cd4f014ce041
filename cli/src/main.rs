//! The `runglass` binary: parse the command line, run one command, report errors as one
//! line on stderr with a non-zero exit.

#![forbid(unsafe_code)]

mod args;
mod collect;
mod commands;
mod escape;
mod formats;
mod integrations;
mod receipt;
mod record;
mod revert;
mod serve;
mod store;
mod time;

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match parse_args() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    let trace_command = matches!(cli.command, args::Command::Trace(_));
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
            eprintln!("runglass: {}{}", escape::error(&err), commands::untraced_remedy(&err, trace_command));
            ExitCode::from(record::exit::error_exit_code(&err))
        }
    }
}

/// The command line, parsed. `--help` and `--version` print and exit as clap does; a
/// command line clap refuses is reported with what it echoes of it (an unknown subcommand,
/// a bad value) escaped, in clap's words without its colours.
fn parse_args() -> Result<args::Cli, ExitCode> {
    use clap::{CommandFactory, FromArgMatches};
    let parse = |cmd: clap::Command| cmd.try_get_matches().and_then(|m| args::Cli::from_arg_matches(&m));
    match parse(args::Cli::command()) {
        Ok(cli) => Ok(cli),
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            // The same command line again, rendered without styles: clap's message as plain
            // text, whose only control characters are the ones it echoes from the input.
            let plain = parse(args::Cli::command().styles(clap::builder::Styles::plain())).err().unwrap_or(e);
            eprint!("{}", escape::message(&plain.render().ansi().to_string()));
            Err(ExitCode::from(u8::try_from(plain.exit_code()).unwrap_or(2)))
        }
    }
}
