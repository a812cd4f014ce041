//! The network: peers the command reached (by name where the tree looked it up), the
//! names it looked up, ports it listened on (every-interface listeners stand out), and
//! unix sockets it used, each with the process responsible.

use maud::{Markup, html};
use runglass_model::receipt::{Aspect, LookupStatus, NameSource, PeerResult, Receipt, UnixRole};

use crate::text::lookup_answer;

use super::observation::{source_name, unseen_note};
use super::parts::{actor, frame, path, table};

pub(super) fn section(r: &Receipt) -> Markup {
    let n = &r.network;
    let body = html! {
        @if n.outbound.is_empty() && n.listening.is_empty() && n.unix.is_empty() && n.lookups.is_empty() && n.probes.is_empty() {
            @match unseen_note(r, Aspect::Network) {
                Some(note) => (note),
                None => p.quiet { "No network activity was seen." },
            }
        }
        @if !n.outbound.is_empty() {
            h3 { "Outbound " span.figure { (n.outbound.len()) } }
            (table(&[("Protocol", false), ("Host", false), ("Port", true), ("Result", false), ("Count", true), ("When", false), ("By", false)], html! {
                @for p in &n.outbound {
                    tr {
                        td { (p.protocol.as_str()) }
                        td.addr {
                            @if let Some(host) = &p.host {
                                (host) " " code.muted { (p.address) }
                                @if p.host_from == Some(NameSource::Hosts) {
                                    " " span.muted title="The hosts file lists this address under this name" { "hosts file" }
                                }
                            }
                            @else { code { (p.address) } }
                        }
                        td.num { (p.port) }
                        td { (result(&p.result)) }
                        td.num { (p.count) }
                        td.when {
                            (p.first_ms) @if p.last_ms != p.first_ms { "–" (p.last_ms) } " ms"
                            br; span.muted { (source_name(p.seen_by)) }
                        }
                        td { (actor(p.pid, r.command_of(p.process, p.exec))) }
                    }
                }
            }))
        }
        @if !n.lookups.is_empty() {
            h3 { "DNS lookups " span.figure { (n.lookups.len()) } }
            (table(&[("Name", false), ("Answer", false), ("Server", false), ("Count", true), ("When", false), ("By", false)], html! {
                @for l in &n.lookups {
                    tr {
                        td.addr { (l.name) }
                        td {
                            @match l.status {
                                LookupStatus::Answered if !l.addresses.is_empty() => {
                                    @for (i, a) in l.addresses.iter().enumerate() {
                                        @if i > 0 { " " }
                                        code { (a) }
                                    }
                                }
                                LookupStatus::NoSuchName | LookupStatus::Failed { .. } => {
                                    span.end.bad { (lookup_answer(l)) }
                                }
                                _ => span.muted { (lookup_answer(l)) },
                            }
                        }
                        td { code { (l.server) } }
                        td.num { (l.count) }
                        td.when { "at " (l.first_ms) " ms" }
                        td { (actor(l.pid, r.command_of(l.process, l.exec))) }
                    }
                }
            }))
        }
        @if !n.listening.is_empty() {
            h3 { "Listening " span.figure { (n.listening.len()) } }
            (table(&[("Protocol", false), ("Address", false), ("Port", true), ("When", false), ("By", false)], html! {
                @for l in &n.listening {
                    tr class=[l.wildcard.then_some("wildcard")] {
                        td { (l.protocol.as_str()) }
                        td.addr {
                            code { (l.address) }
                            @if l.wildcard { " " span.badge.risk-medium { "every interface" } }
                        }
                        td.num { (l.port) }
                        td.when { "at " (l.at_ms) " ms" }
                        td { (actor(l.pid, r.command_of(l.process, l.exec))) }
                    }
                }
            }))
        }
        @if !n.unix.is_empty() {
            h3 { "Unix sockets " span.figure { (n.unix.len()) } }
            (table(&[("Path", false), ("Role", false), ("Count", true), ("By", false)], html! {
                @for u in &n.unix {
                    tr {
                        td { (path(&u.path)) }
                        td {
                            (match u.role {
                                UnixRole::Connected => "connected",
                                UnixRole::Bound => "bound",
                                UnixRole::Listening => "listening",
                            })
                        }
                        td.num { (u.count) }
                        td { (actor(u.pid, r.command_of(u.process, u.exec))) }
                    }
                }
            }))
        }
        @if !n.probes.is_empty() {
            details.noise {
                summary {
                    h3 { "Address probes " span.figure { (n.probes.len()) } } " "
                    span.muted { "UDP sockets connected to an address with no datagram seen going there: how resolvers rank addresses. \
                     Not counted as peers (a send(2) or write(2) on such a socket is not seen)." }
                }
                (table(&[("Address", false), ("Port", true), ("Count", true), ("When", false), ("By", false)], html! {
                    @for p in &n.probes {
                        tr {
                            td.addr { code { (p.address) } }
                            td.num { (p.port) }
                            td.num { (p.count) }
                            td.when { "at " (p.first_ms) " ms" }
                            td { (actor(p.pid, r.command_of(p.process, p.exec))) }
                        }
                    }
                }))
            }
        }
    };
    frame("network", "Network", None, body)
}

fn result(result: &PeerResult) -> Markup {
    let tone = match result {
        PeerResult::Connected | PeerResult::Sent => "ok",
        PeerResult::InProgress | PeerResult::Pending | PeerResult::Open => "muted",
        PeerResult::Refused | PeerResult::TimedOut | PeerResult::Unreachable { .. } | PeerResult::Failed { .. } => {
            "bad"
        }
    };
    let text = result.describe();
    html! { span class={ "end " (tone) } { (text) } }
}
