//! `runglass report`: a receipt in the terminal, as JSON, or as the ai summary.

use std::io::Write;

use crate::args::ReportArgs;
use crate::record::recover;
use crate::store::{self, catalog};

pub fn run(args: ReportArgs) -> anyhow::Result<u8> {
    let data = store::data_dir()?;
    let dir = catalog::resolve(&data, &args.receipt)?;
    let receipt = recover::load_or_recover(&data, &dir)?;
    let text = if args.print_json {
        runglass_render::json::receipt(&receipt)
    } else if args.ai {
        runglass_render::ai::summary(&receipt)
    } else {
        runglass_render::terminal::report(&receipt)
    };
    let mut out = std::io::stdout().lock();
    // A closed pipe (`report | head`) is the reader's choice, not an error.
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(0),
    }
}
