//! Docker: containers, images, volumes and networks the command added, removed or
//! changed in the engine, with every-interface published ports standing out. Names and
//! tags come from the engine and are escaped like everything else (maud does).

use maud::{Markup, html};
use runglass_model::receipt::{ContainerState, Docker, Receipt};

use super::parts::frame;

pub(super) fn section(r: &Receipt) -> Markup {
    let body = match &r.docker {
        None => html! { p.quiet { "Not observed: this receipt did not look at Docker." } },
        Some(Docker { unavailable: Some(reason), host, .. }) => {
            html! { p.quiet { "Not observed: " (reason) " (" code { (host) } ")." } }
        }
        Some(d) if d.change_count() == 0 => {
            html! { p.quiet { "No Docker changes in the engine at " code { (d.host) } "." } }
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
            div.table-scroll {
                table {
                    thead { tr { th { "Change" } th { "Name" } th { "Image" } th { "Before" } th { "After" } } }
                    tbody {
                        @for c in &d.containers {
                            tr {
                                td { (c.change.as_str()) }
                                td { code { (c.name) } br; span.muted { (c.id.get(..12).unwrap_or(&c.id)) } }
                                td { code { (c.image) } }
                                td { (state(c.before.as_ref())) }
                                td { (state(c.after.as_ref())) }
                            }
                        }
                    }
                }
            }
        }
        @if !d.images.is_empty() {
            h3 { "Images " span.figure { (d.images.len()) } }
            ul.paths {
                @for i in &d.images {
                    li {
                        (i.change.as_str()) " " code { (i.id) }
                        @if !i.tags.is_empty() { " " (i.tags.join(", ")) }
                        @if !i.tags_before.is_empty() { " " span.muted { "(was " (i.tags_before.join(", ")) ")" } }
                        @if !i.digests.is_empty() { br; span.muted { (i.digests.join(", ")) } }
                    }
                }
            }
        }
        @for (title, list) in [("Volumes", &d.volumes), ("Networks", &d.networks)] {
            @if !list.is_empty() {
                h3 { (title) " " span.figure { (list.len()) } }
                ul.paths {
                    @for o in list { li { (o.change.as_str()) " " code { (o.name) } " " span.muted { (o.driver) } } }
                }
            }
        }
    }
}

/// A container's state, ports (every-interface ones marked) and mounts.
fn state(s: Option<&ContainerState>) -> Markup {
    let Some(s) = s else { return html! { span.muted { "—" } } };
    html! {
        (s.state)
        @for p in &s.ports {
            br;
            span class=[p.wildcard.then_some("wildcard")] {
                (p.host_ip) ":" (p.host_port) " → " (p.container_port) "/" (p.protocol)
                @if p.wildcard { " (every interface)" }
            }
        }
        @for m in &s.mounts {
            br; span.muted { (m.kind) " " (m.source) " → " (m.destination) @if !m.read_write { " (ro)" } }
        }
    }
}
