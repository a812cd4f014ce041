//! `runglass __man DIR` (hidden): write the man pages into DIR. This is how docs/man is
//! regenerated, and how a package can install pages matching its binary.

use anyhow::Context;

use crate::args::ManArgs;
use crate::commands::manual;

pub fn run(args: ManArgs) -> anyhow::Result<u8> {
    let dir = &args.dir;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", crate::escape::text(dir)))?;
    for page in manual::pages().context("rendering the man pages")? {
        let path = dir.join(&page.file_name);
        std::fs::write(&path, &page.roff).with_context(|| format!("writing {}", crate::escape::text(&path)))?;
    }
    Ok(0)
}
