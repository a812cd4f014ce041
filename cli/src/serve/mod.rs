//! `runglass open`'s local server: receipts and their index over HTTP on 127.0.0.1,
//! safe on a shared machine.
//!
//! Every connection meets [`front`] first: it reads one request within bounds and
//! deadlines, refuses what is malformed, too large, slow or not allowed, and passes the
//! rest to tiny_http on a socket only this process can reach. Allowed means [`guard`]'s
//! checks: the Host header must name the loopback address and our port (so a DNS-rebinding
//! page cannot reach us under its own name), every path that reads a receipt or changes
//! anything starts with a random token only the URL we print carries, and POSTs must come
//! from our own origin. Responses carry a strict Content-Security-Policy. [`routes`] then
//! maps the path to a page; no route runs a command. A panic while answering is caught
//! and answered 500; the server goes on.

mod form;
mod front;
mod guard;
mod head;
mod headers;
mod revert;
mod routes;

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use runglass_model::ByteString;

/// Worker threads answering requests (a bundle download must not stall the index).
const WORKERS: usize = 4;

pub struct Server {
    front: front::Front,
    http: Arc<tiny_http::Server>,
    site: Arc<routes::Site>,
}

impl Server {
    /// Listens on 127.0.0.1:`port` (0: a free port) for the receipts under `data`.
    pub fn bind(data: PathBuf, port: u16) -> anyhow::Result<Server> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let listener = TcpListener::bind(addr)
            .with_context(|| format!("listening on {addr}; choose another --port or 0 for a free one"))?;
        let port = listener.local_addr().context("the server has no TCP address")?.port();
        let (inner, inner_file) = front::private_socket()?;
        let http = tiny_http::Server::from_listener(inner, None)
            .map_err(|e| anyhow::anyhow!("{e}"))
            .context("starting the request handlers")?;
        let guard = guard::Guard::new(port, guard::new_token()?);
        let front = front::Front::new(listener, guard.clone(), inner_file);
        let site = routes::Site::new(data, guard);
        Ok(Server { front, http: Arc::new(http), site: Arc::new(site) })
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
        for _ in 0..WORKERS {
            let (http, site) = (Arc::clone(&self.http), Arc::clone(&self.site));
            std::thread::spawn(move || {
                // A panic outside one request's answer (there is little else) starts the loop again.
                while catch_unwind(AssertUnwindSafe(|| work(&http, &|r| site.answer(r)))).is_err() {}
            });
        }
        self.front.run();
    }
}

/// Answers the requests the front door passes on, one at a time, for ever.
fn work(http: &tiny_http::Server, answer: &dyn Fn(tiny_http::Request)) {
    loop {
        let request = match http.recv() {
            Ok(request) => request,
            Err(e) => {
                log(&format!("receiving a request: {e} (going on)"));
                std::thread::sleep(std::time::Duration::from_millis(100));
                continue;
            }
        };
        let line = format!("{} {}", request.method(), request.url());
        // The request is dropped by the unwinding, and tiny_http then answers 500.
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| answer(request))) {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            log(&format!("answering {line}: internal error ({what}); the server goes on"));
        }
    }
}

/// One line on stderr for the user, with every control character escaped (requests,
/// receipt ids and errors may hold terminal escapes). Never fails: a closed terminal
/// must not stop the server.
fn log(line: &str) {
    let text = ByteString::from(line).printable().replace('\n', "\\n").replace('\t', "\\t");
    let _ = writeln!(std::io::stderr(), "runglass: {text}");
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::os::fd::AsRawFd;

    use super::*;

    #[test]
    fn a_panic_while_answering_is_answered_500_and_the_worker_goes_on() {
        let (listener, file) = front::private_socket().unwrap();
        let http = Arc::new(tiny_http::Server::from_listener(listener, None).unwrap());
        let worker = Arc::clone(&http);
        // One worker: if the panic ended it, the second request would get no answer.
        std::thread::spawn(move || {
            work(&worker, &|request| {
                assert!(request.url() != "/panic", "a handler's bug");
                let _ = request.respond(tiny_http::Response::from_string("fine"));
            })
        });
        let socket = format!("/proc/self/fd/{}", file.as_raw_fd());
        let ask = |path: &str| {
            let mut stream = std::os::unix::net::UnixStream::connect(&socket).unwrap();
            stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
            write!(stream, "GET {path} HTTP/1.1\r\nConnection: close\r\n\r\n").unwrap();
            let mut reply = String::new();
            stream.read_to_string(&mut reply).unwrap();
            reply
        };
        assert!(ask("/panic").starts_with("HTTP/1.1 500"));
        assert!(ask("/").starts_with("HTTP/1.1 200"));
        assert!(ask("/panic").starts_with("HTTP/1.1 500"));
        assert!(ask("/").ends_with("fine"));
    }
}
