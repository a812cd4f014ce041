//! The receipt in every form people use, as files: what `export` writes, what `open`
//! serves and what `run --open` shows. The forms themselves are render/'s pure
//! functions; this module feeds them what lies beyond the receipt (stored contents for
//! full diffs, the artifact files for bundles) and names the files.

mod bundle_files;
mod full_diffs;

pub use bundle_files::{ARTIFACTS_DIR, METADATA_FILE, artifact_entry, content_entry, safe_name};

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use runglass_model::Receipt;
use runglass_render::bundle::{self, BundleFile, Rendered};
use runglass_render::{ai, html, json, markdown, reverse_patch, summary_md};

use crate::store::blobs::BlobStore;
use crate::store;

/// One form of a receipt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Format {
    /// receipt.html: one self-contained page.
    Html,
    /// receipt.md: the whole receipt in Markdown.
    Markdown,
    /// receipt.json: the receipt itself (docs/receipt.md).
    Json,
    /// summary.md: a compact summary for a pull-request comment.
    SummaryMd,
    /// ai-summary.txt: a plain-text block for a coding agent.
    Ai,
    /// reverse.patch: a patch that undoes the text changes.
    ReversePatch,
    /// runglass-receipt-<id>.tar: every format and the artifacts.
    Bundle,
}

impl Format {
    /// Every format but the bundle (which holds all the others).
    pub const FILES: [Format; 6] =
        [Format::Html, Format::Markdown, Format::Json, Format::SummaryMd, Format::Ai, Format::ReversePatch];
    /// Every format, in the order they are written.
    pub const ALL: [Format; 7] = [
        Format::Html,
        Format::Markdown,
        Format::Json,
        Format::SummaryMd,
        Format::Ai,
        Format::ReversePatch,
        Format::Bundle,
    ];

    /// The formats of `wanted` in [`Format::ALL`]'s order, each once.
    pub fn ordered(wanted: &[Format]) -> Vec<Format> {
        Format::ALL.into_iter().filter(|f| wanted.contains(f)).collect()
    }

    pub fn file_name(self, id: &str) -> String {
        match self {
            Format::Html => "receipt.html".into(),
            Format::Markdown => "receipt.md".into(),
            Format::Json => "receipt.json".into(),
            Format::SummaryMd => "summary.md".into(),
            Format::Ai => "ai-summary.txt".into(),
            Format::ReversePatch => "reverse.patch".into(),
            Format::Bundle => format!("runglass-receipt-{id}.tar"),
        }
    }

    /// The format whose file is called `name` for receipt `id`.
    pub fn from_file_name(name: &str, id: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.file_name(id) == name)
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Html => "text/html; charset=utf-8",
            Format::Markdown | Format::SummaryMd => "text/markdown; charset=utf-8",
            Format::Json => "application/json",
            Format::Ai | Format::ReversePatch => "text/plain; charset=utf-8",
            Format::Bundle => "application/x-tar",
        }
    }
}

/// A receipt with what its formats need from the store.
pub struct Source<'a> {
    pub receipt: &'a Receipt,
    /// The receipt's directory (its output and snapshot files).
    pub dir: &'a Path,
    pub blobs: &'a BlobStore,
}

impl<'a> Source<'a> {
    /// Renders one of the text formats (everything but the bundle).
    pub fn text(&self, format: Format) -> String {
        let r = self.receipt;
        match format {
            Format::Html => html::page(r),
            Format::Markdown => markdown::receipt(r),
            Format::Json => json::receipt(r),
            Format::SummaryMd => summary_md::summary(r),
            Format::Ai => ai::summary(r),
            Format::ReversePatch => reverse_patch::reverse_patch(r, &|c| full_diffs::forward(self.blobs, c)),
            Format::Bundle => unreachable!("the bundle is binary: use write_bundle"),
        }
    }

    /// The files of the bundle's artifacts/ folder: output, event logs, metadata, diffs,
    /// snapshots and stored contents (see `bundle_files`).
    /// An error when the receipt names a file outside its directory.
    pub fn artifacts(&self) -> anyhow::Result<Vec<BundleFile>> {
        bundle_files::collect(self)
    }

    /// Streams the bundle (a tar archive) to `out`.
    pub fn write_bundle(&self, out: impl Write) -> anyhow::Result<()> {
        let [html, markdown, json, summary_md, ai, reverse_patch] = Format::FILES.map(|f| self.text(f));
        let rendered = Rendered {
            html: &html,
            markdown: &markdown,
            summary_md: &summary_md,
            ai: &ai,
            json: &json,
            reverse_patch: &reverse_patch,
        };
        let files = self.artifacts()?;
        bundle::write_bundle(self.receipt, &rendered, &files, out)
            .with_context(|| format!("writing the bundle of receipt {}", self.receipt.id))
    }

    /// Writes `format` into `out_dir` (atomically: nothing partial is ever left under its
    /// name) and returns the file's path.
    pub fn write_file(&self, format: Format, out_dir: &Path) -> anyhow::Result<PathBuf> {
        let path = out_dir.join(format.file_name(&self.receipt.id));
        if format == Format::Bundle {
            let mut tmp = tempfile::Builder::new()
                .prefix(".tmp-")
                .tempfile_in(out_dir)
                .with_context(|| format!("creating a temporary file in {}; check it is writable", out_dir.display()))?;
            self.write_bundle(std::io::BufWriter::new(tmp.as_file_mut()))?;
            tmp.as_file().sync_all().with_context(|| format!("syncing {}", tmp.path().display()))?;
            tmp.persist(&path).with_context(|| format!("renaming into {}", path.display()))?;
        } else {
            store::atomic::write(&path, self.text(format).as_bytes())?;
        }
        Ok(path)
    }
}
