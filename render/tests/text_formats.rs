//! The text formats on a fixed receipt from a real deep run (snapshots), and the promises
//! each makes: Markdown shows names from the command literally, the pull-request summary
//! stays small and puts the important things first, the ai summary's failing output is
//! short, the reverse patch really undoes changes with `git apply` and `patch -p1`, and the
//! bundle holds every format and refuses names that would escape it.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use runglass_model::ByteString;
use runglass_model::receipt::{
    ChangeKind, Diff, FileChange, FileKind, FileState, OutsideChange, Receipt, RiskNote, Severity, Source, Stream,
};
use runglass_render::bundle::{BundleContent, BundleFile, Rendered, write_bundle};
use runglass_render::{ai, json, markdown, reverse_patch, summary_md};

fn fixture() -> Receipt {
    serde_json::from_str(include_str!("fixtures/receipt.json")).expect("the fixture is a receipt")
}

fn no_full(_: &FileChange) -> Option<String> {
    None
}

// Snapshots of every format on the fixture.

#[test]
fn markdown_of_the_fixture() {
    insta::assert_snapshot!(markdown::receipt(&fixture()));
}

#[test]
fn summary_of_the_fixture() {
    insta::assert_snapshot!(summary_md::summary(&fixture()));
}

#[test]
fn ai_summary_of_the_fixture() {
    insta::assert_snapshot!(ai::summary(&fixture()));
}

