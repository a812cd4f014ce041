//! GitHub Actions' job summary: the Markdown file named by $GITHUB_STEP_SUMMARY, which the
//! run's page shows. Each step appends to it.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

/// Appends `markdown` (and a line naming the artifact directory) to the summary file.
pub fn append(file: &Path, markdown: &str, artifacts: &Path) -> anyhow::Result<()> {
    let mut out = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(file)
        .with_context(|| format!("opening the job summary {} (GITHUB_STEP_SUMMARY)", file.display()))?;
    let text = format!("{markdown}\n<sub>Every format of this receipt: `{}`</sub>\n\n", artifacts.display());
    out.write_all(text.as_bytes()).with_context(|| format!("appending to the job summary {}", file.display()))
}
