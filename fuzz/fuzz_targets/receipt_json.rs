//! `receipt.json` as the store loads it (`runglass_model::receipt_json::parse`): any bytes
//! must parse or be refused without panicking. A receipt that parses is as untrusted as the
//! file it came from (anyone can hand `runglass report` or `open` a receipt), so every
//! format rendered from it must come out without a panic too, and its JSON export must
//! read back as the same receipt.

#![no_main]

use libfuzzer_sys::fuzz_target;
use runglass_model::receipt::Diff;
use runglass_model::receipt_json;
use runglass_render::bundle::{self, Rendered};
use runglass_render::html::{self, IndexEntry};
use runglass_render::{ai, json, markdown, process_tree, reverse_patch, summary_md, terminal};

fuzz_target!(|data: &[u8]| {
    let Ok(r) = receipt_json::parse(data) else {
        return;
    };

    let exported = json::receipt(&r);
    match receipt_json::parse(exported.as_bytes()) {
        Ok(again) => assert_eq!(again, r, "the JSON export reads back as another receipt"),
        Err(e) => panic!("the JSON export does not read back: {e}: {exported}"),
    }

    let page = html::page(&r);
    let _ = html::served_page(&r);
    let _ = html::index(&[IndexEntry::of(&r)], true);
    let md = markdown::receipt(&r);
    let summary = summary_md::summary(&r);
    let ai = ai::summary(&r);
    let _ = terminal::report(&r);
    let _ = process_tree::text_lines(&r.processes, 20, 80);
    // Without the blob store (no full diffs), and with the receipt's own diffs standing in
    // for full ones, so that the path for cut-short diffs runs on untrusted text too.
    let patch = reverse_patch::reverse_patch(&r, &|_| None);
    let _ = reverse_patch::reverse_patch(&r, &|c| match &c.diff {
        Diff::Text { unified, .. } => Some(unified.clone()),
        _ => None,
    });
    let rendered = Rendered {
        html: &page,
        markdown: &md,
        summary_md: &summary,
        ai: &ai,
        json: &exported,
        reverse_patch: &patch,
    };
    // A hostile id is refused with an error, never a panic or a path outside the archive.
    let _ = bundle::write_bundle(&r, &rendered, &[], std::io::sink());
});