#[test]
fn json_of_the_fixture() {
    // The version changes with every release; the rest is fixed.
    let version = (r#""runglass_version": "[^"]*""#, r#""runglass_version": "[version]""#);
    insta::with_settings!({ filters => vec![version] }, {
        insta::assert_snapshot!(json::receipt(&fixture()));
    });
}

#[test]
fn reverse_patch_of_the_fixture() {
    insta::assert_snapshot!(reverse_patch::reverse_patch(&fixture(), &no_full));
}

// Markdown.

/// The Markdown with fenced blocks and code spans removed: what GitHub would parse as
/// prose and HTML.
fn outside_code(md: &str) -> String {
    let mut prose = String::new();
    let mut fence: Option<String> = None;
    for line in md.lines() {
        let ticks: String = line.chars().take_while(|&c| c == '`').collect();
        match &fence {
            Some(f) if line.trim_end() == f => fence = None,
            Some(_) => {}
            None if ticks.len() >= 3 => fence = Some(ticks),
            None => {
                prose.push_str(&strip_code_spans(line));
                prose.push('\n');
            }
        }
    }
    prose
}

fn strip_code_spans(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let run = rest[start..].chars().take_while(|&c| c == '`').count();
        let fence = "`".repeat(run);
        let after = &rest[start + run..];
        match after.find(&fence) {
            Some(end) => rest = &after[end + run..],
            None => {
                out.push_str(&rest[start..]);
                return out;
            }
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn markdown_keeps_html_from_the_command_out_of_the_page() {
    let md = markdown::receipt(&fixture());
    let prose = outside_code(&md);
    assert!(!prose.contains("<script"), "a file name became HTML:\n{prose}");
    assert!(!prose.contains("<b>"), "output became HTML:\n{prose}");
    // The diffs' summaries are HTML, so the name there is escaped instead.
    assert!(md.contains("<summary><code>&lt;script&gt;alert(1)&lt;/script&gt;.txt</code>"));
}

#[test]
fn markdown_table_rows_survive_pipes_newlines_and_backticks_in_names() {
    let mut r = fixture();
    r.files.changes.truncate(1);
    r.files.changes[0].path = ByteString::from("a|b\nc``d");
    let md = markdown::receipt(&r);
    let row = md.lines().find(|l| l.contains("a\\|b")).expect("the row of the file");
    assert!(row.starts_with("| ```a\\|b\\nc``d``` |"), "{row}");
    let unescaped_pipes = row.match_indices('|').filter(|&(i, _)| !row[..i].ends_with('\\')).count();
    assert_eq!(unescaped_pipes, 5, "four cells: {row}");
}

#[test]
fn markdown_diff_fence_outlasts_backtick_runs_in_the_diff() {
    let mut r = fixture();
    r.files.changes.truncate(1);
    r.files.changes[0].diff = Diff::Text {
        unified: "--- a/x\n+++ b/x\n@@ -0,0 +1 @@\n+````\n".into(),
        added: 1,
        removed: 0,
        truncated: false,
    };
    let md = markdown::receipt(&r);
    assert!(md.contains("`````diff\n--- a/x\n+++ b/x\n@@ -0,0 +1 @@\n+````\n`````\n"), "{md}");
}

#[test]
fn markdown_shows_at_most_fifty_diffs() {
    let mut r = fixture();
    let template = r.files.changes[3].clone();
    r.files.changes = (0..60)
        .map(|i| FileChange { path: ByteString::from(format!("f{i:02}").as_str()), ..template.clone() })
        .collect();
    let md = markdown::receipt(&r);
    assert_eq!(md.matches("<details>").count(), 50);
    assert!(md.contains("... 10 more diffs in the receipt."));
}

#[test]
fn markdown_output_excerpt_shows_head_what_was_left_out_and_tail() {
    let mut r = fixture();
    let (head, tail) = ("first lines\n", "last lines\n");
    r.output.stdout =
        Some(Stream { file: "stdout".into(), bytes: 1000, head: head.into(), tail: tail.into(), truncated: true, stored_bytes: None });
    let md = markdown::receipt(&r);
    let expected = "```text\nfirst lines\n```\n\n... 977 bytes left out ...\n\n```text\nlast lines\n```\n";
    assert!(md.contains(expected), "{md}");
}

// The pull-request summary.

fn note(severity: Severity, title: &str, evidence: &str) -> RiskNote {
    RiskNote {
        id: "test".into(),
        title: title.into(),
        detail: "detail".into(),
        severity,
        evidence: vec![evidence.into()],
        recommendation: "recommendation".into(),
    }
}

#[test]
fn summary_stays_under_4_kb_on_a_receipt_made_to_bloat_it() {
    let mut r = fixture();
    let huge = "`é|<b>".repeat(2000);
    r.command.display = huge.clone();
    r.risk.notes = (0..40).map(|_| note(Severity::High, &huge, &huge)).collect();
    let template = r.files.changes[3].clone();
    r.files.changes = (0..5000)
        .map(|i| FileChange { path: ByteString::from(format!("{huge}{i}").as_str()), ..template.clone() })
        .collect();
    let summary = summary_md::summary(&r);
    assert!(summary.len() < 4096, "{} bytes", summary.len());
}

#[test]
fn summary_reviews_high_risks_then_outside_then_executables_then_deletions_then_diffs() {
    let mut r = fixture();
    r.risk.notes = vec![note(Severity::Low, "low", "low evidence"), note(Severity::High, "high", "high evidence")];
    r.files.outside = vec![OutsideChange {
        path: "/etc/profile".into(),
        by: vec![],
        exists_after: true,
        captured: false,
        before: None,
        after: None,
        followed: false,
        change: ChangeKind::Modified,
        content_changed: true,
        mode_changed: false,
        owner_changed: false,
        xattrs_changed: false,
    }];
    // The fixture has bin/start.sh created 755, run.sh made executable, three deleted files.
    let summary = summary_md::summary(&r);
    let review: Vec<&str> = summary.split("**Review next**\n\n").nth(1).expect("a review section").lines().collect();
    assert_eq!(
        review[..5],
        [
            "- `high evidence`: high risk, high",
            "- `/etc/profile`: outside the working directory",
            "- `bin/start.sh`: new executable (mode 755)",
            "- `run.sh`: made executable (mode 644 -> 755)",
            "- `gone/f`: deleted",
        ]
    );
}

#[test]
fn summary_review_falls_back_to_the_largest_diffs() {
    let mut r = fixture();
    r.files.outside.clear();
    r.files.changes.retain(|c| c.change == ChangeKind::Modified && matches!(c.diff, Diff::Text { .. }));
    let summary = summary_md::summary(&r);
    let review = summary.split("**Review next**\n\n").nth(1).expect("a review section");
    assert!(review.starts_with("- `README.md`: modified +2 -0\n- `config.json`: modified +1 -1\n"), "{review}");
}

// The ai summary.

#[test]
fn ai_failing_output_is_the_last_twenty_lines_each_cut_short() {
    let mut r = fixture();
    let mut text: String = (0..100).map(|i| format!("line {i}\n")).collect();
    text.push_str(&format!("{}the error\n", "=".repeat(10_000)));
    let bytes = text.len() as u64;
    r.output.stderr =
        Some(Stream { file: "stderr".into(), bytes, head: text.as_str().into(), tail: "".into(), truncated: false, stored_bytes: None });
    let summary = ai::summary(&r);
    let excerpt: Vec<&str> = summary.split("last output (stderr):\n").nth(1).expect("an excerpt").lines().collect();
    assert_eq!(excerpt.len(), 20);
    assert_eq!(excerpt[0], "  line 81");
    assert!(excerpt[19].ends_with("=the error") && excerpt[19].len() < 220, "{}", excerpt[19]);
}

// JSON.

#[test]
fn json_ends_with_one_newline() {
    let json = json::receipt(&fixture());
    assert!(json.ends_with("}\n") && !json.ends_with("\n\n"));
}

// The reverse patch, applied for real.

/// A directory under the system's temporary one, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("runglass-render-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("creating a temporary directory");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

enum Entry<'a> {
    File(&'a str, u32),
    Link(&'a str),
}

fn write_tree(root: &Path, entries: &[(&[u8], Entry)]) {
    fs::create_dir_all(root.join("sub")).expect("creating sub");
    for (name, entry) in entries {
        let path = root.join(OsStr::from_bytes(name));
        match entry {
            Entry::File(content, mode) => {
                fs::write(&path, content).expect("writing a file");
                fs::set_permissions(&path, fs::Permissions::from_mode(*mode)).expect("chmod");
            }
            Entry::Link(target) => symlink(target, &path).expect("creating a symlink"),
        }
    }
}

fn state(path: &Path) -> Option<FileState> {
    let meta = fs::symlink_metadata(path).ok()?;
    let kind = if meta.file_type().is_symlink() { FileKind::Symlink } else { FileKind::File };
    let target = (kind == FileKind::Symlink)
        .then(|| ByteString(fs::read_link(path).expect("reading a link").into_os_string().into_vec()));
    Some(FileState {
        kind,
        size: meta.len(),
        mode: meta.permissions().mode() & 0o7777,
        mtime_ns: 0,
        blake3: None,
        target,
        capped: false,
        stored: true,
        uid: None,
        gid: None,
        xattrs: None,
    })
}

/// The change to `name` between the trees, its forward diff written by `diff -u`.
fn change(before: &Path, after: &Path, name: &[u8]) -> FileChange {
    let rel = OsStr::from_bytes(name);
    let (b, a) = (state(&before.join(rel)), state(&after.join(rel)));
    let content = |dir: &Path, s: &Option<FileState>| match s {
        Some(s) if s.kind == FileKind::File => Some(fs::read(dir.join(rel)).expect("reading a file")),
        Some(s) => s.target.as_ref().map(|t| t.0.clone()),
        None => None,
    };
    let (bc, ac) = (content(before, &b), content(after, &a));
    let regular = a.as_ref().or(b.as_ref()).is_some_and(|s| s.kind == FileKind::File);
    let has_lines = bc.as_ref().is_some_and(|c| !c.is_empty()) || ac.as_ref().is_some_and(|c| !c.is_empty());
    let diff = if regular && bc != ac && has_lines {
        let side = |dir: &Path, s: &Option<FileState>| if s.is_some() { dir.join(rel) } else { "/dev/null".into() };
        let out = Command::new("diff")
            .args(["-u", "--label", "a/x", "--label", "b/x"])
            .arg(side(before, &b))
            .arg(side(after, &a))
            .output()
            .expect("running diff");
        let unified = String::from_utf8(out.stdout).expect("a text diff");
        let count = |sign| unified.lines().skip(2).filter(|l| l.starts_with(sign)).count() as u64;
        Diff::Text { added: count("+"), removed: count("-"), unified, truncated: false }
    } else {
        Diff::None
    };
    FileChange {
        path: ByteString(name.to_vec()),
        change: match (&b, &a) {
            (None, _) => ChangeKind::Created,
            (_, None) => ChangeKind::Deleted,
            _ => ChangeKind::Modified,
        },
        mode_changed: matches!((&b, &a), (Some(b), Some(a)) if b.mode != a.mode),
        content_changed: bc != ac,
        before: b,
        after: a,
        diff,
        by: vec![],
        owner_changed: false,
        xattrs_changed: false,
        seen_by: Source::Snapshot,
        captured: false,
        skipped_dir: None,
    }
}

/// Every entry under `root`: its kind, owner permission bits (group and other bits follow the
/// umask of whoever applies the patch), and content or target.
fn tree(root: &Path) -> BTreeMap<Vec<u8>, (bool, u32, Vec<u8>)> {
    let mut entries = BTreeMap::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for e in fs::read_dir(&dir).expect("listing a directory") {
            let path = e.expect("a directory entry").path();
            let rel = path.strip_prefix(root).expect("under root").as_os_str().as_bytes().to_vec();
            let meta = fs::symlink_metadata(&path).expect("stat");
            if meta.is_dir() {
                dirs.push(path);
                entries.insert(rel, (false, meta.permissions().mode() & 0o700, vec![]));
            } else if meta.file_type().is_symlink() {
                let target = fs::read_link(&path).expect("readlink").into_os_string().into_vec();
                entries.insert(rel, (true, 0, target));
            } else {
                entries.insert(rel, (false, meta.permissions().mode() & 0o700, fs::read(&path).expect("read")));
            }
        }
    }
    entries
}

fn copy_tree(from: &Path, to: &Path) {
    let status = Command::new("cp").arg("-a").arg(from).arg(to).status().expect("running cp");
    assert!(status.success());
}

#[test]
fn reverse_patch_undoes_changes_with_git_apply_and_with_patch() {
    let dir = TempDir::new("reverse");
    let (before, after) = (dir.0.join("before"), dir.0.join("after"));
    let numbered = |changed: &[usize]| -> String {
        (1..=20).map(|i| if changed.contains(&i) { format!("changed {i}\n") } else { format!("line {i}\n") }).collect()
    };
    // Two changes far apart and two together: two hunks.
    let (plain, edited) = (numbered(&[]), numbered(&[2, 3, 17]));
    write_tree(
        &before,
        &[
            (b"caf\xe9.txt", Entry::File("hot\n", 0o644)),
            (b"deleted.txt", Entry::File("old\ncontent\n", 0o644)),
            (b"empty deleted", Entry::File("", 0o644)),
            (b"gains-eol.txt", Entry::File("x\ny", 0o644)),
            (b"link-deleted", Entry::Link("somewhere")),
            (b"link-retargeted", Entry::Link("first")),
            (b"mode-and-content.sh", Entry::File("echo a\n", 0o755)),
            (b"mode only.sh", Entry::File("#!/bin/sh\n", 0o644)),
            (b"modified.txt", Entry::File(&plain, 0o644)),
            (b"no-eol.txt", Entry::File("a\nb", 0o644)),
            (b"sub/deep.txt", Entry::File("deep\n", 0o644)),
            (b"with space.txt", Entry::File("1\n", 0o644)),
        ],
    );
    write_tree(
        &after,
        &[
            (b"caf\xe9.txt", Entry::File("cold\n", 0o644)),
            (b"created.txt", Entry::File("new\nfile\n", 0o644)),
            (b"empty-created", Entry::File("", 0o755)),
            (b"gains-eol.txt", Entry::File("x\ny\n", 0o644)),
            (b"link-created", Entry::Link("modified.txt")),
            (b"link-retargeted", Entry::Link("second")),
            (b"mode-and-content.sh", Entry::File("echo b\n", 0o644)),
            (b"mode only.sh", Entry::File("#!/bin/sh\n", 0o755)),
            (b"modified.txt", Entry::File(&edited, 0o644)),
            (b"no-eol.txt", Entry::File("a\nc", 0o644)),
            (b"sub/deep.txt", Entry::File("deeper\n", 0o644)),
            (b"tab\tand\"quote", Entry::File("odd\n", 0o644)),
            (b"with space.txt", Entry::File("2\n", 0o644)),
        ],
    );
    let mut names: Vec<&[u8]> = vec![
        b"caf\xe9.txt",
        b"created.txt",
        b"deleted.txt",
        b"empty-created",
        b"empty deleted",
        b"gains-eol.txt",
        b"link-created",
        b"link-deleted",
        b"link-retargeted",
        b"mode-and-content.sh",
        b"mode only.sh",
        b"modified.txt",
        b"no-eol.txt",
        b"sub/deep.txt",
        b"tab\tand\"quote",
        b"with space.txt",
    ];
    names.sort();
    let mut r = fixture();
    r.files.changes = names.iter().map(|n| change(&before, &after, n)).collect();
    let patch = reverse_patch::reverse_patch(&r, &no_full);
    assert!(!patch.contains("# not reversible"), "{patch}");
    let patch_file = dir.0.join("reverse.patch");
    fs::write(&patch_file, &patch).expect("writing the patch");

    let with_git = dir.0.join("git");
    copy_tree(&after, &with_git);
    let out = Command::new("git").arg("apply").arg(&patch_file).current_dir(&with_git).output().expect("running git");
    assert!(out.status.success(), "git apply: {}\n{patch}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(tree(&with_git), tree(&before), "git apply\n{patch}");

    let with_patch = dir.0.join("patch");
    copy_tree(&after, &with_patch);
    // -f: never ask (and never assume the patch is reversed); -F0: context must match exactly.
    let out = Command::new("patch")
        .args(["-p1", "-f", "-F0", "-i"])
        .arg(&patch_file)
        .current_dir(&with_patch)
        .stdin(Stdio::null())
        .output()
        .expect("running patch");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && !said.contains("Hunk"), "patch: {said}\n{patch}");
    assert_eq!(tree(&with_patch), tree(&before), "patch -p1\n{patch}");
}

fn text_change(path: &str, unified: &str, truncated: bool) -> FileChange {
    let mut c = fixture().files.changes[3].clone();
    c.path = path.into();
    c.diff = Diff::Text { unified: unified.into(), added: 1, removed: 1, truncated };
    c
}

#[test]
fn reverse_patch_uses_the_full_diff_of_a_cut_one_and_lists_it_without() {
    let mut r = fixture();
    r.files.changes = vec![text_change("big.txt", "", true)];
    let without = reverse_patch::reverse_patch(&r, &no_full);
    assert!(without.contains("# not reversible by this patch: big.txt (diff cut short in the receipt)\n"));
    assert!(!without.contains("diff --git"));

    let full = |_: &FileChange| Some("--- a/big.txt\n+++ b/big.txt\n@@ -1 +1 @@\n-old\n+new\n".to_string());
    let with = reverse_patch::reverse_patch(&r, &full);
    assert!(with.ends_with("--- a/big.txt\n+++ b/big.txt\n@@ -1 +1 @@\n-new\n+old\n"), "{with}");
}

#[test]
fn reverse_patch_refuses_a_malformed_diff_with_a_comment() {
    let mut r = fixture();
    r.files.changes = vec![
        text_change("short.txt", "@@ -1,2 +1,2 @@\n-a\n+b\n", false),
        text_change("garbage.txt", "@@ -1 +1 @@\n*what\n", false),
    ];
    let patch = reverse_patch::reverse_patch(&r, &no_full);
    assert!(patch.contains("# not reversible by this patch: short.txt (the receipt's diff is malformed)\n"));
    assert!(patch.contains("# not reversible by this patch: garbage.txt (the receipt's diff is malformed)\n"));
    assert!(!patch.contains("diff --git"));
}

#[test]
fn reverse_patch_says_which_modes_git_cannot_carry() {
    let mut r = fixture();
    let run_sh = r.files.changes.iter().find(|c| c.path == "run.sh".into()).expect("run.sh").clone();
    let mut private = run_sh.clone();
    private.path = "private".into();
    private.after.as_mut().expect("an after state").mode = 0o600;
    let mut deleted = fixture().files.changes.into_iter().find(|c| c.path == "old.log".into()).expect("old.log");
    deleted.before.as_mut().expect("a before state").mode = 0o600;
    r.files.changes = vec![deleted, private];
    let patch = reverse_patch::reverse_patch(&r, &no_full);
    assert!(patch.contains("# not reversible by this patch: old.log (mode 600 comes back as 644: "), "{patch}");
    assert!(patch.contains("# not reversible by this patch: private (mode 600 -> 644 not restored: "), "{patch}");
    assert!(patch.contains("diff --git a/old.log b/old.log\nnew file mode 100644\n"), "{patch}");
    assert!(!patch.contains("a/private"), "{patch}");
}

#[test]
fn reverse_patch_never_names_a_path_outside_the_directory() {
    let mut r = fixture();
    r.files.changes = vec![text_change("../escape", "@@ -1 +1 @@\n-a\n+b\n", false)];
    let patch = reverse_patch::reverse_patch(&r, &no_full);
    assert!(patch.contains("# not reversible by this patch: ../escape (not a path inside the working directory)"));
    assert!(!patch.contains("diff --git"));
}

#[test]
fn reverse_patch_of_no_changes_is_one_comment_line() {
    let mut r = fixture();
    r.files.changes.clear();
    let patch = reverse_patch::reverse_patch(&r, &no_full);
    assert_eq!(patch.lines().count(), 1);
    assert!(patch.starts_with("# "));
}

// The bundle.

fn rendered() -> Rendered<'static> {
    Rendered { html: "<html>", markdown: "# md", summary_md: "summary", ai: "ai", json: "{}", reverse_patch: "# patch" }
}

#[test]
fn bundle_holds_every_format_and_artifact_under_one_directory() {
    let dir = TempDir::new("bundle");
    let log = dir.0.join("events.log");
    fs::write(&log, b"event bytes").expect("writing an artifact");
    let files = [
        BundleFile {
            name: "events.log".into(),
            content: BundleContent::file(log.display().to_string(), move || fs::File::open(&log)),
        },
        BundleFile { name: "blobs/ab/cd".into(), content: BundleContent::Bytes(b"blob".to_vec()) },
    ];
    let r = fixture();
    let mut tar = Vec::new();
    write_bundle(&r, &rendered(), &files, &mut tar).expect("writing the bundle");

    let mut archive = tar::Archive::new(tar.as_slice());
    let mut entries = Vec::new();
    for entry in archive.entries().expect("reading the bundle") {
        let mut entry = entry.expect("an entry");
        let header = entry.header();
        assert_eq!(header.mode().expect("a mode"), 0o644);
        assert_eq!(header.mtime().expect("an mtime"), r.timing.ended_unix_ms / 1000);
        let path = entry.path().expect("a path").to_string_lossy().into_owned();
        let mut content = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut content).expect("reading an entry");
        entries.push((path, content));
    }
    let top = "runglass-receipt-20261121T045024Z-sh-tmp-fx-script-sh";
    let names: Vec<String> = entries.iter().map(|(p, _)| p.strip_prefix(top).unwrap_or(p).to_string()).collect();
    assert_eq!(
        names,
        [
            "/receipt.html",
            "/receipt.md",
            "/summary.md",
            "/ai-summary.txt",
            "/receipt.json",
            "/reverse.patch",
            "/artifacts/events.log",
            "/artifacts/blobs/ab/cd"
        ]
    );
    assert_eq!(entries[1].1, b"# md");
    assert_eq!(entries[6].1, b"event bytes");
}

#[test]
fn bundle_error_names_an_artifact_it_cannot_read() {
    let gone = "/nonexistent/events.log";
    let files = [BundleFile { name: "gone".into(), content: BundleContent::file(gone, move || fs::File::open(gone)) }];
    let err = write_bundle(&fixture(), &rendered(), &files, Vec::new()).expect_err("a missing file");
    assert!(err.to_string().starts_with("reading /nonexistent/events.log: "), "{err}");
}

#[test]
fn bundle_is_the_same_bytes_every_time() {
    let files = [BundleFile { name: "a".into(), content: BundleContent::Bytes(b"x".to_vec()) }];
    let (mut first, mut second) = (Vec::new(), Vec::new());
    write_bundle(&fixture(), &rendered(), &files, &mut first).expect("writing the bundle");
    write_bundle(&fixture(), &rendered(), &files, &mut second).expect("writing the bundle");
    assert_eq!(first, second);
}

#[test]
fn bundle_refuses_names_that_escape_the_artifacts_folder() {
    for name in ["../x", "a/../../x", "/etc/passwd", "a\0b"] {
        let files = [BundleFile { name: name.into(), content: BundleContent::Bytes(vec![]) }];
        let err = write_bundle(&fixture(), &rendered(), &files, Vec::new()).expect_err(name);
        assert!(err.to_string().contains(&format!("{name:?}")), "{name}: {err}");
    }
}

#[test]
fn the_terminal_report_shows_escape_sequences_from_a_receipt_as_text() {
    let mut r = fixture();
    let esc = "\x1b]0;owned\x07\x1b[2J";
    r.outcome.message = Some(format!("command not found: {esc}"));
    r.risk.notes.push(RiskNote {
        id: "test".into(),
        severity: Severity::Low,
        title: format!("title {esc}"),
        detail: format!("detail {esc}"),
        evidence: vec![format!("evidence {esc}")],
        recommendation: format!("recommendation {esc}"),
    });
    if let Some(ci) = r.ci.as_mut() {
        ci.repository = Some(format!("acme/{esc}"));
    }
    let text = runglass_render::terminal::report(&r);
    assert!(!text.contains('\x1b') && !text.contains('\x07'), "{text:?}");
    for part in ["command not found: \\u{1b}]0;owned", "title \\u{1b}", "evidence \\u{1b}", "recommendation \\u{1b}"] {
        assert!(text.contains(part), "{part} in {text}");
    }
}

#[test]
fn the_terminal_report_names_peers_and_lists_lookups_with_forged_names_escaped() {
    let mut r = fixture();
    let text = runglass_render::terminal::report(&r);
    assert!(text.contains("-> tcp registry.example.org:443 (93.184.216.34) connected x2  by 10762"), "{text}");
    assert!(text.contains("-> udp 127.0.0.53:53 connected  by 10762"), "{text}");
    assert!(text.contains("looked up registry.example.org: 93.184.216.34 2606:2800:220:1::1  by 10762"), "{text}");
    assert!(text.contains("looked up missing.example.org: no such name  by 10762"), "{text}");
    // A receipt is a file anyone could have written: its names reach the terminal escaped.
    r.network.outbound[1].host = Some("evil\x1b[2J.test".into());
    r.network.lookups[0].name = "evil\x1b]0;t\x07.test".into();
    let text = runglass_render::terminal::report(&r);
    assert!(!text.contains('\x1b') && !text.contains('\x07'), "{text:?}");
    assert!(text.contains("evil\\u{1b}[2J.test:443 (93.184.216.34)") && text.contains("looked up evil\\u{1b}]0;t"), "{text}");
}

#[test]
fn git_names_subjects_and_values_from_the_repository_reach_every_text_format_escaped() {
    use runglass_model::receipt::{GitAfter, GitCommit, GitConfigChange, GitConfigEdit, GitInfo, GitRefChange};
    let mut r = fixture();
    let esc = "\x1b]0;owned\x07";
    r.git = Some(GitInfo {
        root: "/r".into(),
        commit: Some("a".repeat(40)),
        branch: Some(format!("main{esc}").as_str().into()),
        dirty_before: false,
        dirty_after: false,
        after: Some(GitAfter {
            commit: Some("b".repeat(40)),
            branch: Some(format!("main{esc}").as_str().into()),
            head_ahead: 1,
            commits: vec![GitCommit { id: "b".repeat(40), subject: format!("subject {esc} `x` *y*").as_str().into() }],
            refs: vec![GitRefChange {
                name: format!("refs/heads/main{esc}").as_str().into(),
                before: Some("a".repeat(40)),
                after: Some("b".repeat(40)),
            }],
            ..GitAfter::default()
        }),
        config: vec![GitConfigChange {
            key: "core.pager".into(),
            change: GitConfigEdit::Added,
            runs_program: true,
            before: Vec::new(),
            after: vec![format!("less{esc}").as_str().into()],
            files: vec!["/r/.git/config".into()],
        }],
        config_more: 0,
        hooks_dir: None,
        created: false,
        limits: Vec::new(),
    });
    let terminal = runglass_render::terminal::report(&r);
    let ai = ai::summary(&r);
    for text in [&terminal, &ai] {
        assert!(!text.contains('\x1b') && !text.contains('\x07'), "{text:?}");
        assert!(text.contains("subject \\u{1b}]0;owned\\u{7} `x` *y*"), "{text}");
        assert!(text.contains("config core.pager added: less\\u{1b}"), "{text}");
    }
    assert!(terminal.contains("-> main\\u{1b}]0;owned\\u{7} @ bbbbbbbbbbbb (HEAD 1 commit forward)"), "{terminal}");
    // The undo command quotes the branch's bytes for a shell, with nothing a terminal obeys.
    assert!(ai.contains(&format!("git reset --soft {}", "a".repeat(40))), "{ai}");
    let markdown = markdown::receipt(&r);
    assert!(markdown.contains("## Git") && !markdown.contains('\x1b'), "{markdown}");
    assert!(markdown.contains("``commit bbbbbbbbbbbb added: subject \\u{1b}]0;owned\\u{7} `x` *y*``"), "{markdown}");
    let summary = summary_md::summary(&r);
    assert!(summary.contains("**Git:** 1 commit added, 1 branch or tag change, 1 configuration change (1 that run programs); HEAD 1 commit forward"), "{summary}");
}

#[test]
fn an_output_file_cut_short_by_a_full_disk_says_how_much_of_the_stream_it_holds() {
    let mut r = fixture();
    r.output.stdout = Some(Stream {
        file: "stdout".into(),
        bytes: 20971520,
        head: "xxxx".into(),
        tail: "xxxx".into(),
        truncated: true,
        stored_bytes: Some(5234688),
    });
    let md = markdown::receipt(&r);
    assert!(md.contains("### stdout: 20971520 bytes, the first 5234688 of them in `stdout`"), "{md}");
    let text = runglass_render::terminal::report(&r);
    assert!(text.contains("Output (stdout): 20971520 bytes, the first 5234688 of them in stdout"), "{text}");
}
