//! `runglass snapshot --dry-run`: what a snapshot of a directory would record, read and
//! skip, and why, without reading or storing any content.

use std::fmt::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use runglass_model::ByteString;

use super::progress::Progress;
use super::rules::{IGNORE_FILE, Rules};
use super::SnapshotError;
use super::take::{canonical, check_root};
use super::{SnapshotOptions, walk};

/// Lines listed per section of the report; the rest are counted.
const LIST_MAX: usize = 50;

pub struct DryRun {
    pub root: PathBuf,
    pub cap_bytes: u64,
    pub ignore_sources: Vec<String>,
    pub files: u64,
    pub dirs: u64,
    pub symlinks: u64,
    /// Fifos, sockets and device nodes.
    pub other: u64,
    /// Bytes of the files within the cap: what a first snapshot reads (later ones read only
    /// what changed).
    pub bytes_to_read: u64,
    /// Files over the cap, with their sizes.
    pub capped: Vec<(Vec<u8>, u64)>,
    /// Entries left out, in walk order (a directory stands for everything in it).
    pub skipped: Vec<Skip>,
    pub unreadable: Vec<(Vec<u8>, String)>,
}

pub struct Skip {
    pub path: Vec<u8>,
    pub is_dir: bool,
    /// The rule and where it came from, or the exclusion.
    pub why: String,
}

/// Walks `root` as [`take`](super::take) would, reading no file.
pub fn dry_run(root: &Path, opts: &SnapshotOptions) -> Result<DryRun, SnapshotError> {
    check_root(root)?;
    let rules = Rules::load(root);
    let walk = walk::walk(root, &rules, &canonical(&opts.exclude), &Progress::new(opts.progress));
    let mut report = DryRun {
        root: root.to_path_buf(),
        cap_bytes: opts.cap_bytes,
        ignore_sources: rules.sources,
        files: 0,
        dirs: 0,
        symlinks: 0,
        other: 0,
        bytes_to_read: 0,
        capped: Vec::new(),
        skipped: Vec::new(),
        unreadable: walk.unreadable,
    };
    if let Some(reason) = rules.unreadable {
        report.unreadable.push((IGNORE_FILE.as_bytes().to_vec(), reason));
    }
    for found in walk.found {
        let file_type = found.meta.file_type();
        if file_type.is_file() {
            report.files += 1;
            if found.meta.len() > opts.cap_bytes {
                report.capped.push((found.rel, found.meta.len()));
            } else {
                report.bytes_to_read += found.meta.len();
            }
        } else if file_type.is_dir() {
            report.dirs += 1;
        } else if file_type.is_symlink() {
            report.symlinks += 1;
        } else {
            report.other += 1;
        }
    }
    report.skipped = walk
        .skipped
        .into_iter()
        .map(|s| {
            let why = match s.rule {
                Some(rule) => format!("rule `{}` ({})", rule.pattern, rule.source),
                None => "excluded: runglass's own data".to_string(),
            };
            Skip { path: s.rel, is_dir: s.is_dir, why }
        })
        .collect();
    Ok(report)
}

impl DryRun {
    /// The report for people, several lines; paths are escaped.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let entries = self.files + self.dirs + self.symlinks + self.other;
        let capped_bytes: u64 = self.capped.iter().map(|(_, size)| size).sum();
        let root = escaped(self.root.as_os_str().as_bytes());
        let _ = writeln!(out, "Snapshot of {root} (dry run: nothing was read or stored)");
        let _ = writeln!(
            out,
            "  would record  {}: {}, {}, {}, {} other",
            count(entries, "entry", "entries"),
            count(self.files, "file", "files"),
            count(self.dirs, "directory", "directories"),
            count(self.symlinks, "symlink", "symlinks"),
            self.other
        );
        let _ = writeln!(
            out,
            "  would read    {} (files up to the cap of {}, {}={})",
            bytes(self.bytes_to_read),
            bytes(self.cap_bytes),
            super::CAP_ENV,
            self.cap_bytes
        );
        let _ = writeln!(out, "  ignore rules  {}", self.ignore_sources.join(", "));
        if !self.capped.is_empty() {
            let _ = writeln!(
                out,
                "  over the cap  {}, {}: compared by size and times only, not read or kept",
                count(self.capped.len() as u64, "file", "files"),
                bytes(capped_bytes)
            );
            let lines = self.capped.iter().map(|(path, size)| format!("{}  {}", escaped(path), bytes(*size)));
            list(&mut out, lines, self.capped.len());
        }
        if !self.skipped.is_empty() {
            let _ = writeln!(
                out,
                "  skipped       {} (a directory counts once, with all it holds):",
                count(self.skipped.len() as u64, "entry", "entries")
            );
            let lines = self.skipped.iter().map(|s| {
                let slash = if s.is_dir { "/" } else { "" };
                format!("{}{slash}  {}", escaped(&s.path), s.why)
            });
            list(&mut out, lines, self.skipped.len());
        }
        if !self.unreadable.is_empty() {
            let _ = writeln!(out, "  unreadable    {}:", self.unreadable.len());
            let lines = self.unreadable.iter().map(|(path, why)| format!("{}  {why}", escaped(path)));
            list(&mut out, lines, self.unreadable.len());
        }
        out
    }
}

/// Up to [`LIST_MAX`] indented lines, then how many more there are.
fn list(out: &mut String, lines: impl Iterator<Item = String>, total: usize) {
    for line in lines.take(LIST_MAX) {
        let _ = writeln!(out, "      {line}");
    }
    if total > LIST_MAX {
        let _ = writeln!(out, "      ... and {} more", total - LIST_MAX);
    }
}

/// `1 file`, `2 files`.
fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn escaped(path: &[u8]) -> String {
    ByteString::from(path).escaped()
}

/// `512 B`, `1.5 KiB`, `12.0 MiB`, `1.0 GiB`.
fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}
