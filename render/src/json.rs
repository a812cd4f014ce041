//! The receipt as `receipt.json` holds it (pretty JSON with a trailing newline, written by
//! [`runglass_model::receipt_json::write`]): what `runglass report --json` prints.

use runglass_model::Receipt;

pub fn receipt(r: &Receipt) -> String {
    String::from_utf8(runglass_model::receipt_json::write(r)).expect("serde_json writes UTF-8")
}
