//! The difference between two reads of the engine: what the receipt's `docker` section
//! lists.

use std::collections::BTreeMap;

use runglass_model::receipt::{ContainerChange, Docker, DockerChange, DockerObjectChange, ImageChange};

use super::state::EngineState;

pub fn compare(host: String, before: &EngineState, after: &EngineState) -> Docker {
    let mut containers: Vec<ContainerChange> = changes(&before.containers, &after.containers)
        .filter_map(|(id, change, old, new)| {
            let c = new.or(old)?;
            Some(ContainerChange {
                change,
                id: id.clone(),
                name: c.name.clone(),
                image: c.image.clone(),
                before: old.map(|c| c.state.clone()),
                after: new.map(|c| c.state.clone()),
            })
        })
        .collect();
    containers.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));

    let images = changes(&before.images, &after.images)
        .filter_map(|(id, change, old, new)| {
            let image = new.or(old)?;
            let tags_before = match change {
                DockerChange::Changed => old.map(|i| i.tags.clone()).unwrap_or_default(),
                _ => Vec::new(),
            };
            Some(ImageChange {
                change,
                id: id.clone(),
                tags: image.tags.clone(),
                tags_before,
                digests: image.digests.clone(),
            })
        })
        .collect();

    Docker {
        host,
        unavailable: None,
        containers,
        images,
        volumes: objects(&before.volumes, &after.volumes),
        networks: objects(&before.networks, &after.networks),
    }
}

/// Every key present on either side, with how it changed and both values; keys whose
/// values are equal are left out.
fn changes<'a, V: PartialEq>(
    before: &'a BTreeMap<String, V>,
    after: &'a BTreeMap<String, V>,
) -> impl Iterator<Item = (&'a String, DockerChange, Option<&'a V>, Option<&'a V>)> {
    let removed = before.iter().filter(|(k, _)| !after.contains_key(*k)).map(|(k, v)| (k, DockerChange::Removed, Some(v), None));
    let rest = after.iter().filter_map(|(k, new)| match before.get(k) {
        None => Some((k, DockerChange::Added, None, Some(new))),
        Some(old) if old != new => Some((k, DockerChange::Changed, Some(old), Some(new))),
        Some(_) => None,
    });
    removed.chain(rest)
}

/// Volumes and networks: added or removed by name (a driver that changed under the same
/// name means it was removed and made again).
fn objects(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> Vec<DockerObjectChange> {
    let mut out = Vec::new();
    for (name, change, old, new) in changes(before, after) {
        let mut push = |change, driver: Option<&String>| {
            out.push(DockerObjectChange { change, name: name.clone(), driver: driver.cloned().unwrap_or_default() });
        };
        match change {
            DockerChange::Changed => {
                push(DockerChange::Removed, old);
                push(DockerChange::Added, new);
            }
            _ => push(change, new.or(old)),
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.change.cmp(&b.change)));
    out
}

#[cfg(test)]
mod tests {
    use runglass_model::receipt::ContainerState;

    use super::super::state::{Container, Image};
    use super::*;

    fn container(name: &str, state: &str) -> Container {
        Container {
            name: name.into(),
            image: "img:1".into(),
            state: ContainerState { state: state.into(), ports: Vec::new(), mounts: Vec::new() },
        }
    }

    #[test]
    fn added_removed_and_changed_containers_are_listed_and_unchanged_ones_are_not() {
        let mut before = EngineState::default();
        before.containers.insert("a".into(), container("keep", "running"));
        before.containers.insert("b".into(), container("gone", "exited"));
        before.containers.insert("c".into(), container("stopped", "running"));
        let mut after = before.clone();
        after.containers.remove("b");
        after.containers.insert("c".into(), container("stopped", "exited"));
        after.containers.insert("d".into(), container("new", "created"));
        let docker = compare("unix:///s".into(), &before, &after);
        let got: Vec<(&str, DockerChange)> = docker.containers.iter().map(|c| (c.name.as_str(), c.change)).collect();
        assert_eq!(got, [("gone", DockerChange::Removed), ("new", DockerChange::Added), ("stopped", DockerChange::Changed)]);
        let stopped = &docker.containers[2];
        assert_eq!(stopped.before.as_ref().map(|s| s.state.as_str()), Some("running"));
        assert_eq!(stopped.after.as_ref().map(|s| s.state.as_str()), Some("exited"));
    }

    #[test]
    fn images_volumes_and_networks_are_added_or_removed_and_a_retagged_image_changed() {
        let mut before = EngineState::default();
        before.images.insert("sha256:1".into(), Image { tags: vec!["x:1".into()], digests: Vec::new() });
        before.volumes.insert("old".into(), "local".into());
        before.networks.insert("net".into(), "bridge".into());
        let mut after = EngineState::default();
        after.images.insert("sha256:1".into(), Image { tags: vec!["x:1".into(), "x:2".into()], digests: Vec::new() });
        after.images.insert("sha256:2".into(), Image { tags: vec!["y:1".into()], digests: Vec::new() });
        after.volumes.insert("new".into(), "local".into());
        after.networks.insert("net".into(), "null".into());
        let docker = compare("unix:///s".into(), &before, &after);
        let images: Vec<(&str, DockerChange)> = docker.images.iter().map(|i| (i.id.as_str(), i.change)).collect();
        assert_eq!(images, [("sha256:1", DockerChange::Changed), ("sha256:2", DockerChange::Added)]);
        assert_eq!((docker.images[0].tags_before.len(), docker.images[0].tags.len()), (1, 2));
        let volumes: Vec<(&str, DockerChange)> = docker.volumes.iter().map(|v| (v.name.as_str(), v.change)).collect();
        assert_eq!(volumes, [("new", DockerChange::Added), ("old", DockerChange::Removed)]);
        let networks: Vec<(&str, &str)> = docker.networks.iter().map(|n| (n.change.as_str(), n.driver.as_str())).collect();
        assert_eq!(networks, [("added", "null"), ("removed", "bridge")]);
    }
}
