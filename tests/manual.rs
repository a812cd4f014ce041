//! The manual and shell integration: docs/man holds exactly what the clap definitions render
//! (byte for byte), the pages format without warnings, and `runglass completions` writes
//! scripts the shells accept, offering every command and no hidden one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const REGENERATE: &str = "cargo run -p runglass-cli -- __man docs/man";
const HIDDEN_COMMANDS: [&str; 2] = ["__keep", "__man"];
const SHELLS: [&str; 5] = ["bash", "zsh", "fish", "elvish", "powershell"];

fn runglass() -> Command {
    Command::new(env!("CARGO_BIN_EXE_runglass"))
}

fn committed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/man")
}

fn stdout_of(out: &Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The commands `runglass --help` lists, without clap's own `help`.
fn visible_commands() -> Vec<String> {
    let help = stdout_of(&runglass().arg("--help").output().unwrap());
    let list = help.split("Commands:\n").nth(1).unwrap_or_else(|| panic!("no command list in:\n{help}"));
    let commands: Vec<String> = list
        .lines()
        .take_while(|line| !line.trim().is_empty())
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(String::from)
        .collect();
    assert!(commands.iter().any(|c| c == "run"), "the command list was not understood:\n{help}");
    commands
}

/// Every `*.1` file in `dir`, by file name.
fn pages_in(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
    entries
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "1"))
        .map(|path| (path.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&path).unwrap()))
        .collect()
}

/// The pages `runglass __man` renders from the current definitions.
fn rendered_pages() -> BTreeMap<String, Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("man");
    stdout_of(&runglass().arg("__man").arg(&out_dir).output().unwrap());
    pages_in(&out_dir)
}

/// Where two versions of a page first differ, line by line.
fn first_difference(committed: &[u8], rendered: &[u8]) -> String {
    let committed = String::from_utf8_lossy(committed);
    let rendered = String::from_utf8_lossy(rendered);
    let mut old = committed.lines();
    let mut new = rendered.lines();
    for number in 1.. {
        match (old.next(), new.next()) {
            (Some(a), Some(b)) if a == b => continue,
            (None, None) => break,
            (a, b) => {
                let show = |line: Option<&str>| line.map_or("(end of page)".to_owned(), |l| format!("{l:?}"));
                return format!("line {number}: committed {}, now {}", show(a), show(b));
            }
        }
    }
    "line endings differ".to_owned()
}

#[test]
fn committed_man_pages_are_what_the_clap_definitions_render() {
    let rendered = rendered_pages();
    let committed = pages_in(&committed_dir());
    let mut stale = Vec::new();
    for (name, page) in &rendered {
        match committed.get(name) {
            None => stale.push(format!("docs/man/{name} is missing")),
            Some(old) if old != page => {
                stale.push(format!("docs/man/{name} is stale: {}", first_difference(old, page)));
            }
            Some(_) => {}
        }
    }
    for name in committed.keys().filter(|name| !rendered.contains_key(*name)) {
        stale.push(format!("docs/man/{name} documents no command any more: git rm it"));
    }
    assert!(stale.is_empty(), "{}\nregenerate the pages with: {REGENERATE}", stale.join("\n"));
}

#[test]
fn every_listed_command_has_a_page_and_hidden_commands_none() {
    let pages: BTreeSet<String> = rendered_pages().into_keys().collect();
    let commands = visible_commands();
    let mut expected: BTreeSet<String> = commands.iter().map(|c| format!("runglass-{c}.1")).collect();
    expected.insert("runglass.1".to_owned());
    assert!(expected.is_subset(&pages), "missing pages: {:?}", expected.difference(&pages).collect::<Vec<_>>());
    // The rest are pages of nested commands (`runglass github comment`), under a listed one.
    for page in pages.difference(&expected) {
        let nested = commands.iter().any(|c| page.starts_with(&format!("runglass-{c}-")));
        assert!(nested, "{page} documents no listed command");
    }
}

/// Formats a page as `man -l` shows it, else with groff; None when neither is installed.
fn format_page(path: &Path) -> Option<Output> {
    let installed = |tool: &str| Command::new(tool).arg("--version").output().is_ok_and(|out| out.status.success());
    let mut formatter = if installed("man") {
        let mut man = Command::new("man");
        man.args(["--warnings", "-l"]).env("MANWIDTH", "80").env("MANPAGER", "cat").env("PAGER", "cat");
        man
    } else if installed("groff") {
        let mut groff = Command::new("groff");
        // -ww: every warning; -P-cbou: plain text, no escape sequences or overstrikes.
        groff.args(["-man", "-Tutf8", "-ww", "-P-cbou"]);
        groff
    } else {
        return None;
    };
    Some(formatter.arg(path).env("LC_ALL", "C.UTF-8").output().unwrap())
}

