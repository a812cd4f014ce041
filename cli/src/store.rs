//! Where receipts live: the data directory and one directory per receipt.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// The event log of a deep run, inside its receipt directory.
pub const EVENT_LOG: &str = "events.log";
/// Events of processes that outlived the command, written by the background tracer.
pub const SURVIVOR_EVENT_LOG: &str = "survivors.events.log";

/// $RUNGLASS_DATA_HOME, else $XDG_DATA_HOME/runglass, else ~/.local/share/runglass.
pub fn data_dir() -> anyhow::Result<PathBuf> {
    let non_empty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = non_empty("RUNGLASS_DATA_HOME") {
        return Ok(dir);
    }
    if let Some(dir) = non_empty("XDG_DATA_HOME") {
        return Ok(dir.join("runglass"));
    }
    match non_empty("HOME") {
        Some(home) => Ok(home.join(".local/share/runglass")),
        None => bail!("no data directory: set RUNGLASS_DATA_HOME (or HOME) to a writable directory"),
    }
}

/// Creates a new, empty receipt directory with a sortable id (UTC time, then a slug of
/// the command) under `data/receipts/`.
pub fn create_receipt_dir(data: &Path, command: &[OsString]) -> anyhow::Result<PathBuf> {
    let receipts = data.join("receipts");
    std::fs::create_dir_all(&receipts).with_context(|| {
        format!("creating the data directory {}; make it writable or set RUNGLASS_DATA_HOME", receipts.display())
    })?;
    let base = format!("{}-{}", utc_stamp(unix_now_ns() / 1_000_000_000), slug(command));
    for n in 1..1000 {
        let id = if n == 1 { base.clone() } else { format!("{base}-{n}") };
        let dir = receipts.join(&id);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(e).with_context(|| format!("creating {}; make the data directory writable or set RUNGLASS_DATA_HOME", dir.display()));
            }
        }
    }
    bail!("too many receipts named {base} in {}", receipts.display())
}

pub fn receipt_id(dir: &Path) -> String {
    dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

pub fn unix_now_ns() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
}

/// `20261121T031122Z` for a Unix time in seconds.
fn utc_stamp(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days as i64);
    format!("{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's
/// algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// A short, file-name-safe slug of the command: its program's base name and first
/// argument, lower-case letters, digits and dashes.
fn slug(command: &[OsString]) -> String {
    let mut words = Vec::new();
    if let Some(prog) = command.first() {
        let prog = Path::new(prog).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        words.push(prog);
    }
    if let Some(arg) = command.get(1) {
        words.push(arg.to_string_lossy().into_owned());
    }
    let mut out = String::new();
    for c in words.join("-").chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= 24 {
            break;
        }
    }
    let out = out.trim_matches('-').to_string();
    if out.is_empty() { "command".to_string() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_utc_and_sortable() {
        assert_eq!(utc_stamp(0), "19700101T000000Z");
        assert_eq!(utc_stamp(1_795_230_682), "20261121T031122Z");
    }

    #[test]
    fn slugs_are_short_and_safe() {
        let cmd: Vec<OsString> = ["/usr/bin/NPM", "install", "--x"].iter().map(OsString::from).collect();
        assert_eq!(slug(&cmd), "npm-install");
        assert_eq!(slug(&[OsString::from("../../<x>")]), "x");
        assert_eq!(slug(&[OsString::from("日本")]), "command");
    }
}
