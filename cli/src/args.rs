//! The command line, as clap sees it. Commands turn these raw flags into plain options.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use runglass_model::receipt::CiProvider;

use crate::formats::Format;

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
    ///
    /// The command's output reaches you live and is captured; runglass exits with the
    /// command's status (128+N when it was killed by signal N). Normal mode watches the
    /// process tree by polling /proc and compares snapshots of the working directory;
    /// --deep follows every process with the ptrace engine.
    Run(RunArgs),
    /// Run a command in CI: record its receipt, write it in every format into one directory,
    /// and exit with the command's status.
    ///
    /// DIR (./runglass-ci unless --output) gets receipt.html, receipt.md, receipt.json,
    /// summary.md, ai-summary.txt, reverse.patch, bundle.tar and artifacts/ (the output, event
    /// log, metadata, per-file diffs, snapshots and stored contents). It is written whole
    /// beside DIR and then swapped in, replacing an earlier runglass ci directory there. The
    /// receipt records the build: repository, pull request, commit and run URL. On GitHub
    /// Actions the summary is appended to $GITHUB_STEP_SUMMARY. Exits with the command's
    /// status (128+N when it was killed by signal N) once DIR is written.
    Ci(CiArgs),
    /// List receipts, newest first.
    List(ListArgs),
    /// Show a receipt in the terminal.
    Report(ReportArgs),
    /// Write a receipt as HTML, Markdown, JSON, summaries, a reverse patch or a bundle.
    ///
    /// Without a format flag, writes every format but the bundle. Prints the path of
    /// each file written.
    Export(ExportArgs),
    /// Serve receipts on 127.0.0.1 and open them in the browser.
    ///
    /// The URL carries a random token that every request for a receipt needs; requests
    /// from other hosts or origins are refused. Stops on Ctrl-C.
    Open(OpenArgs),
    /// Undo a receipt's file changes (a preview unless --apply).
    ///
    /// The preview says, for each path, what revert would do and whether it can (safe,
    /// already reverted, changed since the receipt, before-content not stored, refused).
    /// --apply restores content, modes and symlinks atomically; a killed apply is finished
    /// by running it again. Paths never lead outside the receipt's root. Commits, branches
    /// and tags the command made in git are not undone: the git commands that would undo
    /// them are printed.
    Revert(RevertArgs),
    /// Check that a receipt is well formed and its files are present.
    Validate(ValidateArgs),
    /// Delete old receipts, keeping the newest N.
    Prune(PruneArgs),
    /// Delete one receipt.
    Delete(DeleteArgs),
    /// Check what runglass can do on this machine.
    Doctor,
    /// Snapshot the current directory as `run` would (warming the stat cache and the
    /// blob store) and report what it read and skipped.
    Snapshot(SnapshotArgs),
    /// Make an example receipt by running a small scripted session in a scratch directory.
    Demo,
    /// Print the shell completion script for bash, zsh, fish, elvish or powershell.
    ///
    /// Install it where the shell looks for completions. bash: `runglass completions bash >
    /// ~/.local/share/bash-completion/completions/runglass`.
    ///
    /// zsh: `runglass completions zsh > ~/.zfunc/_runglass`, with `fpath=(~/.zfunc $fpath)`
    /// before `compinit` in ~/.zshrc.
    ///
    /// fish: `runglass completions fish > ~/.config/fish/completions/runglass.fish`.
    Completions(CompletionsArgs),
    /// Post a receipt's summary on a GitHub pull request; detect the CI build runglass runs in.
    #[command(subcommand)]
    Github(GithubCommand),
    /// Internal: the background tracer that adopts processes outliving a traced command.
    #[command(name = "__keep", hide = true)]
    Keep(KeepArgs),
    /// Internal: write the man pages, rendered from these definitions, into a directory
    /// (how docs/man is regenerated).
    #[command(name = "__man", hide = true)]
    Man(ManArgs),
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

