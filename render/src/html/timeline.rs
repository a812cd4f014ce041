//! The timeline: what happened when, relative to the command's start, as a table that
//! scrolls within its own box so a long one does not bury the sections after it.

use maud::{Markup, html};
use runglass_model::receipt::{Receipt, TimelineKind};

use super::parts::{count, frame, pid_link};

pub(super) fn section(r: &Receipt) -> Markup {
    let t = &r.timeline;
    let body = html! {
        @if t.entries.is_empty() {
            p.quiet { "No entry." }
        } @else {
            div.table-scroll.tall {
                table {
                    thead { tr { th.num { "At" } th { "Kind" } th.num { "Pid" } th { "What" } } }
                    tbody {
                        @for e in &t.entries {
                            @let kind = kind_name(e.kind);
                            tr class={ "kind-" (kind) } {
                                td.num.when { (e.at_ms) " ms" }
                                td { span.tag { (kind) } }
                                td.num { @if let Some(pid) = e.pid { (pid_link(pid)) } }
                                td { (e.text) }
                            }
                        }
                    }
                }
            }
        }
        @if t.omitted > 0 {
            p.note {
                (t.omitted) " more entries were left out to keep the receipt bounded; the first and the last are kept."
            }
        }
    };
    frame("timeline", "Timeline", Some(count(t.entries.len(), "entry", "entries")), body)
}

fn kind_name(kind: TimelineKind) -> &'static str {
    match kind {
        TimelineKind::Phase => "phase",
        TimelineKind::Exec => "exec",
        TimelineKind::Exit => "exit",
        TimelineKind::File => "file",
        TimelineKind::Network => "network",
        TimelineKind::Signal => "signal",
    }
}
