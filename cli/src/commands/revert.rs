//! `runglass revert`: what undoing a receipt's file changes would do, path by path, and
//! with --apply, doing it.

use std::collections::HashSet;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use runglass_model::receipt::Receipt;

use crate::args::RevertArgs;
use crate::blobs::BlobStore;
use crate::recover;
use crate::revert::apply::{Applied, Apply, Conflicts, Outcome, Stopped};
use crate::revert::atomic;
use crate::revert::confine::Root;
use crate::revert::journal::{self, Journal};
use crate::revert::plan::{self, Roots, Step, Verdict};
use crate::store::{self, catalog};

pub fn run(args: RevertArgs) -> anyhow::Result<u8> {
    let data = store::data_dir()?;
    let dir = catalog::resolve(&data, &args.receipt)?;
    let receipt = recover::load_or_recover(&data, &dir)?;
    let blobs = BlobStore::open(&data.join("blobs"))?;
    let root_path = receipt.files.root.as_path().to_path_buf();
    let roots = Roots { inside: Root::open(&root_path)?, outside: None };
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let wanted: Vec<Vec<u8>> = args.file.iter().map(|f| inside(&root_path, &cwd, f)).collect::<anyhow::Result<_>>()?;
    let chosen = |c: &plan::Change| wanted.is_empty() || wanted.iter().any(|w| covers(w, c.path.as_bytes()));
    if !wanted.is_empty() && !plan::inside(&receipt).any(|c| chosen(&c)) {
        bail!("receipt {} records no change of {}; see `runglass report {}`", receipt.id, show(&args.file), receipt.id);
    }
    let changes = || plan::inside(&receipt).filter(|c| chosen(c));
    if !args.apply {
        let resuming = journal::unfinished(&dir);
        let steps = plan::plan(changes(), &roots, &blobs, resuming.as_ref().unwrap_or(&HashSet::new()));
        return preview(&receipt, &steps, resuming.is_some(), &args);
    }

    let mut journal = Journal::open(&dir)?;
    let steps = plan::plan(changes(), &roots, &blobs, journal.unfinished());
    let apply = Apply {
        roots: &roots,
        blobs: &blobs,
        conflicts: match (args.skip_changed, args.force) {
            (true, _) => Conflicts::Skip,
            (_, true) => Conflicts::Force,
            _ => Conflicts::Stop,
        },
        temp_prefix: atomic::temp_prefix(&receipt.id),
    };
    let mut out = std::io::stdout().lock();
    if journal.interrupted() {
        writeln!(out, "finishing the interrupted revert of receipt {}", receipt.id)?;
        apply.sweep(&steps)?;
    } else {
        writeln!(out, "reverting receipt {} in {}", receipt.id, receipt.files.root.escaped())?;
    }
    match apply.run(steps, &mut journal) {
        Ok(done) => {
            report(&mut out, &done)?;
            journal.finish()?;
            Ok(0)
        }
        Err(Stopped::Blocked(blocked)) => {
            if !journal.interrupted() {
                journal.finish()?;
            }
            for s in &blocked {
                eprintln!("{}", step_line(s));
            }
            let changed = blocked.iter().any(|s| matches!(s.verdict, Verdict::ChangedSince(_)));
            let fix = if changed {
                "add --skip-changed to leave them or --force to overwrite them, or choose paths with --file"
            } else {
                "add --skip-changed to revert the rest, or choose paths with --file"
            };
            bail!("revert stopped before changing anything: {} change(s) above cannot be reverted as asked; {fix}", blocked.len())
        }
        Err(Stopped::Failed { done, path, error }) => {
            report(&mut out, &done)?;
            bail!(
                "revert stopped at {}: {error:#}; fix that and run the same command again to finish",
                path.shell_word()
            )
        }
    }
}

fn preview(receipt: &Receipt, steps: &[Step], interrupted: bool, args: &RevertArgs) -> anyhow::Result<u8> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "revert preview of receipt {} in {}", receipt.id, receipt.files.root.escaped())?;
    if interrupted {
        writeln!(out, "  (an apply of this receipt was interrupted; run it again with --apply to finish it)")?;
    }
    for s in steps {
        writeln!(out, "{}", step_line(s))?;
    }
    if args.include_outside {
        for c in &receipt.files.outside {
            writeln!(out, "  {:<10} {:<40} before-content not captured", "-", c.path.shell_word())?;
        }
    } else if !receipt.files.outside.is_empty() {
        let n = receipt.files.outside.len();
        writeln!(out, "  ({n} change(s) outside the working directory not listed; add --include-outside)")?;
    }
    let safe = steps.iter().filter(|s| s.verdict == Verdict::Safe).count();
    writeln!(out, "{safe} of {} change(s) can be reverted safely. Preview only: nothing was changed.", steps.len())?;
    Ok(0)
}

fn step_line(s: &Step) -> String {
    format!("  {:<10} {:<40} {}", s.undo.as_str(), s.path.shell_word(), s.verdict.text())
}

fn report(out: &mut impl Write, done: &[Applied]) -> std::io::Result<()> {
    let count = |f: fn(&Outcome) -> bool| done.iter().filter(|a| f(&a.outcome)).count();
    let mut sorted: Vec<&Applied> = done.iter().collect();
    sorted.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
    for a in sorted {
        let (what, why) = match &a.outcome {
            Outcome::Reverted => (a.undo.done_str(), String::new()),
            Outcome::AlreadyReverted => ("unchanged", "already reverted".to_string()),
            Outcome::Skipped(why) => ("left", why.clone()),
            Outcome::KeptNotEmpty => ("kept dir", "it holds files the receipt did not record".to_string()),
        };
        let line = format!("  {what:<11} {:<40} {why}", a.path.shell_word());
        writeln!(out, "{}", line.trim_end())?;
    }
    let reverted = count(|o| *o == Outcome::Reverted);
    let already = count(|o| *o == Outcome::AlreadyReverted);
    let left = done.len() - reverted - already;
    writeln!(out, "Reverted {reverted} change(s); {already} already reverted; {left} left as they are.")
}

/// `file` as a path relative to the receipt's root (it may be given relative to the
/// current directory or absolute).
fn inside(root: &Path, cwd: &Path, file: &Path) -> anyhow::Result<Vec<u8>> {
    let absolute: PathBuf = if file.is_absolute() { file.to_path_buf() } else { cwd.join(file) };
    let rel = absolute.strip_prefix(root).map_err(|_| {
        anyhow::anyhow!("{} is not inside the receipt's root {}; give a path under it", file.display(), root.display())
    })?;
    let normal = rel.components().all(|c| matches!(c, std::path::Component::Normal(_)));
    if !normal {
        bail!("{} is not a plain path; give it without `.` or `..`", file.display());
    }
    Ok(rel.as_os_str().as_bytes().to_vec())
}

/// Whether `wanted` is `path` or a directory holding it.
fn covers(wanted: &[u8], path: &[u8]) -> bool {
    wanted.is_empty() || path == wanted || (path.starts_with(wanted) && path.get(wanted.len()) == Some(&b'/'))
}

fn show(files: &[PathBuf]) -> String {
    files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", ")
}
