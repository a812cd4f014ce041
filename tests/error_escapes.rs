//! Errors that echo what was given on the command line (a receipt id, a path, a command,
//! a flag's value) escape its control characters: a terminal escape given as an id
//! (`runglass report $'\e]0;X\a\e[2J'`) shows as `\u{1b}]0;X\u{7}\u{1b}[2J` and never reaches
//! the terminal raw, whichever command and error path echoes it.

#[path = "common/mod.rs"]
mod common;

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::process::Output;

use common::runglass;

/// A title change, a bell and a screen clear.
const ATTACK: &str = "\u{1b}]0;X\u{7}\u{1b}[2J";
const SHOWN: &str = "\\u{1b}]0;X\\u{7}\\u{1b}[2J";

fn arg(prefix: &str) -> OsString {
    OsString::from_vec(format!("{prefix}{ATTACK}").into_bytes())
}

/// stderr holds the escaped form and no control character but line breaks.
fn assert_escaped(what: &str, out: &Output) {
    let raw: Vec<u8> = out.stderr.iter().copied().filter(|&b| (b < 0x20 && b != b'\n') || b == 0x7f).collect();
    let stderr = common::stderr(out);
    assert!(raw.is_empty(), "{what}: raw control bytes {raw:?} on stderr: {stderr:?}");
    assert!(stderr.contains(SHOWN), "{what}: the escaped form is shown: {stderr:?}");
    assert!(!out.status.success(), "{what}: {stderr:?}");
}

#[test]
fn ids_paths_commands_and_flag_values_with_terminal_escapes_are_escaped_in_errors() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    // One receipt, so that `latest` exists for the commands that take a path with it.
    let made = common::run_script(data.path(), work.path(), &[], "true");
    assert!(made.status.success(), "{}", common::stderr(&made));
    let not_a_dir = work.path().join("file");
    std::fs::write(&not_a_dir, "x").unwrap();
    let under_file = |name: &str| {
        let mut p = not_a_dir.clone().into_os_string();
        p.push("/");
        p.push(arg(name));
        p
    };
    let cases: Vec<(&str, Vec<OsString>)> = vec![
        ("report ID", vec!["report".into(), arg("")]),
        ("report a prefix", vec!["report".into(), arg("2")]),
        ("report ID/", vec!["report".into(), arg("x/")]),
        ("export ID", vec!["export".into(), arg("")]),
        ("open ID", vec!["open".into(), arg(""), "--no-browser".into()]),
        ("delete ID", vec!["delete".into(), arg("")]),
        ("validate ID", vec!["validate".into(), arg("")]),
        ("validate PATH", vec!["validate".into(), arg("/nonexistent-runglass/")]),
        ("revert ID", vec!["revert".into(), arg("")]),
        ("revert --file outside", vec!["revert".into(), "latest".into(), "--file".into(), arg("/elsewhere/")]),
        ("revert --file inside", vec!["revert".into(), "latest".into(), "--file".into(), arg("")]),
        ("export --output", vec!["export".into(), "latest".into(), "--output".into(), under_file("out")]),
        ("trace -o", vec!["trace".into(), "-o".into(), under_file("log"), "--".into(), "true".into()]),
        ("run CMD", vec!["run".into(), "--".into(), arg("/nonexistent-runglass/")]),
        ("run --deep CMD", vec!["run".into(), "--deep".into(), "--".into(), arg("/nonexistent-runglass/")]),
        ("run --timeout", vec!["run".into(), "--timeout".into(), arg(""), "--".into(), "true".into()]),
        ("an unknown subcommand", vec![arg("")]),
        ("ci --output", vec!["ci".into(), "--output".into(), under_file("ci"), "--".into(), "true".into()]),
    ];
    for (what, args) in cases {
        let out = runglass(data.path())
            .current_dir(work.path())
            .env("RUNGLASS_NO_PTY", "1")
            // clap writes what it echoes raw to a terminal; this makes it act as on one.
            .env("CLICOLOR_FORCE", "1")
            .args(&args)
            .output()
            .unwrap();
        assert_escaped(what, &out);
    }
}
