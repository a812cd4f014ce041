//! `runglass delete`: remove one receipt directory (never one still running).

use crate::args::DeleteArgs;
use crate::store::{self, catalog, lock};

pub fn run(args: DeleteArgs) -> anyhow::Result<u8> {
    let data = store::data_dir()?;
    let dir = catalog::resolve(&data, &args.receipt)?;
    let id = store::receipt_id(&dir);
    if lock::in_progress(&dir) {
        anyhow::bail!("{} is still running; delete it after it ends", crate::escape::text(&id));
    }
    store::remove_receipt(&dir)?;
    println!("deleted {id}");
    store::collect_blobs(&data)?;
    Ok(0)
}
