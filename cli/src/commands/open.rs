//! `runglass open`: serve the receipts on 127.0.0.1 and open one (or the index) in the
//! browser.

use std::io::Write;

use crate::args::OpenArgs;
use crate::integrations::browser;
use crate::serve::Server;
use crate::store::{self, catalog};

pub fn run(args: OpenArgs) -> anyhow::Result<u8> {
    let data = store::data_dir()?;
    let id = match &args.receipt {
        Some(spec) => Some(store::receipt_id(&catalog::resolve(&data, spec)?)),
        None => None,
    };
    let server = Server::bind(data, args.port)?;
    let url = match &id {
        Some(id) => server.receipt_url(id),
        None => server.base_url(),
    };
    // The URL goes to stdout, alone on its line, for scripts; the rest is for people.
    let mut out = std::io::stdout().lock();
    writeln!(out, "{url}")?;
    out.flush()?;
    drop(out);
    eprintln!("runglass: serving receipts at {url} (the token in it is required; Ctrl-C to stop)");
    if !args.no_browser
        && let Err(e) = browser::open(&url)
    {
        eprintln!("runglass: {e}");
    }
    server.serve();
    Ok(0)
}
