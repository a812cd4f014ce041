//! The server's pages, by path (after the token): the index, each receipt's page and
//! files, reverting its changes and deleting it (POSTs, each with a confirmation step).
//!
//! ```text
//! /                       the index of all receipts
//! /r/ID/                  the receipt's page (the same bytes `export --html` writes)
//! /r/ID/receipt.md ...    every format `export` writes, by its file name
//! /r/ID/stdout ...        the captured output streams, as text
//! /r/ID/revert            POST: a preview; ?confirm=1 asks; ?apply=1 reverts (see `revert`)
//! /r/ID/delete            POST: a confirmation page; POST ?confirmed=1: delete
//! ```

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context;
use runglass_model::Receipt;
use runglass_render::html::{self, IndexEntry};
use tiny_http::{Method, Request, ResponseBox};

use super::form;
use super::guard::{Guard, Verdict};
use super::headers::{HTML, TEXT, attachment, page, redirect, respond};
use super::revert;
use crate::store::blobs::BlobStore;
use crate::formats::{Format, Source};
use crate::record::recover;
use crate::store::receipt_files::{self, ReceiptDir};
use crate::store::{self, lock};

pub struct Site {
    data: PathBuf,
    guard: Guard,
}

impl Site {
    pub fn new(data: PathBuf, guard: Guard) -> Site {
        Site { data, guard }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/{}/", self.guard.port(), self.guard.token())
    }

    /// Checks and answers one request; failures to send are the client's business.
    pub fn answer(&self, mut request: Request) {
        let url = request.url().to_string();
        let method = request.method().clone();
        let verdict = self.guard.check(&method, &url, |name| header(&request, name));
        let response = match verdict {
            Verdict::Pass(path) => {
                let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
                self.route(&method, path, query, &mut request).unwrap_or_else(|e| {
                    super::log(&format!("{method} {path}: {e:#}"));
                    page(500, "Something went wrong", &format!("{e:#}"))
                })
            }
            // The front door refuses these before they get here; checked again all the same.
            verdict => {
                super::log(&format!("refused {method} request: {}", reason(&verdict)));
                refused(&verdict)
            }
        };
        let _ = request.respond(response);
    }

    fn route(&self, method: &Method, path: &str, query: &str, request: &mut Request) -> anyhow::Result<ResponseBox> {
        let post = *method == Method::Post;
        if path.is_empty() {
            return Ok(redirect(308, &format!("{}/", self.guard.token())));
        }
        if path == "/" && !post {
            return self.index();
        }
        let Some(rest) = path.strip_prefix("/r/") else { return Ok(not_found()) };
        let (id, file) = rest.split_once('/').unwrap_or((rest, ""));
        let Some(dir) = self.receipt_dir(id) else { return Ok(not_found()) };
        if !rest.contains('/') {
            return Ok(redirect(308, &format!("{id}/")));
        }
        match (post, file) {
            (true, "delete") => {
                // Drain the form body; its fields are not needed (the URL says it all).
                let _ = std::io::copy(&mut request.as_reader().take(64 * 1024), &mut std::io::sink());
                self.delete(id, &dir, query.split('&').any(|kv| kv == "confirmed=1"))
            }
            (true, "revert") => {
                let content_type = header(request, "Content-Type");
                match form::read(request.as_reader(), content_type.as_deref()) {
                    Ok(form) => revert::answer(&self.data, id, &dir, query, form),
                    Err(bad) => Ok(respond(bad.status(), TEXT, format!("{bad}\n").into_bytes())),
                }
            }
            (true, _) => Ok(respond(405, TEXT, b"only GET here\n".to_vec())),
            (false, "revert" | "delete") => Ok(respond(405, TEXT, b"only POST here\n".to_vec())),
            (false, file) => self.receipt_file(id, &dir, file),
        }
    }

    fn index(&self) -> anyhow::Result<ResponseBox> {
        let all = recover::load_all(&self.data)?;
        let entries: Vec<IndexEntry> = all.receipts.iter().map(IndexEntry::of).collect();
        Ok(respond(200, HTML, html::index(&entries, true).into_bytes()))
    }

