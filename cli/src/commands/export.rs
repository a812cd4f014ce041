//! `runglass export`: a receipt written out in the formats asked for.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use anyhow::Context;

use crate::args::ExportArgs;
use crate::store::blobs::BlobStore;
use crate::formats::{Format, Source};
use crate::record::recover;
use crate::store::{self, catalog};

pub fn run(args: ExportArgs) -> anyhow::Result<u8> {
    let formats = selected(&args);
    let data = store::data_dir()?;
    let dir = catalog::resolve(&data, &args.receipt)?;
    let receipt = recover::load_or_recover(&data, &dir)?;
    // Its id names the files written, its artifact names the files read.
    store::receipt_files::ensure_confined(&receipt)?;
    let blobs = BlobStore::open(&data.join("blobs"))?;
    let out_dir = args.output.unwrap_or_else(|| PathBuf::from(format!("runglass-receipt-{}", receipt.id)));
    std::fs::create_dir_all(&out_dir)
        .with_context(|| format!("creating {}; choose another --output", crate::escape::text(&out_dir)))?;
    let source = Source { receipt: &receipt, dir: &dir, blobs: &blobs };
    for format in formats {
        let path = source.write_file(format, &out_dir)?;
        // Exports are made to be shared (CI artifacts, attachments), unlike the store's
        // private files, which the temporary file's 0600 suits.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))
            .with_context(|| format!("making {} readable", crate::escape::text(&path)))?;
        println!("{}", path.display());
    }
    Ok(0)
}

/// The formats the flags name, in a fixed order without repeats; all but the bundle
/// when none is named.
fn selected(args: &ExportArgs) -> Vec<Format> {
    let flags = [
        (args.html, Format::Html),
        (args.markdown, Format::Markdown),
        (args.json, Format::Json),
        (args.reverse_patch, Format::ReversePatch),
        (args.bundle, Format::Bundle),
    ];
    let mut wanted: Vec<Format> = flags.iter().filter(|(on, _)| *on).map(|(_, f)| *f).collect();
    wanted.extend(&args.format);
    if wanted.is_empty() {
        return Format::FILES.to_vec();
    }
    Format::ordered(&wanted)
}
