//! Docker: containers, images, volumes and networks the command added, removed or
//! changed in the engine, with every-interface published ports standing out. Names, tags
//! and paths come from the engine: control characters are escaped, then maud escapes HTML.

use maud::{Markup, html};
use runglass_model::receipt::{ContainerState, Docker, Receipt};

use super::parts::{frame, table};
use crate::docker_lines::engine_text as e;

pub(super) fn section(r: &Receipt) -> Markup {
    let body = match &r.docker {
        None => html! { p.quiet { "Not observed: this receipt did not look at Docker." } },
        Some(Docker { unavailable: Some(reason), host, .. }) => {
            html! { p.quiet { "Not observed: " (e(reason)) " (" code { (e(host)) } ")." } }
        }
        Some(d) if d.change_count() == 0 => {
            html! { p.quiet { "No Docker changes in the engine at " code { (e(&d.host)) } "." } }
        }
        Some(d) => changes(d),
    };
    let figure = r.docker.as_ref().filter(|d| d.unavailable.is_none()).map(|d| d.change_count().to_string());
    frame("docker", "Docker", figure, body)
}

fn changes(d: &Docker) -> Markup {
    html! {
        @if !d.containers.is_empty() {
            h3 { "Containers " span.figure { (d.containers.len()) } }
            (table(&[("Change", false), ("Name", false), ("Image", false), ("Before", false), ("After", false)], html! {
                @for c in &d.containers {
                    tr {
                        td { (c.change.as_str()) }
                        td { code { (e(&c.name)) } br; span.muted { (c.id.get(..12).unwrap_or(&c.id)) } }
                        td { code { (e(&c.image)) } }
                        td { (state(c.before.as_ref())) }
                        td { (state(c.after.as_ref())) }
                    }
                }
            }))
        }
        @if !d.images.is_empty() {
            h3 { "Images " span.figure { (d.images.len()) } }
            ul.paths {
                @for i in &d.images {
                    li {
                        (i.change.as_str()) " " code { (e(&i.id)) }
                        @if !i.tags.is_empty() { " " (e(&i.tags.join(", "))) }
                        @if !i.tags_before.is_empty() { " " span.muted { "(was " (e(&i.tags_before.join(", "))) ")" } }
                        @if !i.digests.is_empty() { br; span.muted { (e(&i.digests.join(", "))) } }
                    }
                }
            }
        }
        @for (title, list) in [("Volumes", &d.volumes), ("Networks", &d.networks)] {
            @if !list.is_empty() {
                h3 { (title) " " span.figure { (list.len()) } }
                ul.paths {
                    @for o in list { li { (o.change.as_str()) " " code { (e(&o.name)) } " " span.muted { (e(&o.driver)) } } }
                }
            }
        }
    }
}

/// A container's state, ports (every-interface ones marked) and mounts.
fn state(s: Option<&ContainerState>) -> Markup {
    let Some(s) = s else { return html! { span.muted { "—" } } };
    html! {
        (e(&s.state))
        @for p in &s.ports {
            br;
            span class=[p.wildcard.then_some("wildcard")] {
                (e(&p.host_ip)) ":" (p.host_port) " → " (p.container_port) "/" (e(&p.protocol))
                @if p.wildcard { " (every interface)" }
            }
        }
        @for m in &s.mounts {
            br; span.muted { (e(&m.kind)) " " (e(&m.source)) " → " (e(&m.destination)) @if !m.read_write { " (ro)" } }
        }
    }
}