    /// `file` inside a receipt: empty for its page (export's, with buttons to revert), a
    /// format's file name, or an output stream.
    fn receipt_file(&self, id: &str, dir: &Path, file: &str) -> anyhow::Result<ResponseBox> {
        if lock::in_progress(dir) {
            return Ok(page(409, "Still running", &format!("{id} is still running; its receipt is written when it ends.")));
        }
        let receipt = recover::load_or_recover(&self.data, dir)?;
        if file.is_empty() {
            return Ok(respond(200, HTML, html::served_page(&receipt).into_bytes()));
        }
        let blobs = BlobStore::open(&self.data.join("blobs"))?;
        let source = Source { receipt: &receipt, dir, blobs: &blobs };
        match Format::from_file_name(file, id) {
            Some(Format::Bundle) => {
                let mut tmp = tempfile::tempfile().context("creating a temporary file for the bundle")?;
                source.write_bundle(std::io::BufWriter::new(&mut tmp))?;
                std::io::Seek::rewind(&mut tmp).context("rewinding the bundle")?;
                Ok(attachment(tmp, Format::Bundle.content_type(), &Format::Bundle.file_name(id)))
            }
            Some(format) => Ok(respond(200, format.content_type(), source.text(format).into_bytes())),
            None => match output_stream(&receipt, file) {
                Some(name) => {
                    receipt_files::ensure_confined(&receipt)?;
                    Ok(respond(200, TEXT, ReceiptDir::open(dir)?.read(name)?))
                }
                None => Ok(not_found()),
            },
        }
    }

    fn delete(&self, id: &str, dir: &Path, confirmed: bool) -> anyhow::Result<ResponseBox> {
        if !confirmed {
            let message = format!("Delete receipt {id} and its captured output? This cannot be undone.");
            let body = html::message_page("Delete this receipt?", &message, Some(("delete?confirmed=1", "Delete")), Some("../../"));
            return Ok(respond(200, HTML, body.into_bytes()));
        }
        if lock::in_progress(dir) {
            return Ok(page(409, "Still running", &format!("{id} is still running; delete it after it ends.")));
        }
        store::remove_receipt(dir)?;
        store::collect_blobs(&self.data)?;
        super::log(&format!("deleted {id} (from the browser)"));
        Ok(redirect(303, "../../"))
    }

    /// The directory of receipt `id`, when `id` is a plain name of one (runglass makes ids
    /// of URL-safe characters; anything else in a URL is not one of ours) and no symlink.
    fn receipt_dir(&self, id: &str) -> Option<PathBuf> {
        let plain = !id.is_empty() && !id.starts_with('.') && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        let dir = store::receipts_dir(&self.data).join(id);
        (plain && std::fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir())).then_some(dir)
    }
}

const NEEDS_TOKEN: &str = "Open the URL that `runglass open` printed: it carries the token this server \
    asks of every request, so that other users and web pages cannot read your receipts.";

/// The value of the request's header `name`.
fn header(request: &Request, name: &str) -> Option<String> {
    let found = request.headers().iter().find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name));
    found.map(|h| h.value.as_str().to_string())
}

/// The answer to a request the guard did not let through.
pub(super) fn refused(verdict: &Verdict) -> ResponseBox {
    match verdict {
        Verdict::NoToken => page(403, "This server needs its token", NEEDS_TOKEN),
        Verdict::BadMethod => respond(405, TEXT, b"only GET and POST\n".to_vec()),
        _ => respond(403, TEXT, format!("refused: {}\n", reason(verdict)).into_bytes()),
    }
}

pub(super) fn reason(v: &Verdict) -> &'static str {
    match v {
        Verdict::Pass(_) => "allowed",
        Verdict::ForeignHost => "the Host header is not this server's loopback address and port",
        Verdict::NoToken => "no valid token in the URL",
        Verdict::CrossOrigin => "a POST from another origin",
        Verdict::BadMethod => "a method other than GET or POST",
    }
}

fn not_found() -> ResponseBox {
    page(404, "Not found", "There is no such receipt or file here.")
}

/// The output file called `name`, when the receipt has such a stream.
fn output_stream<'r>(r: &'r Receipt, name: &str) -> Option<&'r str> {
    let o = &r.output;
    [&o.stdout, &o.stderr, &o.transcript].into_iter().flatten().map(|s| s.file.as_str()).find(|f| *f == name)
}

