//! The receipt's Docker changes as one plain line each, shared by the text formats
//! (terminal, markdown, AI summary). Every string from the engine goes through
//! [`ByteString::escaped`], so a hostile engine's names cannot carry control characters.

use runglass_model::ByteString;
use runglass_model::receipt::{ContainerState, Docker};

/// At most this many lines; the receipt has the rest.
pub const MAX_LINES: usize = 20;

/// A string from the engine, with control characters escaped.
pub fn engine_text(s: &str) -> String {
    ByteString(s.as_bytes().to_vec()).escaped()
}

/// One line per change: containers, images, volumes, networks, in that order.
pub fn lines(d: &Docker) -> Vec<String> {
    let e = engine_text;
    let mut out = Vec::new();
    for c in &d.containers {
        let state = match (&c.before, &c.after) {
            (Some(before), Some(after)) => format!("{} -> {}", state(before), state(after)),
            (None, Some(s)) | (Some(s), None) => state(s),
            (None, None) => String::new(),
        };
        out.push(format!("container {} {} (image {}): {state}", c.change.as_str(), e(&c.name), e(&c.image)));
    }
    for i in &d.images {
        let id = i.id.strip_prefix("sha256:").unwrap_or(&i.id);
        let mut line = format!("image {} {}", i.change.as_str(), e(id.get(..12).unwrap_or(id)));
        if !i.tags.is_empty() {
            line.push_str(&format!(" {}", e(&i.tags.join(", "))));
        }
        if !i.tags_before.is_empty() {
            line.push_str(&format!(" (was {})", e(&i.tags_before.join(", "))));
        }
        out.push(line);
    }
    for (kind, list) in [("volume", &d.volumes), ("network", &d.networks)] {
        for o in list {
            out.push(format!("{kind} {} {} (driver {})", o.change.as_str(), e(&o.name), e(&o.driver)));
        }
    }
    out
}

fn state(s: &ContainerState) -> String {
    let mut parts = vec![engine_text(&s.state)];
    for p in &s.ports {
        let every = if p.wildcard { " (every interface)" } else { "" };
        let ip = engine_text(&p.host_ip);
        parts.push(format!("port {ip}:{}->{}/{}{every}", p.host_port, p.container_port, engine_text(&p.protocol)));
    }
    for m in &s.mounts {
        let ro = if m.read_write { "" } else { " (ro)" };
        parts.push(format!("{} {}->{}{ro}", engine_text(&m.kind), engine_text(&m.source), engine_text(&m.destination)));
    }
    parts.join(", ")
}

/// The one line for an engine that was not read, or None when it was.
pub fn unavailable(d: &Docker) -> Option<String> {
    d.unavailable.as_ref().map(|why| format!("not observed: {} ({})", engine_text(why), engine_text(&d.host)))
}

#[cfg(test)]
mod tests {
    use runglass_model::receipt::{ContainerChange, DockerChange, PublishedPort};

    use super::*;

    #[test]
    fn control_characters_from_the_engine_are_escaped_and_wildcard_ports_named() {
        let after = ContainerState {
            state: "running".into(),
            ports: vec![PublishedPort {
                host_ip: "0.0.0.0".into(),
                host_port: 8080,
                container_port: 80,
                protocol: "tcp".into(),
                wildcard: true,
            }],
            mounts: Vec::new(),
        };
        let d = Docker {
            containers: vec![ContainerChange {
                change: DockerChange::Added,
                id: "abc".into(),
                name: "evil\x1b[2Jname".into(),
                image: "img:1".into(),
                before: None,
                after: Some(after),
            }],
            ..Docker::default()
        };
        let lines = lines(&d);
        assert!(!lines[0].contains('\x1b'), "{lines:?}");
        assert!(lines[0].contains("port 0.0.0.0:8080->80/tcp (every interface)"), "{lines:?}");
    }
}
