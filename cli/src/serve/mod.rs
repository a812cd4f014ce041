//! `runglass open`'s local server: receipts and their index over HTTP on 127.0.0.1,
//! safe on a shared machine.
//!
//! Every request passes [`guard`] first: the Host header must name the loopback address
//! and our port (so a DNS-rebinding page cannot reach us under its own name), every path
//! that reads a receipt or changes anything starts with a random token only the URL we
//! print carries, and POSTs must come from our own origin. Responses carry a strict
//! Content-Security-Policy. [`routes`] then maps the path to a page; no route runs a
//! command.

mod form;
mod guard;
mod headers;
mod revert;
mod routes;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;

/// Worker threads answering requests (a bundle download must not stall the index).
const WORKERS: usize = 4;

pub struct Server {
    http: Arc<tiny_http::Server>,
    site: Arc<routes::Site>,
}

impl Server {
    /// Listens on 127.0.0.1:`port` (0: a free port) for the receipts under `data`.
    pub fn bind(data: PathBuf, port: u16) -> anyhow::Result<Server> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let http = tiny_http::Server::http(addr)
            .map_err(|e| anyhow::anyhow!("{e}"))
            .with_context(|| format!("listening on {addr}; choose another --port or 0 for a free one"))?;
        let port = http.server_addr().to_ip().map(|a| a.port()).context("the server has no TCP address")?;
        let token = guard::new_token()?;
        let site = routes::Site::new(data, guard::Guard::new(port, token));
        Ok(Server { http: Arc::new(http), site: Arc::new(site) })
    }

    /// The index's URL, token included.
    pub fn base_url(&self) -> String {
        self.site.base_url()
    }

    /// The URL of one receipt's page.
    pub fn receipt_url(&self, id: &str) -> String {
        format!("{}r/{id}/", self.base_url())
    }

    /// Answers requests until the process is stopped.
    pub fn serve(self) {
        let workers: Vec<_> = (0..WORKERS)
            .map(|_| {
                let (http, site) = (Arc::clone(&self.http), Arc::clone(&self.site));
                std::thread::spawn(move || {
                    for request in http.incoming_requests() {
                        site.answer(request);
                    }
                })
            })
            .collect();
        for w in workers {
            let _ = w.join();
        }
    }
}
