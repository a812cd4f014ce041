//! `runglass demo`: a realistic receipt made for real. A scratch project is set up in the
//! temp directory and a short install-like script runs in it under runglass (deep mode
//! when the engine works here, normal mode otherwise): it edits, creates, deletes and
//! renames files, makes a program executable, and opens a listening socket.

use std::ffi::OsString;
use std::path::Path;

use anyhow::Context;
use runglass_model::receipt::Mode;

use crate::record::session::{self, SessionOptions};
use crate::store;

const SCRIPT: &str = r#"set -e
echo "setting up the demo project"
printf '\nRun it with: sh bin/start.sh\n' >> README.md
printf '{"debug": false, "port": 8080}\n' > config.json
mkdir -p bin
printf '#!/bin/sh\necho started\n' > bin/start.sh
chmod +x bin/start.sh
rm old.log
mv notes.txt NOTES.md
if command -v python3 >/dev/null; then
  python3 -c 'import socket, time; s = socket.socket(); s.bind(("0.0.0.0", 0)); s.listen(); time.sleep(0.3)'
fi
sh bin/start.sh
echo "demo finished" >&2
"#;

pub fn run() -> anyhow::Result<u8> {
    let data = store::data_dir()?;
    let dir = tempfile::Builder::new().prefix("runglass-demo-").tempdir().context("making the demo's scratch directory")?;
    // The scratch project outlives this command so the receipt's paths can be looked at.
    let root = dir.keep().canonicalize()?;
    set_up(&root)?;
    let mode = match crate::record::deep::probe() {
        Ok(()) => Mode::Deep,
        Err(_) => Mode::Normal,
    };
    let command: Vec<OsString> = ["sh", "install.sh"].iter().map(OsString::from).collect();
    let s = session::record(SessionOptions { command, mode, reads: false, timeout: None, cwd: root.clone(), data, ci: None, exclude: Vec::new() })?;
    if let Some(e) = s.start_error {
        return Err(e);
    }
    eprintln!("runglass: {}", super::run::summary_line(&s.receipt));
    println!("demo receipt {} ({} mode) of a scripted install in {}", s.receipt.id, mode.as_str(), root.display());
    println!("see it with: runglass report {0}   or in the browser: runglass open {0}", s.receipt.id);
    Ok(0)
}

fn set_up(root: &Path) -> anyhow::Result<()> {
    let files: [(&str, &str); 5] = [
        ("install.sh", SCRIPT),
        ("README.md", "# demo\n\nA tiny project for runglass's demo.\n"),
        ("config.json", "{\"debug\": true, \"port\": 3000}\n"),
        ("old.log", "yesterday's log\n"),
        ("notes.txt", "remember to write tests\n"),
    ];
    for (name, content) in files {
        std::fs::write(root.join(name), content).with_context(|| format!("writing the demo file {name}"))?;
    }
    Ok(())
}
