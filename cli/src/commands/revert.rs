//! `runglass revert`: what undoing a receipt's file changes would do, path by path, and
//! with --apply, doing it.

use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use runglass_model::receipt::Receipt;

use crate::args::RevertArgs;
use crate::escape;
use crate::record::recover;
use crate::revert::apply::{Applied, Conflicts, Outcome, Stopped};
use crate::revert::plan::{self, Change, Step, Verdict};
use crate::revert::target::{Preview, Target};
use crate::store::{self, catalog};

pub fn run(args: RevertArgs) -> anyhow::Result<u8> {
    let data = store::data_dir()?;
    let dir = catalog::resolve(&data, &args.receipt)?;
    let receipt = recover::load_or_recover(&data, &dir)?;
    let target = Target::open(&data, &dir, receipt, args.include_outside)?;
    let r = &target.receipt;
    let root_path = r.files.root.as_path().to_path_buf();
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let wanted: Vec<Vec<u8>> = args.file.iter().map(|f| inside(&root_path, &cwd, f)).collect::<anyhow::Result<_>>()?;
    let chosen = |c: &Change| wanted.is_empty() || (!c.outside && wanted.iter().any(|w| covers(w, c.path.as_bytes())));
    if !wanted.is_empty() && target.changes(&chosen).next().is_none() {
        let id = escape::text(&r.id);
        bail!("receipt {id} records no change of {}; see `runglass report {id}`", show(&args.file));
    }
    if !args.apply {
        return preview(r, &target.preview(&chosen)?, &args);
    }

    let conflicts = match (args.skip_changed, args.force) {
        (true, _) => Conflicts::Skip,
        (_, true) => Conflicts::Force,
        _ => Conflicts::Stop,
    };
    let mut out = std::io::stdout().lock();
    match target.apply(&chosen, conflicts)? {
        Ok(done) => {
            if done.resumed {
                let swept = match done.swept {
                    0 => String::new(),
                    n => format!("; removed {n} temporary file(s) it left"),
                };
                writeln!(out, "finished the interrupted revert of receipt {}{swept}", r.id)?;
            } else {
                writeln!(out, "reverted receipt {} in {}", r.id, r.files.root.escaped())?;
            }
            report(&mut out, &done.applied)?;
            git_note(&mut out, r)?;
            Ok(0)
        }
        Err(Stopped::Blocked(blocked)) => {
            for s in &blocked {
                eprintln!("{}", step_line(s));
            }
            let changed = blocked.iter().any(|s| matches!(s.verdict, Verdict::ChangedSince(_)));
            let fix = if changed {
                "add --skip-changed to leave them or --force to overwrite them, or choose paths with --file"
            } else {
                "add --skip-changed to revert the rest, or choose paths with --file"
            };
            bail!(
                "revert stopped before changing anything: {} change(s) above cannot be reverted as asked; {fix}",
                blocked.len()
            )
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

fn preview(receipt: &Receipt, p: &Preview, args: &RevertArgs) -> anyhow::Result<u8> {
    let (steps, mut out) = (&p.steps, std::io::stdout().lock());
    writeln!(out, "revert preview of receipt {} in {}", receipt.id, receipt.files.root.escaped())?;
    if p.interrupted {
        writeln!(out, "  (an apply of this receipt was interrupted; run it again with --apply to finish it)")?;
    }
    for s in steps.iter() {
        writeln!(out, "{}", step_line(s))?;
    }
    if args.include_outside {
        for c in &receipt.files.outside {
            if let Some(why) = plan::outside_unplanned(c) {
                writeln!(out, "  {:<10} {:<40} {why}", "-", c.path.shell_word())?;
            }
        }
    } else if !receipt.files.outside.is_empty() {
        let n = receipt.files.outside.len();
        writeln!(out, "  ({n} change(s) outside the working directory not listed; add --include-outside)")?;
    }
    let safe = steps.iter().filter(|s| s.verdict == Verdict::Safe).count();
    writeln!(out, "{safe} of {} change(s) can be reverted safely. Preview only: nothing was changed.", steps.len())?;
    git_note(&mut out, receipt)?;
    Ok(0)
}

/// What revert leaves in git (commits, branches, tags, HEAD), and the git commands that
/// would undo it, quoted for the shell: nothing when the command moved none of them.
fn git_note(out: &mut impl Write, receipt: &Receipt) -> std::io::Result<()> {
    let Some(g) = &receipt.git else { return Ok(()) };
    let reverts_refs = runglass_render::git_lines::reverts_git_refs(&receipt.files);
    let Some(note) = runglass_render::git_lines::revert_note(g, reverts_refs) else { return Ok(()) };
    writeln!(out, "{note}")?;
    for cmd in runglass_render::git_lines::undo_commands(g) {
        writeln!(out, "  {cmd}")?;
    }
    Ok(())
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
        anyhow::anyhow!(
            "{} is not inside the receipt's root {}; give a path under it",
            escape::text(file),
            escape::text(root)
        )
    })?;
    let normal = rel.components().all(|c| matches!(c, std::path::Component::Normal(_)));
    if !normal {
        bail!("{} is not a plain path; give it without `.` or `..`", escape::text(file));
    }
    Ok(rel.as_os_str().as_bytes().to_vec())
}

/// Whether `wanted` is `path` or a directory holding it.
fn covers(wanted: &[u8], path: &[u8]) -> bool {
    wanted.is_empty() || path == wanted || (path.starts_with(wanted) && path.get(wanted.len()) == Some(&b'/'))
}

fn show(files: &[PathBuf]) -> String {
    files.iter().map(escape::text).collect::<Vec<_>>().join(", ")
}
