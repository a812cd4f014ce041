//! The receipt as pretty JSON with a trailing newline: `receipt.json`'s form, and what
//! `runglass report --print-json` prints.

use runglass_model::Receipt;

pub fn receipt(r: &Receipt) -> String {
    // A receipt has string keys only and no custom serializer that can fail.
    let mut json = serde_json::to_string_pretty(r).expect("a receipt serializes to JSON");
    json.push('\n');
    json
}
