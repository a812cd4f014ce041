//! `receipt.json`, both ways: [`write`] gives its bytes, the one form every writer (a run,
//! recovery, `report --json`, export) uses; [`parse`] turns bytes from disk (or from anyone
//! who hands runglass a receipt) into a [`Receipt`], or an error that says why not. Lives
//! beside the types so that every reader, the CLI's store and the fuzz targets alike,
//! refuses the same things.

use crate::Receipt;
use crate::receipt::RECEIPT_FORMAT_VERSION;

#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    #[error("not JSON")]
    NotJson(#[source] serde_json::Error),
    #[error("no format_version field")]
    NoVersion,
    #[error("receipt format {found} is newer than this runglass reads ({RECEIPT_FORMAT_VERSION}); upgrade runglass")]
    TooNew { found: u64 },
    /// JSON of the right version that does not fit the receipt's types; the message is
    /// serde's, which names the field.
    #[error("{0}")]
    Invalid(serde_json::Error),
}

/// `receipt.json`'s bytes: the receipt as pretty JSON with a trailing newline.
pub fn write(r: &Receipt) -> Vec<u8> {
    // A receipt has string keys only and no custom serializer that can fail.
    let mut json = serde_json::to_vec_pretty(r).expect("a receipt serializes to JSON");
    json.push(b'\n');
    json
}

/// Parses receipt JSON, refusing formats this runglass does not know. The version is
/// checked before the types, so that a newer receipt gets "upgrade", not a field error; an
/// older one is read as today's format ([`crate::receipt_legacy`]).
pub fn parse(bytes: &[u8]) -> Result<Receipt, ReceiptError> {
    let mut value: serde_json::Value = serde_json::from_slice(bytes).map_err(ReceiptError::NotJson)?;
    match value.get("format_version").and_then(|v| v.as_u64()) {
        None => return Err(ReceiptError::NoVersion),
        Some(found) if found > u64::from(RECEIPT_FORMAT_VERSION) => return Err(ReceiptError::TooNew { found }),
        Some(1) => crate::receipt_legacy::upgrade_v1(&mut value),
        Some(_) => {}
    }
    serde_json::from_value(value).map_err(ReceiptError::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_format_is_refused_before_its_fields_are_read() {
        let err = parse(br#"{"format_version": 99, "unknown": true}"#).unwrap_err();
        assert!(matches!(err, ReceiptError::TooNew { found: 99 }), "{err}");
        assert!(err.to_string().contains("upgrade runglass"), "{err}");
    }

    #[test]
    fn json_without_a_version_and_non_json_get_their_own_errors() {
        assert!(matches!(parse(br#"{"id": "x"}"#), Err(ReceiptError::NoVersion)));
        assert!(matches!(parse(br#"{"format_version": "1"}"#), Err(ReceiptError::NoVersion)));
        assert!(matches!(parse(b"\xff"), Err(ReceiptError::NotJson(_))));
    }

    #[test]
    fn a_known_version_with_missing_fields_names_the_field() {
        let err = parse(br#"{"format_version": 2}"#).unwrap_err();
        assert!(matches!(err, ReceiptError::Invalid(_)));
        assert!(err.to_string().contains("missing field"), "{err}");
    }

    #[test]
    fn git_info_written_before_history_was_recorded_reads_with_none_of_it() {
        let git = serde_json::json!({"root": "/r", "commit": "abc", "branch": "main", "dirty_before": false, "dirty_after": true});
        let g: crate::receipt::GitInfo = serde_json::from_value(git).unwrap();
        assert_eq!(g.branch.as_ref().map(|b| b.as_bytes()), Some(&b"main"[..]));
        assert!(g.after.is_none() && g.config.is_empty() && g.hooks_dir.is_none() && g.limits.is_empty());
    }
}
