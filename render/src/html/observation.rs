//! What this receipt saw and could not see: the coverage of each aspect, the stated
//! limits, the snapshot's own summary (capped, unreadable and ignored paths), and the
//! files that hold more than the receipt.

use maud::{Markup, html};
use runglass_model::receipt::{Aspect, Confidence, Receipt, Source};

use super::parts::{count, frame, path};
use crate::text::{duration, size};

/// Whether anything observed this aspect of the run. An aspect the receipt does not list
/// counts as observed: the section then shows what the receipt has.
pub(super) fn observed(r: &Receipt, aspect: Aspect) -> bool {
    r.observation.coverage.iter().find(|c| c.aspect == aspect).is_none_or(|c| c.confidence != Confidence::None)
}

/// For an empty section: why it is empty when nothing observed its aspect, so an
/// unobserved aspect never reads as "nothing happened".
pub(super) fn unseen_note(r: &Receipt, aspect: Aspect) -> Option<Markup> {
    let c = r.observation.coverage.iter().find(|c| c.aspect == aspect && c.confidence == Confidence::None)?;
    Some(html! { p.quiet { "Not observed. " (c.note) } })
}

pub(super) fn section(r: &Receipt) -> Markup {
    let s = &r.files.snapshot;
    let body = html! {
        div.table-scroll {
            table.coverage {
                thead { tr { th { "Aspect" } th { "Seen by" } th { "Completeness" } th { "How" } } }
                tbody {
                    @for c in &r.observation.coverage {
                        tr {
                            td { (aspect_name(c.aspect)) }
                            td { (c.source.map_or("nothing", source_name)) }
                            td { (confidence_badge(c.confidence)) }
                            td { (c.note) }
                        }
                    }
                    // Receipts from before runglass looked at Docker have no line for it.
                    @if !r.observation.coverage.iter().any(|c| c.aspect == Aspect::Docker) {
                        tr {
                            td { "docker" }
                            td { "nothing" }
                            td { (confidence_badge(Confidence::None)) }
                            td { "This receipt does not record Docker images, containers, volumes or networks." }
                        }
                    }
                }
            }
        }
        @if !r.observation.limits.is_empty() {
            h3 { "Limits" }
            ul.limits { @for l in &r.observation.limits { li { (l) } } }
        }
        h3 { "Snapshot of the working directory" }
        dl.meta {
            dt { "entries" } dd { (s.entries_before) " before, " (s.entries_after) " after" }
            dt { "read to hash" } dd { (size(s.bytes_hashed)) }
            dt { "took" } dd { (duration(s.before_ms)) " before, " (duration(s.after_ms)) " after" }
            dt { "per-file cap" } dd { (size(s.cap_bytes)) " (larger files are compared by size and times)" }
            dt { "ignored" } dd {
                (count(usize::try_from(s.ignored).unwrap_or(usize::MAX), "entry", "entries"))
                @if !s.ignore_sources.is_empty() { " · rules from " (s.ignore_sources.join(", ")) }
            }
        }
        @if !s.capped.is_empty() {
            h4 { "Over the cap " span.figure { (s.capped.len()) } }
            ul.paths { @for p in &s.capped { li { (path(p)) } } }
        }
        @if !s.unreadable.is_empty() {
            h4 { "Could not be read " span.figure { (s.unreadable.len()) } }
            ul.paths { @for u in &s.unreadable { li { (path(&u.path)) " " span.muted { (u.error) } } } }
        }
        h3 { "Files beside receipt.json" }
        ul.paths { @for f in r.artifact_files() { li { code { (f) } } } }
    };
    frame("coverage", "What this receipt saw and could not see", None, body)
}

fn aspect_name(aspect: Aspect) -> &'static str {
    match aspect {
        Aspect::Processes => "processes",
        Aspect::Files => "files in the cwd",
        Aspect::FilesOutside => "files outside the cwd",
        Aspect::Reads => "files read",
        Aspect::Network => "network",
        Aspect::Output => "output",
        Aspect::Docker => "docker",
    }
}

pub(super) fn source_name(source: Source) -> &'static str {
    match source {
        Source::Trace => "ptrace",
        Source::Polling => "polling /proc",
        Source::Snapshot => "snapshots",
        Source::Capture => "output capture",
    }
}

fn confidence_badge(confidence: Confidence) -> Markup {
    let (tone, text) = match confidence {
        Confidence::Complete => ("ok", "complete"),
        Confidence::Partial => ("warn", "partial"),
        Confidence::None => ("muted", "not observed"),
    };
    html! { span class={ "badge " (tone) } { (text) } }
}