/// How a recorded command is watched: the flags `run` and `ci` share.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Trace the whole process tree with the ptrace engine.
    #[arg(long)]
    pub deep: bool,
    /// With --deep: also trace read-only opens.
    #[arg(long, requires = "deep")]
    pub reads: bool,
    /// End the command after this long (SIGTERM, then SIGKILL 5 s later): 30s, 1500ms, 5m, 1h.
    #[arg(long, value_name = "DUR", value_parser = crate::record::timeout::parse_duration)]
    pub timeout: Option<std::time::Duration>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub watch: WatchArgs,
    /// Open the receipt's page in the browser when the command ends.
    #[arg(long)]
    pub open: bool,
    /// The command and its arguments.
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

#[derive(Debug, Args)]
pub struct CiArgs {
    /// Where the build's facts come from: auto reads GitHub Actions' or GitLab CI's variables
    /// when present, and otherwise records a generic build.
    #[arg(long, value_name = "PROVIDER", value_enum, default_value_t = Provider::Auto)]
    pub provider: Provider,
    /// The artifact directory to write (replaced whole if it holds an earlier runglass ci run).
    #[arg(short, long, value_name = "DIR", default_value = "runglass-ci")]
    pub output: PathBuf,
    #[command(flatten)]
    pub watch: WatchArgs,
    /// The formats to write besides receipt.json and artifacts/, comma-separated
    /// [default: all of them, the bundle as bundle.tar].
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_enum)]
    pub format: Vec<Format>,
    /// The command and its arguments.
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Provider {
    /// GitHub Actions or GitLab CI, as the environment says; generic otherwise.
    Auto,
    /// GitHub Actions: GITHUB_REPOSITORY, GITHUB_SHA, the event's pull request, the run URL.
    Github,
    /// GitLab CI: CI_PROJECT_PATH, CI_COMMIT_SHA, CI_MERGE_REQUEST_IID, CI_PIPELINE_URL.
    Gitlab,
    /// Any other CI: the repository and commit of the clone's origin on GitHub, if any.
    Generic,
}

impl Provider {
    /// The provider asked for; `None` for auto (the one the environment shows).
    pub fn chosen(self) -> Option<CiProvider> {
        match self {
            Provider::Auto => None,
            Provider::Github => Some(CiProvider::Github),
            Provider::Gitlab => Some(CiProvider::Gitlab),
            Provider::Generic => Some(CiProvider::Generic),
        }
    }
}

/// A receipt: `latest`, an id from `runglass list`, or a unique prefix of one.
const RECEIPT_HELP: &str = "latest, an id from `runglass list`, or a unique prefix of one";

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only receipts whose command, id or cwd contains this text.
    #[arg(long, value_name = "S")]
    pub query: Option<String>,
    /// Only receipts at this risk level or above.
    #[arg(long, value_name = "LEVEL", value_enum)]
    pub risk: Option<RiskLevel>,
    /// Only receipts made in this mode.
    #[arg(long, value_name = "MODE", value_enum)]
    pub mode: Option<ModeArg>,
    /// At most this many (newest first).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// One JSON array of summaries instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RiskLevel {
    Info,
    Low,
    Medium,
    High,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ModeArg {
    Normal,
    Deep,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[arg(default_value = "latest", value_name = "ID", help = RECEIPT_HELP)]
    pub receipt: String,
    /// Print the receipt's JSON (the public contract; see docs/receipt.md).
    #[arg(long, conflicts_with = "ai")]
    pub print_json: bool,
    /// Print a compact plain-text summary for pasting into a coding agent.
    #[arg(long)]
    pub ai: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(default_value = "latest", value_name = "ID", help = RECEIPT_HELP)]
    pub receipt: String,
    /// receipt.html: one self-contained page.
    #[arg(long)]
    pub html: bool,
    /// receipt.md: the whole receipt in Markdown.
    #[arg(long)]
    pub markdown: bool,
    /// receipt.json: the receipt itself.
    #[arg(long)]
    pub json: bool,
    /// reverse.patch: a patch that undoes the text changes (`git apply` or `patch -p1`).
    #[arg(long)]
    pub reverse_patch: bool,
    /// runglass-receipt-<id>.tar: every format and the artifacts.
    #[arg(long)]
    pub bundle: bool,
    /// Formats to write, comma-separated.
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_enum)]
    pub format: Vec<Format>,
    /// Where to write them [default: ./runglass-receipt-<id>].
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct OpenArgs {
    /// The receipt to open; without one, the index of all receipts.
    #[arg(value_name = "ID", help = RECEIPT_HELP)]
    pub receipt: Option<String>,
    /// The port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub port: u16,
    /// Only print the URL; do not start a browser.
    #[arg(long)]
    pub no_browser: bool,
}

