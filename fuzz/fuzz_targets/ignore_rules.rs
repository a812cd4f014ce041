//! `.runglassignore`: any bytes a checkout puts there become rules or skipped lines, never
//! a panic, and asking the rules about any path answers without one. The paths asked about
//! are the input's own lines (so that patterns meet paths they can match) and a few that
//! the defaults cover.
//!
//! The parser is the CLI's own file, compiled in here: it depends on nothing else of the
//! CLI (see README.md).

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

// `load` (which reads the file from disk) is not called: the target hands over the bytes.
#[allow(dead_code)]
#[path = "../../cli/src/collect/snapshot/rules.rs"]
mod rules;

use rules::{DEFAULTS_SOURCE, IGNORE_FILE, Rules};

const FIXED_PROBES: [&str; 4] = ["target", "src/main.rs", "node_modules/x/y", "a/.git"];

fuzz_target!(|data: &[u8]| {
    let root = Path::new("/fuzz/root");
    let rules = Rules::with_ignore_file(root, data);
    let text = String::from_utf8_lossy(data);
    let lines = text.split('\n').map(|line| line.trim_start_matches(['!', '/', '\\']));
    for probe in lines.chain(FIXED_PROBES).filter(|p| !p.is_empty()) {
        for is_dir in [false, true] {
            let Some(rule) = rules.skips(Path::new(probe), is_dir) else {
                continue;
            };
            match rule.source {
                source if source == IGNORE_FILE => {
                    assert!(text.contains(&rule.pattern), "{:?} is not a line of the file", rule.pattern)
                }
                source if source == DEFAULTS_SOURCE => {
                    assert!(rule.pattern.ends_with('/'), "default {:?} is not a directory rule", rule.pattern)
                }
                other => panic!("a rule from {other:?}"),
            }
        }
    }
});
