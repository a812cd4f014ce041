//! The receipt bundle: one tar holding every rendered format of a receipt and the files
//! it refers to, to attach to an issue or archive.
//!
//! The archive is deterministic: entries in a fixed order, mode 0644, owner 0, and the
//! receipt's end time as every mtime, so the same receipt gives the same bytes.

use std::fs::File;
use std::io::{self, Read, Write};

use runglass_model::Receipt;

/// One file to put in the bundle's artifacts/ folder.
pub struct BundleFile {
    /// Relative path under artifacts/, '/'-separated.
    pub name: String,
    pub content: BundleContent,
}

pub enum BundleContent {
    Bytes(Vec<u8>),
    /// Opened and streamed when the bundle is written, rather than loaded. The caller
    /// opens it (and decides what may be opened); `label` names it in errors.
    File {
        label: String,
        open: Opener,
    },
}

/// How a bundled file is opened when its turn comes.
pub type Opener = Box<dyn Fn() -> io::Result<File>>;

impl BundleContent {
    /// A file the caller opens with `open` when the bundle is written.
    pub fn file(label: impl Into<String>, open: impl Fn() -> io::Result<File> + 'static) -> BundleContent {
        BundleContent::File { label: label.into(), open: Box::new(open) }
    }
}

/// The receipt's formats, rendered by the caller, so this module does not depend on them.
pub struct Rendered<'a> {
    pub html: &'a str,
    pub markdown: &'a str,
    pub summary_md: &'a str,
    pub ai: &'a str,
    pub json: &'a str,
    pub reverse_patch: &'a str,
}

/// Writes `runglass-receipt-<id>.tar` content to `out` with the tar crate: receipt.html, receipt.md,
/// summary.md, ai-summary.txt, receipt.json, reverse.patch (all given pre-rendered in `formats`, so this
/// module does not depend on the HTML one) and artifacts/<name> for each file. Entries under a top
/// directory `runglass-receipt-<id>/`, mode 0644, mtime = the receipt's end time (deterministic).
/// Names with `..`, absolute names or NUL are refused with an error naming the entry.
pub fn write_bundle(r: &Receipt, formats: &Rendered, files: &[BundleFile], out: impl Write) -> io::Result<()> {
    let top = format!("runglass-receipt-{}", r.id);
    check_name(&top, false)?;
    for f in files {
        check_name(&f.name, true)?;
    }
    let mtime = r.timing.ended_unix_ms / 1000;
    let mut tar = tar::Builder::new(out);
    let texts = [
        ("receipt.html", formats.html),
        ("receipt.md", formats.markdown),
        ("summary.md", formats.summary_md),
        ("ai-summary.txt", formats.ai),
        ("receipt.json", formats.json),
        ("reverse.patch", formats.reverse_patch),
    ];
    for (name, text) in texts {
        append(&mut tar, &format!("{top}/{name}"), mtime, text.len() as u64, text.as_bytes())?;
    }
    for f in files {
        let path = format!("{top}/artifacts/{}", f.name);
        match &f.content {
            BundleContent::Bytes(bytes) => append(&mut tar, &path, mtime, bytes.len() as u64, bytes.as_slice())?,
            BundleContent::File { label, open } => {
                let context = |e: io::Error| io::Error::new(e.kind(), format!("reading {label}: {e}"));
                let file = open().map_err(context)?;
                let len = file.metadata().map_err(context)?.len();
                let reader = Exact { inner: file.take(len), left: len, source: label };
                append(&mut tar, &path, mtime, len, reader)?;
            }
        }
    }
    tar.into_inner()?.flush()
}

fn append<W: Write>(tar: &mut tar::Builder<W>, path: &str, mtime: u64, len: u64, data: impl Read) -> io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_mode(0o644);
    header.set_mtime(mtime);
    header.set_uid(0);
    header.set_gid(0);
    header.set_size(len);
    tar.append_data(&mut header, path, data).map_err(|e| io::Error::new(e.kind(), format!("adding {path}: {e}")))
}

/// Refuses a name that could land outside its folder when extracted, or that is not a
/// plain relative file name (`a//b`, `./a`, `a/`).
fn check_name(name: &str, nested: bool) -> io::Result<()> {
    let refuse = |why: &str| Err(io::Error::new(io::ErrorKind::InvalidInput, format!("bundle entry {name:?}: {why}")));
    if name.contains('\0') {
        return refuse("NUL in the name");
    }
    if name.starts_with('/') {
        return refuse("absolute name");
    }
    if name.split('/').any(|part| part == "..") {
        return refuse("`..` in the name");
    }
    if name.split('/').any(|part| part.is_empty() || part == ".") {
        return refuse("empty or `.` part in the name");
    }
    if !nested && name.contains('/') {
        return refuse("`/` in the name");
    }
    Ok(())
}

/// A file's first `left` bytes, or an error if it shrank meanwhile: the tar header already
/// promised that many, and a short entry would corrupt every entry after it.
struct Exact<'a> {
    inner: io::Take<File>,
    left: u64,
    source: &'a str,
}

impl Read for Exact<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && self.left > 0 && !buf.is_empty() {
            let msg = format!("reading {}: it shrank by {} bytes while being bundled", self.source, self.left);
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, msg));
        }
        self.left -= n as u64;
        Ok(n)
    }
}
