//! `runglass snapshot [--dry-run]`: what a snapshot of the current directory reads and
//! skips. Without --dry-run it is taken for real, as `run` would (warming the stat cache
//! and the blob store, so the next run's first snapshot is quick).

use std::io::IsTerminal;
use std::time::Instant;

use anyhow::Context;

use crate::args::SnapshotArgs;
use crate::store::blobs::BlobStore;
use crate::collect::snapshot::{self, SnapshotOptions, StatCache};
use crate::store;

pub fn run(args: SnapshotArgs) -> anyhow::Result<u8> {
    let cwd = std::env::current_dir()
        .and_then(|d| d.canonicalize())
        .context("the current directory cannot be read; cd to a directory that exists")?;
    let data = store::data_dir()?;
    let opts = SnapshotOptions {
        cap_bytes: snapshot::cap_from_env()?,
        exclude: vec![data.clone()],
        store_contents: !args.dry_run,
        progress: std::io::stderr().is_terminal(),
    };
    if args.dry_run {
        print!("{}", snapshot::dry_run(&cwd, &opts)?.render());
        return Ok(0);
    }
    let blobs = BlobStore::open(&data.join("blobs"))?;
    let mut cache = StatCache::load(&data, &cwd);
    let t = Instant::now();
    let manifest = snapshot::take(&cwd, &snapshot::Rules::load(&cwd), &opts, &blobs, &mut cache)?;
    cache.save()?;
    let s = &manifest.stats;
    println!("snapshot of {} in {} ms", cwd.display(), t.elapsed().as_millis());
    println!("  {} entries, {} bytes read and hashed, {} ignored", s.entries, s.bytes_hashed, s.ignored);
    println!("  {} file(s) over the {}-byte cap, {} unreadable", s.capped.len(), opts.cap_bytes, s.unreadable.len());
    println!("  ignore rules from: {}", s.ignore_sources.join(", "));
    Ok(0)
}
