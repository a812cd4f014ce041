//! Reading the Docker engine's state over its API: containers, images, volumes and
//! networks, reduced to what a receipt compares.
//!
//! bollard is async; one current-thread runtime lives for the length of one read, so the
//! rest of runglass stays synchronous. Every call has a short timeout: a missing or
//! hung engine must not delay the command by more than about a second.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context;
use bollard::Docker;
use bollard::query_parameters::{
    ListContainersOptions, ListImagesOptions, ListNetworksOptions, ListVolumesOptions,
};
use runglass_model::receipt::{ContainerState, DockerMount, PublishedPort};

/// Where the engine is when `DOCKER_HOST` is not set.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// How long the engine has to answer its first call; an absent one fails faster.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// How long each listing may take once the engine has answered.
const LIST_TIMEOUT: Duration = Duration::from_secs(5);

/// A container as the receipt compares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Container {
    pub name: String,
    pub image: String,
    pub state: ContainerState,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    pub tags: Vec<String>,
    pub digests: Vec<String>,
}

/// The engine's objects at one moment, each map keyed by what identifies the object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EngineState {
    /// By container id.
    pub containers: BTreeMap<String, Container>,
    /// By image id.
    pub images: BTreeMap<String, Image>,
    /// Volume name to driver.
    pub volumes: BTreeMap<String, String>,
    /// Network name to driver.
    pub networks: BTreeMap<String, String>,
}

/// The engine's address: `DOCKER_HOST`, else the default socket.
pub fn host() -> String {
    std::env::var("DOCKER_HOST").ok().filter(|h| !h.is_empty()).unwrap_or_else(|| DEFAULT_HOST.to_string())
}

/// Reads the engine at `host` (`unix://PATH`, `tcp://HOST:PORT` or `http://...`).
pub fn read(host: &str) -> anyhow::Result<EngineState> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime for the Docker API")?;
    runtime.block_on(read_async(host))
}

async fn read_async(host: &str) -> anyhow::Result<EngineState> {
    let client = connect(host)?;
    let client = within(CONNECT_TIMEOUT, "asking the engine its API version", client.negotiate_version()).await?;
    let containers = ListContainersOptions { all: true, ..Default::default() };
    let containers = within(LIST_TIMEOUT, "listing containers", client.list_containers(Some(containers))).await?;
    let images = ListImagesOptions { all: false, ..Default::default() };
    let images = within(LIST_TIMEOUT, "listing images", client.list_images(Some(images))).await?;
    let volumes = within(LIST_TIMEOUT, "listing volumes", client.list_volumes(None::<ListVolumesOptions>)).await?;
    let networks = within(LIST_TIMEOUT, "listing networks", client.list_networks(None::<ListNetworksOptions>)).await?;

    let mut state = EngineState::default();
    for c in containers {
        let Some(id) = c.id else { continue };
        let name = c.names.unwrap_or_default().first().map(|n| n.trim_start_matches('/').to_string()).unwrap_or_default();
        let mut ports: Vec<PublishedPort> = c.ports.unwrap_or_default().into_iter().filter_map(published).collect();
        ports.sort();
        ports.dedup();
        let mut mounts: Vec<DockerMount> = c.mounts.unwrap_or_default().into_iter().map(mount).collect();
        mounts.sort();
        let state_word = c.state.map(|s| s.to_string()).unwrap_or_default();
        let image = c.image.unwrap_or_default();
        state.containers.insert(id, Container { name, image, state: ContainerState { state: state_word, ports, mounts } });
    }
    for i in images {
        let tags = i.repo_tags.into_iter().filter(|t| t != "<none>:<none>").collect();
        let digests = i.repo_digests.into_iter().filter(|d| d != "<none>@<none>").collect();
        state.images.insert(i.id, Image { tags, digests });
    }
    for v in volumes.volumes.unwrap_or_default() {
        state.volumes.insert(v.name, v.driver);
    }
    for n in networks {
        if let Some(name) = n.name {
            state.networks.insert(name, n.driver.unwrap_or_default());
        }
    }
    Ok(state)
}

/// A client for `host`, whose own timeout backs up ours.
fn connect(host: &str) -> anyhow::Result<Docker> {
    let client = if host.starts_with("unix://") {
        Docker::connect_with_unix(host, LIST_TIMEOUT.as_secs(), bollard::API_DEFAULT_VERSION)
    } else if host.starts_with("tcp://") || host.starts_with("http://") {
        Docker::connect_with_http(host, LIST_TIMEOUT.as_secs(), bollard::API_DEFAULT_VERSION)
    } else {
        anyhow::bail!("DOCKER_HOST={host} is not a unix:// or tcp:// address")
    };
    // bollard's errors name the address already.
    Ok(client?)
}

async fn within<T, E: std::error::Error + Send + Sync + 'static>(
    limit: Duration,
    what: &str,
    call: impl Future<Output = Result<T, E>>,
) -> anyhow::Result<T> {
    match tokio::time::timeout(limit, call).await {
        Ok(result) => result.with_context(|| what.to_string()),
        Err(_) => anyhow::bail!("{what}: no answer within {} ms", limit.as_millis()),
    }
}

/// A port mapping published on the host; unpublished exposed ports are left out.
fn published(p: bollard::models::PortSummary) -> Option<PublishedPort> {
    let host_port = p.public_port?;
    let host_ip = p.ip.unwrap_or_default();
    Some(PublishedPort {
        wildcard: is_wildcard(&host_ip),
        host_ip,
        host_port,
        container_port: p.private_port,
        protocol: p.typ.map(|t| t.to_string()).unwrap_or_else(|| "tcp".into()),
    })
}

/// Every interface: the unspecified address of either family (an empty one too, which
/// older engines report for "all").
pub fn is_wildcard(ip: &str) -> bool {
    ip.is_empty() || ip.parse::<std::net::IpAddr>().is_ok_and(|a| a.is_unspecified())
}

fn mount(m: bollard::models::MountPoint) -> DockerMount {
    DockerMount {
        destination: m.destination.unwrap_or_default(),
        kind: m.typ.map(|t| t.to_string()).unwrap_or_default(),
        source: m.name.filter(|n| !n.is_empty()).or(m.source).unwrap_or_default(),
        read_write: m.rw.unwrap_or(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unspecified_addresses_are_wildcards() {
        for ip in ["0.0.0.0", "::", ""] {
            assert!(is_wildcard(ip), "{ip:?}");
        }
        for ip in ["127.0.0.1", "::1", "192.168.1.4", "not an address"] {
            assert!(!is_wildcard(ip), "{ip:?}");
        }
    }
}
