//! `runglass prune --keep N`: delete all but the newest N receipts. Receipts that are
//! running or cannot be read are never deleted (they are skipped with a warning).

use crate::args::PruneArgs;
use crate::store::{self, catalog};

pub fn run(args: PruneArgs) -> anyhow::Result<u8> {
    let data = store::data_dir()?;
    let mut deletable = Vec::new();
    for listed in catalog::scan(&data)?.into_iter().rev() {
        match listed.slot {
            catalog::Slot::Done(_) | catalog::Slot::Unfinished => deletable.push(listed),
            catalog::Slot::Running => {}
            catalog::Slot::Broken(e) => catalog::warn_skipped(&listed.id, &e),
        }
    }
    let doomed = deletable.iter().skip(args.keep);
    let mut count = 0;
    for listed in doomed {
        count += 1;
        if args.dry_run {
            println!("would delete {}", listed.id);
        } else {
            store::remove_receipt(&listed.dir)?;
            println!("deleted {}", listed.id);
        }
    }
    let verb = if args.dry_run { "would delete" } else { "deleted" };
    eprintln!("runglass: {verb} {count} receipt(s), kept {}", deletable.len() - count);
    if !args.dry_run {
        let (files, bytes) = store::collect_blobs(&data)?;
        if files > 0 {
            eprintln!("runglass: freed {files} stored file content(s), {bytes} bytes");
        }
    }
    Ok(0)
}
