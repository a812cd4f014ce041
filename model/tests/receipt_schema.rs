//! docs/receipt.schema.json is generated from the model types; this test fails when it
//! is stale. Regenerate with `RUNGLASS_UPDATE_SCHEMA=1 cargo test -p runglass-model --test receipt_schema`.

use std::path::PathBuf;

fn schema_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/receipt.schema.json")
}

#[test]
fn checked_in_schema_matches_the_model() {
    let mut generated = serde_json::to_string_pretty(&runglass_model::receipt::schema()).unwrap();
    generated.push('\n');
    let path = schema_path();
    if std::env::var_os("RUNGLASS_UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "{} is stale: regenerate it with RUNGLASS_UPDATE_SCHEMA=1 cargo test -p runglass-model --test receipt_schema",
        path.display()
    );
}

#[test]
fn schema_names_every_top_level_field() {
    let schema = runglass_model::receipt::schema();
    let props = schema["properties"].as_object().unwrap();
    for field in ["format_version", "id", "command", "mode", "timing", "outcome", "output", "processes", "files", "network", "risk", "timeline", "git", "observation", "artifacts"] {
        assert!(props.contains_key(field), "{field} missing from the schema");
    }
}
