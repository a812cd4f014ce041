//! `runglass completions SHELL`: the shell completion script, generated from the clap
//! definitions, on stdout.

use std::io::Write;

use anyhow::Context;
use clap::{Command, CommandFactory};

use crate::args::{Cli, CompletionsArgs};

pub fn run(args: CompletionsArgs) -> anyhow::Result<u8> {
    // Rendered into memory first: clap_complete panics when its writer fails.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut visible_commands(), "runglass", &mut script);
    let mut out = std::io::stdout().lock();
    // A closed pipe (`completions bash | head`) is the reader's choice, not an error.
    match out.write_all(&script).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("writing the completion script to stdout")
        }
        _ => Ok(0),
    }
}

/// The command line without its hidden commands (`__keep`, `__man`): clap_complete offers
/// hidden subcommands too (clap-rs/clap#1335) and clap cannot remove one, so the top
/// command is rebuilt around the visible ones.
fn visible_commands() -> Command {
    let cli = Cli::command();
    let visible: Vec<Command> = cli.get_subcommands().filter(|sub| !sub.is_hide_set()).cloned().collect();
    Command::new("runglass")
        .version(env!("CARGO_PKG_VERSION"))
        .args(cli.get_arguments().cloned())
        .subcommands(visible)
}
