//! The receipt as one self-contained HTML page (`runglass open`, `--html`), and the small
//! pages the receipts server shows around it.
//!
//! Every page carries its CSS inline and loads nothing: it works from `file://` and makes
//! no request. Markup is written with maud, whose `(expr)` splices escape `&<>"`; text
//! from the receipt is only ever spliced that way, never through `PreEscaped`, so a file
//! named `<script>…` stays text. The one inline script is optional (the page is complete
//! without it) and is the only script the Content-Security-Policy lets run, by its hash.

mod attribution;
mod diff;
mod docker;
mod files;
mod git;
mod index;
mod message;
mod network;
mod observation;
mod output;
mod parts;
mod processes;
mod revert;
mod summary;
mod timeline;

use base64::Engine;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use runglass_model::Receipt;
use sha2::{Digest, Sha256};

pub use index::{IndexEntry, index};
pub use message::message_page;
pub use revert::{
    RevertChoice, RevertHead, RevertRow, RevertStop, Tone, path_value, revert_confirm, revert_done, revert_preview,
};

const STYLE: &str = include_str!("style.css");
const SCRIPT: &str = include_str!("script.js");

/// The receipt as one HTML document: CSS inline, no external asset, no network; works from file://.
pub fn page(r: &Receipt) -> String {
    receipt_page(r, Served::No)
}

/// The receipt's page as `runglass open` serves it: [`page`] plus buttons that post to
/// the server to revert its changes (a page opened from disk has no server to post to).
pub fn served_page(r: &Receipt) -> String {
    receipt_page(r, Served::Yes)
}

/// Whether a page is served by `runglass open`, which can act on what it shows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Served {
    No,
    Yes,
}

fn receipt_page(r: &Receipt, served: Served) -> String {
    let changed = attribution::ChangedBy::new(&r.files);
    let body = html! {
        (summary::header(r))
        @if served == Served::Yes { (revert::all_form(r)) }
        (summary::counts(r))
        (summary::contents())
        main {
            (summary::risk(r))
            (files::section(r, served))
            (git::section(r))
            (processes::section(r, &changed))
            (network::section(r))
            (docker::section(r))
            (output::section(r))
            (timeline::section(r))
            (observation::section(r))
        }
        (summary::footer(r))
    };
    let forms = match served {
        Served::No => Forms::None,
        Served::Yes => Forms::SameOrigin,
    };
    document(&format!("{} · runglass", r.command.display), Some(SCRIPT), forms, body)
}

/// Where the page's forms may post: nowhere on a receipt, only back to the server on its
/// own pages.
enum Forms {
    None,
    SameOrigin,
}

/// The document around a page's body: head, policy, CSS, and the script if any. The CSS
/// and script go in unescaped, so they must be `'static`: this crate's own files.
fn document(title: &str, script: Option<&'static str>, forms: Forms, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta http-equiv="Content-Security-Policy" content=(policy(script, forms));
                meta name="referrer" content="same-origin";
                meta name="color-scheme" content="light dark";
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                (body)
                @if let Some(script) = script {
                    script { (PreEscaped(script)) }
                }
            }
        }
    }
    .into_string()
}

/// The policy a server sends in the header of any of these pages: nothing loads, the
/// receipt page's own script may run, and forms post back to the server only. (A page's
/// meta policy applies too; a browser enforces both.)
pub fn content_security_policy() -> String {
    policy(Some(SCRIPT), Forms::SameOrigin)
}

/// Nothing may load; inline CSS may apply; only `script`, by its SHA-256, may run.
fn policy(script: Option<&str>, forms: Forms) -> String {
    let script_src = script.map(|s| format!(" script-src 'sha256-{}';", script_hash(s))).unwrap_or_default();
    let form_action = match forms {
        Forms::None => "'none'",
        Forms::SameOrigin => "'self'",
    };
    format!(
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:;{script_src} form-action {form_action}; \
         base-uri 'none'"
    )
}

/// The CSP source hash of an inline script: base64 of the SHA-256 of its exact text.
fn script_hash(script: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(script.as_bytes()))
}