#[derive(Debug, Args)]
pub struct RevertArgs {
    #[arg(default_value = "latest", value_name = "ID", help = RECEIPT_HELP)]
    pub receipt: String,
    /// Only this path (or the paths under this directory); repeatable.
    #[arg(long, value_name = "PATH")]
    pub file: Vec<PathBuf>,
    /// Say what revert would do without changing anything (the default).
    #[arg(long, conflicts_with = "apply")]
    pub preview: bool,
    /// Undo the changes. A path changed since the receipt stops the whole apply before
    /// anything is touched, unless --skip-changed or --force says otherwise.
    #[arg(long)]
    pub apply: bool,
    /// With --apply: leave paths changed since the receipt, and those that cannot be
    /// reverted, as they are, and revert the rest.
    #[arg(long, requires = "apply", conflicts_with = "force")]
    pub skip_changed: bool,
    /// With --apply: overwrite paths changed since the receipt with their state before
    /// the command.
    #[arg(long, requires = "apply")]
    pub force: bool,
    /// Also revert the changes made outside the working directory whose before-state
    /// was captured (deep mode).
    #[arg(long)]
    pub include_outside: bool,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// latest, an id, a receipt directory, or a receipt.json file.
    #[arg(default_value = "latest", value_name = "RECEIPT")]
    pub receipt: String,
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    /// How many of the newest receipts to keep.
    #[arg(long, value_name = "N")]
    pub keep: usize,
    /// Say what would be deleted without deleting.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    #[arg(value_name = "ID", help = RECEIPT_HELP)]
    pub receipt: String,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Only walk the tree and report what would be read and skipped: no file is read
    /// and nothing is stored.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Subcommand)]
pub enum GithubCommand {
    /// Print the repository, pull request, commit and run URL of this build: from the CI
    /// environment (GitHub Actions, GitLab CI), else from the git remote `origin`.
    Detect(GithubDetectArgs),
    /// Post a receipt's compact summary as a comment on a pull request, or update the
    /// comment runglass posted there before.
    ///
    /// The token comes from GITHUB_TOKEN, else GH_TOKEN, else `gh auth token`. The
    /// repository and pull request not given are taken from `github detect`.
    Comment(GithubCommentArgs),
}

#[derive(Debug, Args)]
pub struct GithubDetectArgs {
    /// One JSON object instead of lines.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct GithubCommentArgs {
    /// latest, an id, a receipt directory, or a receipt.json file.
    #[arg(long, default_value = "latest", value_name = "R")]
    pub receipt: String,
    /// The repository, OWNER/NAME.
    #[arg(long, value_name = "O/N")]
    pub repo: Option<String>,
    /// The pull request's number.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub pr: Option<u64>,
    /// A build that is not for a pull request is not an error: say so and post nothing.
    #[arg(long)]
    pub auto: bool,
    /// Print the requests that would be sent, without a token or the network.
    #[arg(long)]
    pub dry_run: bool,
    /// The API's base URL [default: $GITHUB_API_URL, else https://api.github.com].
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
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

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to write the script for.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The directory to write runglass.1 and a page per command into (created if missing).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}
