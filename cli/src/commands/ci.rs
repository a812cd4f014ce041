//! `runglass ci`: record a command as `run` does, with the CI build in its receipt; write
//! the artifact directory; add the summary to the job's page; exit with the command's status.

use anyhow::Context;
use runglass_model::receipt::{CiProvider, Mode};

use crate::args::CiArgs;
use crate::store::blobs::BlobStore;
use crate::commands::run::{current_dir, report};
use crate::formats::{Format, Source};
use crate::integrations::ci_artifacts::ArtifactDir;
use crate::integrations::ci_build::{self, process_env};
use crate::integrations::step_summary;
use crate::record::session::{self, SessionOptions};
use crate::store;

pub fn run(args: CiArgs) -> anyhow::Result<u8> {
    let cwd = current_dir()?;
    // Checked before the command runs: a job must not run its command only to find that
    // its receipt cannot be written.
    let out = ArtifactDir::check(&args.output)?;
    let formats = chosen(&args.format);
    if let Some(line) = ci_build::mismatch(args.provider.chosen(), &process_env) {
        eprintln!("runglass: warning: {line}");
    }
    let ci = ci_build::build(args.provider.chosen(), &cwd, &process_env);
    let data = store::data_dir()?;
    let opts = SessionOptions {
        command: args.command,
        mode: if args.watch.deep { Mode::Deep } else { Mode::Normal },
        reads: args.watch.reads,
        timeout: args.watch.timeout,
        cwd: cwd.clone(),
        data: data.clone(),
        ci: Some(ci),
        // The previous run's artifacts are no part of this one.
        exclude: vec![cwd.join(out.path())],
    };
    let s = match session::record(opts) {
        Ok(s) => s,
        // The command ran but left no receipt at all: a passing one fails the job, as below.
        Err(e) => match e.downcast_ref::<crate::record::exit::NotRecorded>().map(|n| n.exit_code) {
            Some(code) => {
                eprintln!("runglass: {e:#}");
                return Ok(if code == 0 { 1 } else { code });
            }
            None => return Err(e),
        },
    };
    report(&s);
    // A failing command keeps its exit code; a passing one whose receipt could not be
    // written fails the job, which would otherwise lose the receipt unnoticed.
    let failed = if s.exit_code == 0 { 1 } else { s.exit_code };
    let blobs = BlobStore::open(&data.join("blobs"))?;
    let source = Source { receipt: &s.receipt, dir: &s.dir, blobs: &blobs };
    if let Err(e) = out.write(&source, &formats) {
        eprintln!("runglass: the artifact directory was not written: {}", crate::escape::error(&e));
        return Ok(failed);
    }
    eprintln!("runglass: artifacts in {}", crate::escape::text(out.path()));
    let github = s.receipt.ci.as_ref().is_some_and(|c| c.provider == CiProvider::Github);
    if let Some(file) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|f| github && !f.is_empty()) {
        let summary = source.text(Format::SummaryMd);
        step_summary::append(file.as_ref(), &summary, out.path())
            .context("the receipt and artifacts are written; only the job summary is missing")
            .unwrap_or_else(|e| eprintln!("runglass: warning: {e:#}"));
    }
    Ok(s.exit_code)
}

/// The formats asked for, every one (the bundle too) when none is named.
fn chosen(asked: &[Format]) -> Vec<Format> {
    if asked.is_empty() { Format::ALL.to_vec() } else { Format::ordered(asked) }
}
