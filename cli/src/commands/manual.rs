//! The man pages, rendered from the clap definitions: runglass(1) and one page per visible
//! subcommand (runglass-run(1), ...), so the manual documents exactly what the parser
//! accepts. `runglass __man DIR` writes them; docs/man holds the committed copies.

use clap::{Command, CommandFactory};
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, roman};

use crate::args::Cli;
use crate::collect::snapshot;

/// One rendered page.
pub struct Page {
    /// `runglass.1`, `runglass-run.1`, ...
    pub file_name: String,
    pub roff: Vec<u8>,
}

/// Every page, the top command's first. The output depends only on the clap definitions
/// and the version (no date), so the committed pages can be compared byte for byte.
pub fn pages() -> std::io::Result<Vec<Page>> {
    // `help` is a clap convenience, not a command worth a page.
    let mut root = Cli::command().disable_help_subcommand(true);
    root.build();
    let source = format!("runglass {}", root.get_version().unwrap_or_default());
    let mut pages = Vec::new();
    add_pages(&root, None, &source, &mut pages)?;
    Ok(pages)
}

/// Renders `cmd`'s page and, recursively, those of its visible subcommands.
fn add_pages(cmd: &Command, parent: Option<&str>, source: &str, pages: &mut Vec<Page>) -> std::io::Result<()> {
    let name = cmd.get_display_name().unwrap_or_else(|| cmd.get_name());
    let man = Man::new(cmd.clone())
        .title(name.to_uppercase())
        // No date, so that pages only change with what they document. An empty one would be
        // written as nothing, shifting the source into the date's place on the .TH line.
        .date(" ")
        // Subcommands would otherwise be sourced as "run " (their own name, no version).
        .source(source);
    let mut roff = Vec::new();
    man.render(&mut roff)?;
    // `to_roff`, not `to_writer`: the page already starts with the apostrophe preamble.
    let extra = match parent {
        None => environment_section(),
        Some(parent) => see_also_section(parent),
    };
    roff.extend_from_slice(extra.to_roff().as_bytes());
    pages.push(Page { file_name: man.get_filename(), roff });
    for sub in cmd.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        add_pages(sub, Some(name), source, pages)?;
    }
    Ok(())
}

/// The environment variables runglass reads; clap's definitions do not carry them.
fn environment_section() -> Roff {
    let cap = format!(
        "Files larger than this many bytes (default {}) are compared by size and times only, not read.",
        snapshot::DEFAULT_CAP_BYTES
    );
    let vars = [
        (
            "RUNGLASS_DATA_HOME",
            "Where receipts and stored contents are kept; else $XDG_DATA_HOME/runglass, \
             else ~/.local/share/runglass.",
        ),
        (
            "RUNGLASS_NO_PTY",
            "When set to anything but empty or 0, run captures the command's stdout and stderr \
             apart even in a terminal, instead of giving it a pseudo-terminal.",
        ),
        (snapshot::CAP_ENV, cap.as_str()),
    ];
    let mut roff = Roff::new();
    roff.control("SH", ["ENVIRONMENT"]);
    for (name, meaning) in vars {
        roff.control("TP", []).text([bold(name)]).text([roman(meaning)]);
    }
    roff
}

/// Points a subcommand's page back to its parent's, which lists the others.
fn see_also_section(parent: &str) -> Roff {
    let mut roff = Roff::new();
    roff.control("SH", ["SEE ALSO"]).text([bold(parent), roman("(1)")]);
    roff
}