#[test]
fn man_pages_format_without_warnings() {
    let dir = committed_dir();
    let pages = pages_in(&dir);
    assert!(pages.contains_key("runglass.1"), "no runglass.1 in {}", dir.display());
    let mut formatted = 0;
    for (name, page) in &pages {
        let text = String::from_utf8_lossy(page);
        for section in [".TH ", ".SH NAME\n", ".SH SYNOPSIS\n", ".SH DESCRIPTION\n"] {
            assert!(text.contains(section), "{name} has no {section:?}");
        }
        let Some(out) = format_page(&dir.join(name)) else { continue };
        formatted += 1;
        let shown = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && out.stderr.is_empty(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(shown.contains("SYNOPSIS"), "{name} formats to:\n{shown}");
        // The footer starts with the source ("runglass 0.1.0"): the .TH fields are in their
        // places, none left empty and shifted.
        let footer = shown.lines().rfind(|line| !line.trim().is_empty()).unwrap_or_default();
        assert!(footer.starts_with("runglass "), "{name}'s footer is {footer:?}");
    }
    if formatted == 0 {
        eprintln!("skipping the formatting of the man pages: neither man nor groff is installed");
    }
}

fn completion_script(shell: &str) -> String {
    stdout_of(&runglass().args(["completions", shell]).output().unwrap())
}

/// The words of a script: runs of characters that can make up a command or flag name.
fn words(script: &str) -> BTreeSet<&str> {
    script.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_')).collect()
}

#[test]
fn every_shell_script_offers_every_command_and_no_hidden_one() {
    let commands = visible_commands();
    for shell in SHELLS {
        let script = completion_script(shell);
        let words = words(&script);
        for command in &commands {
            assert!(words.contains(command.as_str()), "the {shell} script does not offer {command}");
        }
        for hidden in HIDDEN_COMMANDS {
            assert!(!script.contains(hidden), "the {shell} script offers the hidden {hidden}");
        }
    }
}

/// Writes `shell`'s completion script to a file, kept as long as the returned directory.
fn script_file(shell: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("runglass.{shell}"));
    std::fs::write(&path, completion_script(shell)).unwrap();
    (dir, path)
}

/// What the bash script completes for the words typed so far (the last one being completed).
fn bash_completes(script: &Path, typed: &[&str]) -> Vec<String> {
    let complete = "source \"$1\"; shift; COMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1)); \
                    _runglass runglass \"${COMP_WORDS[COMP_CWORD]}\" \"${COMP_WORDS[COMP_CWORD - 1]}\"; \
                    printf '%s\\n' \"${COMPREPLY[@]}\"";
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", complete, "bash"])
        .arg(script)
        .arg("runglass")
        .args(typed)
        .output()
        .expect("running bash");
    stdout_of(&out).lines().map(String::from).collect()
}

#[test]
fn bash_script_is_valid_bash_and_completes_commands_and_flags() {
    let (_dir, script) = script_file("bash");
    let check = Command::new("bash").arg("-n").arg(&script).output().expect("running bash");
    assert!(check.status.success(), "bash -n: {}", String::from_utf8_lossy(&check.stderr));
    assert_eq!(bash_completes(&script, &["re"]), ["report", "revert"]);
    assert_eq!(bash_completes(&script, &["run", "--de"]), ["--deep"]);
    let all = bash_completes(&script, &[""]);
    for command in visible_commands() {
        assert!(all.contains(&command), "`runglass <TAB>` does not offer {command}: {all:?}");
    }
}

#[test]
fn zsh_and_fish_accept_their_scripts() {
    for (shell, check) in [("zsh", "-n"), ("fish", "--no-execute")] {
        let (_dir, script) = script_file(shell);
        match Command::new(shell).arg(check).arg(&script).output() {
            Ok(out) => assert!(out.status.success(), "{shell} {check}: {}", String::from_utf8_lossy(&out.stderr)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                eprintln!("skipping the {shell} syntax check: {shell} is not installed");
            }
            Err(e) => panic!("running {shell}: {e}"),
        }
    }
}
