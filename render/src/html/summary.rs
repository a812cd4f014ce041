//! The top of the page, what a reader takes in at a glance: the command, its status,
//! duration, mode and risk, the counts of what changed, the risk notes; and the footer.

use std::collections::BTreeSet;

use maud::{Markup, html};
use runglass_model::receipt::{Aspect, ChangeKind, Receipt};

use super::observation::observed;
use super::parts::{frame, severity_badge, status_badge};
use crate::git_lines;
use crate::text::{ci_build, ci_run_url, duration, exit_text, shorten};

/// A risk note lists this many pieces of evidence; the receipt has the rest.
const MAX_EVIDENCE: usize = 20;

/// Longer commands are cut in the title and shown whole below it.
const TITLE_CHARS: usize = 160;

pub(super) fn header(r: &Receipt) -> Markup {
    html! {
        header.top {
            p.eyebrow { "runglass receipt " span.id { (r.id) } }
            @if r.command.display.chars().count() <= TITLE_CHARS {
                h1 { code { (r.command.display) } }
            } @else {
                // An agent's or installer's command can be a whole script: the title
                // keeps its start, and the whole command is one click away.
                h1 { code { (shorten(&r.command.display, TITLE_CHARS)) } }
                details.full-command {
                    summary { "Full command (" (r.command.display.chars().count()) " characters)" }
                    pre { (r.command.display) }
                }
            }
            div.badges {
                (status_badge(r.outcome.status))
                @if let Some(exit) = r.outcome.exit { span.badge.plain { (exit_text(exit)) } }
                span.badge.plain { (duration(r.timing.duration_ms)) }
                span.badge.plain { (r.mode.as_str()) " mode" }
                span.badge.plain.risk { "risk " (severity_badge(r.risk.level)) }
            }
            @if let Some(message) = &r.outcome.message { p.message { (message) } }
            dl.meta {
                dt { "cwd" } dd { code { (r.command.cwd.escaped()) } }
                dt { "started" } dd { (r.timing.started_at) span.muted { " · ended " (r.timing.ended_at) } }
                @if let Some(timeout) = r.outcome.timeout_ms { dt { "timeout" } dd { (duration(timeout)) } }
                @if let Some(g) = &r.git {
                    dt { "git" }
                    dd {
                        code { (git_lines::head_before(g)) }
                        @if let Some(after) = git_lines::head_after(g) {
                            " → " code { (after) }
                            @if let Some(how) = git_lines::head_move(g) { " " a href="#git" { "(" (how) ")" } }
                        }
                        span.muted {
                            " in " (g.root.escaped())
                            (if g.dirty_before { " · uncommitted changes before" } else { " · clean before" })
                            (if g.dirty_after { ", uncommitted changes after" } else { ", clean after" })
                        }
                    }
                }
                @if let Some(ci) = &r.ci {
                    dt { "ci" }
                    dd {
                        (ci_build(ci))
                        @if let Some(url) = ci_run_url(ci) { " · " a href=(url) rel="noreferrer" { "run" } }
                    }
                }
            }
        }
    }
}

/// One figure of the counts strip; `None` when the receipt did not observe it, which is
/// not the same as zero.
struct Count {
    label: &'static str,
    value: Option<usize>,
    href: &'static str,
}

pub(super) fn counts(r: &Receipt) -> Markup {
    let changes = |kind| Some(r.files.count_of(kind));
    let seen = |aspect, value: Option<usize>| value.filter(|_| observed(r, aspect));
    let hosts: BTreeSet<&str> = r.network.outbound.iter().map(|p| p.host.as_deref().unwrap_or(&p.address)).collect();
    let ports: BTreeSet<u16> = r.network.listening.iter().map(|l| l.port).collect();
    let mut figures = vec![
        Count { label: "created", value: seen(Aspect::Files, changes(ChangeKind::Created)), href: "#files" },
        Count { label: "modified", value: seen(Aspect::Files, changes(ChangeKind::Modified)), href: "#files" },
        Count { label: "deleted", value: seen(Aspect::Files, changes(ChangeKind::Deleted)), href: "#files" },
    ];
    if let Some(n @ 1..) = changes(ChangeKind::TypeChanged) {
        figures.push(Count { label: "changed type", value: Some(n), href: "#files" });
    }
    figures.extend([
        Count {
            label: "outside the cwd",
            value: seen(Aspect::FilesOutside, Some(r.files.counted_outside().count())),
            href: "#outside",
        },
        Count { label: "processes", value: seen(Aspect::Processes, Some(r.processes.len())), href: "#processes" },
        Count { label: "outbound hosts", value: seen(Aspect::Network, Some(hosts.len())), href: "#network" },
        Count { label: "listening ports", value: seen(Aspect::Network, Some(ports.len())), href: "#network" },
        // An engine that was not read shows as unseen, never as a zero.
        Count {
            label: "docker changes",
            value: r.docker.as_ref().filter(|d| d.unavailable.is_none()).map(|d| d.change_count()),
            href: "#docker",
        },
    ]);
    html! {
        ul.counts {
            @for f in &figures {
                li class=[f.value.is_none().then_some("unseen")] {
                    a href=(f.href) {
                        @match f.value {
                            Some(n) => strong { (n) },
                            None => strong.unseen { "not observed" },
                        }
                        span { (f.label) }
                    }
                }
            }
        }
    }
}

/// Links to the sections, for a long page.
pub(super) fn contents() -> Markup {
    const SECTIONS: [(&str, &str); 9] = [
        ("#risk", "Risk"),
        ("#files", "Files"),
        ("#git", "Git"),
        ("#processes", "Processes"),
        ("#network", "Network"),
        ("#docker", "Docker"),
        ("#output", "Output"),
        ("#timeline", "Timeline"),
        ("#coverage", "What was seen"),
    ];
    html! {
        nav.contents { @for (href, name) in SECTIONS { a href=(href) { (name) } } }
    }
}

pub(super) fn risk(r: &Receipt) -> Markup {
    let figure = (!r.risk.notes.is_empty()).then(|| r.risk.level.as_str().to_string());
    let body = html! {
        @if r.risk.notes.is_empty() {
            p.quiet { "No risk noted." }
        } @else {
            ol.notes {
                @for n in &r.risk.notes {
                    li class={ "note risk-" (n.severity.as_str()) } {
                        p.note-title { (severity_badge(n.severity)) " " strong { (n.title) } }
                        p { (n.detail) }
                        ul.evidence {
                            @for e in n.evidence.iter().take(MAX_EVIDENCE) { li { code { (e) } } }
                            @if n.evidence.len() > MAX_EVIDENCE {
                                li.muted { "… " (n.evidence.len() - MAX_EVIDENCE) " more in receipt.json" }
                            }
                        }
                        p.recommendation { (n.recommendation) }
                    }
                }
            }
        }
    };
    frame("risk", "Risk", figure, body)
}

pub(super) fn footer(r: &Receipt) -> Markup {
    html! {
        footer {
            "Receipt " code { (r.id) } " · format " (r.format_version) " · recorded by runglass "
            (r.runglass_version)
        }
    }
}
