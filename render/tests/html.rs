//! The receipt as HTML: what the page shows, that nothing from the command can inject
//! markup or script, that its policy lets only its own script run and nothing load, and
//! that a huge run renders with bounded nesting; the served page's revert buttons and
//! the pages of a revert.

mod support {
    pub mod big;
}

use base64::Engine;
use runglass_model::ByteString;
use runglass_model::receipt::{Actor, Aspect, Confidence, Mode, RunStatus, Severity};
use runglass_render::html::{
    IndexEntry, RevertChoice, RevertHead, RevertRow, RevertStop, Tone, index, message_page, page, path_value,
    revert_confirm, revert_done, revert_preview, served_page,
};
use sha2::{Digest, Sha256};
use support::big::{big_receipt, fixture};

/// Snapshots hold one tag per line (maud writes none) and leave the stylesheet to
/// style.css, so a reviewer reads the page's structure and text.
fn snapshot_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"(?s)<style>.*?</style>", "<style>[style.css]</style>");
    settings.add_filter(r"runglass \d+\.\d+\.\d+", "runglass [version]");
    settings
}

fn one_tag_per_line(html: &str) -> String {
    let block = [
        "<head", "<meta", "<title", "<style", "<script", "<body", "<header", "<main", "<footer", "<nav", "<section",
        "<h1", "<h2", "<h3", "<h4", "<p", "<div", "<ul", "<ol", "<li", "<dl", "<dt", "<dd", "<table", "<thead",
        "<tbody", "<tr", "<details", "<summary", "<pre", "<form",
    ];
    let mut out = String::with_capacity(html.len() * 11 / 10);
    let mut rest = html;
    while let Some(at) = rest[1..].find('<').map(|i| i + 1) {
        out.push_str(&rest[..at]);
        let tag = &rest[at..];
        let is_block = block.iter().any(|b| tag.starts_with(b) && tag[b.len()..].starts_with([' ', '>']));
        if is_block {
            out.push('\n');
        }
        rest = tag;
    }
    out.push_str(rest);
    out
}

#[test]
fn the_fixture_page_is_stable() {
    let html = one_tag_per_line(&page(&fixture()));
    snapshot_settings().bind(|| insta::assert_snapshot!("page", html));
}

fn entry(id: &str, command: &str, status: RunStatus, risk: Severity) -> IndexEntry {
    IndexEntry {
        id: id.to_string(),
        command: command.to_string(),
        cwd: ByteString(b"/home/me/proj\xff".to_vec()),
        started_at: "2026-11-21T04:50:24.025Z".to_string(),
        duration_ms: 2400,
        status,
        exit_code: Some(if status == RunStatus::Completed { 0 } else { 3 }),
        mode: Mode::Deep,
        risk,
        files_changed: 14,
        processes: 50,
    }
}

#[test]
fn the_index_page_is_stable() {
    let entries = [
        entry("20261121T045024Z-npm-install", "npm install", RunStatus::Completed, Severity::None),
        entry("20261120T101500Z-sh-x y", "sh 'x y' '<b>'", RunStatus::Failed, Severity::Medium),
    ];
    let html = one_tag_per_line(&index(&entries, true));
    snapshot_settings().bind(|| insta::assert_snapshot!("index", html));
}

#[test]
fn the_message_page_is_stable() {
    let html = message_page(
        "Delete this receipt?",
        "npm install <run 20261121T045024Z> and its files will be removed.",
        Some(("delete?confirm=1", "Delete")),
        Some("../"),
    );
    snapshot_settings().bind(|| insta::assert_snapshot!("message", one_tag_per_line(&html)));
}

#[test]
fn hostile_file_names_show_as_text() {
    let html = page(&fixture());
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;.txt"));
    assert!(!html.contains("<script>alert"));
    assert_eq!(html.matches("<script").count(), 1, "only the page's own script");
    assert!(html.contains(r"bad\xffname"), "non-UTF-8 bytes show escaped");
}

#[test]
fn hostile_argv_and_output_stay_escaped() {
    let mut r = fixture();
    let hostile = format!("\"><img src=x onerror=alert(1)>{}", "A".repeat(120));
    r.processes[1].argv = vec!["sh".into(), hostile.as_str().into()];
    r.processes[1].execs.clear();
    (r.files.changes[5].by[0].process, r.files.changes[5].by[0].exec) = (1, None);
    let stdout = r.output.stdout.as_mut().unwrap();
    stdout.head = ByteString(b"</pre><script>alert(2)</script>\x1b[31mred\x07\xff".to_vec());
    let html = page(&r);
    assert!(!html.contains("<img"));
    assert!(html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!html.contains("</pre><script>"));
    assert!(html.contains("&lt;/pre&gt;&lt;script&gt;alert(2)&lt;/script&gt;"));
    assert!(html.contains(r"\u{1b}[31mred\u{7}\xff"), "control bytes show escaped");
    assert!(!html.contains('\x1b') && !html.contains('\x07'));
    assert!(
        html.contains(r"/home/me/shop/&lt;script&gt;alert(1)&lt;/script&gt;\u{1b}[2J"),
        "a mount path from the engine"
    );
}

#[test]
fn the_policy_allows_exactly_the_inline_script() {
    let html = page(&fixture());
    let start = html.find("<script>").expect("an inline script") + "<script>".len();
    let end = start + html[start..].find("</script>").expect("a closed script");
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&html.as_bytes()[start..end]));
    let policy = format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; \
         img-src data:; script-src 'sha256-{hash}';"
    );
    assert!(html.contains(&policy), "no policy with the script's hash {hash}");
    assert!(html.contains(r#"<meta name="referrer" content="same-origin">"#));
}

/// The values of every `name="…"` attribute in the page.
fn attributes<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let marker = format!(" {name}=\"");
    html.match_indices(&marker)
        .map(|(at, _)| {
            let value = &html[at + marker.len()..];
            &value[..value.find('"').unwrap_or(value.len())]
        })
        .collect()
}

#[test]
fn the_page_links_only_within_itself_and_to_its_ci_run_and_loads_nothing() {
    let receipt = fixture();
    let run = receipt.ci.as_ref().and_then(|c| c.run_url.clone()).unwrap();
    let html = page(&receipt);
    let hrefs = attributes(&html, "href");
    assert!(!hrefs.is_empty());
    let outside: Vec<&str> = hrefs.iter().copied().filter(|h| !h.starts_with('#')).collect();
    assert_eq!(outside, [run.as_str()], "the one link out is the CI run's page");
    assert!(attributes(&html, "src").is_empty());
    assert!(!html.contains("<link") && !html.contains("<script src") && !html.contains("url("));
    assert_eq!(html.matches("https://").count(), 1, "only the run's address");
    assert!(!html.contains("http://"));
}

#[test]
fn a_ci_run_url_that_is_not_a_web_address_is_not_made_a_link() {
    let mut receipt = fixture();
    receipt.ci.as_mut().unwrap().run_url = Some("javascript:alert(1)".into());
    let html = page(&receipt);
    assert!(attributes(&html, "href").iter().all(|h| h.starts_with('#')));
    assert!(!html.contains("javascript:"));
}

#[test]
fn the_first_text_diffs_are_open_and_the_others_closed() {
    let html = page(&big_receipt(50, 3));
    assert!(html.contains(r#"<details class="file" id="file-19" open>"#));
    assert!(html.contains(r#"<details class="file" id="file-20">"#));
    assert_eq!(html.matches(r#"<details class="file""#).count(), 50);
}

#[test]
fn each_process_lists_the_files_it_changed() {
    let html = page(&fixture());
    let chmod = &html[html.find(r#"id="proc-10756""#).unwrap()..];
    let chmod = &chmod[..chmod[1..].find(r#"id="proc-"#).unwrap()];
    // bin/start.sh and run.sh, with what chmod did to them.
    assert!(
        chmod.contains(r##"<a href="#file-6"><code class="path">bin/start.sh</code></a> <span class="action">chmod"##)
    );
    assert!(chmod.contains(r##"<a href="#file-13"><code class="path">run.sh</code></a> <span class="action">chmod"##));
    assert!(chmod.contains("2 files changed"));
}

#[test]
fn a_file_every_process_touched_names_a_few_and_counts_the_rest() {
    let mut r = fixture();
    let template = r.files.outside[0].by[0].clone();
    r.files.outside[0].by = (0..100).map(|pid| Actor { pid, ..template.clone() }).collect();
    r.files.changes[0].by = r.files.outside[0].by.clone();
    let html = page(&r);
    let outside = &html[html.find(r#"<tr id="outside-0">"#).unwrap()..];
    let outside = &outside[..outside.find("</tr>").unwrap()];
    assert_eq!(outside.matches(r#"class="actor""#).count(), 5);
    assert!(outside.contains("and 95 other processes"));
    let file = &html[html.find(r#"id="file-0""#).unwrap()..html.find(r#"id="file-1""#).unwrap()];
    assert_eq!(file.matches(r#"class="actor""#).count(), 20);
    assert!(file.contains("… and 80 more in receipt.json"));
}

#[test]
fn unobserved_aspects_read_not_observed_rather_than_zero() {
    let mut r = fixture();
    r.files.outside.clear();
    let outside = r.observation.coverage.iter_mut().find(|c| c.aspect == Aspect::FilesOutside).unwrap();
    outside.confidence = Confidence::None;
    outside.source = None;
    outside.note = "Only deep mode sees outside the working directory.".into();
    let docker = r.docker.as_mut().unwrap();
    docker.unavailable = Some("no engine before the command: connection refused".into());
    let html = page(&r);
    let counts = &html[html.find(r#"<ul class="counts">"#).unwrap()..html.find("</ul>").unwrap()];
    assert!(counts.contains(r#"<strong class="unseen">not observed</strong><span>outside the cwd</span>"#));
    assert!(counts.contains(r#"<strong class="unseen">not observed</strong><span>docker changes</span>"#));
    assert!(html.contains("Not observed. Only deep mode sees outside the working directory."));
    assert!(html.contains("Not observed: no engine before the command: connection refused"));
}

#[test]
fn a_truncated_stream_shows_head_omission_and_tail() {
    let mut r = fixture();
    let stderr = r.output.stderr.as_mut().unwrap();
    (stderr.head, stderr.tail, stderr.bytes, stderr.truncated) = ("first\n".into(), "last\n".into(), 1000, true);
    let html = page(&r);
    assert!(html.contains(
        r#"<pre class="output">first
</pre><p class="omitted">… 989 bytes omitted …</p><pre class="output">last
</pre>"#
    ));
}

#[test]
fn the_same_receipt_gives_the_same_bytes() {
    let r = big_receipt(200, 100);
    assert_eq!(page(&r), page(&r));
}

/// The deepest nesting of `<details>` elements in `html`.
fn details_depth(html: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0);
    let mut rest = html;
    while let Some(at) = rest.find("details") {
        if rest[..at].ends_with("</") {
            depth -= 1;
        } else if rest[..at].ends_with('<') {
            depth += 1;
            deepest = deepest.max(depth);
        }
        rest = &rest[at + "details".len()..];
    }
    deepest
}

#[test]
fn a_huge_run_renders_with_bounded_nesting() {
    let r = big_receipt(10_000, 5_000);
    let html = page(&r);
    assert_eq!(html.matches(r#"<details class="file""#).count(), 10_000);
    assert_eq!(attributes(&html, "id").iter().filter(|id| id.starts_with("proc-")).count(), 5_000);
    assert!(html.contains(r#"<span class="depth">depth 4999</span>"#), "the chain's end is listed flat");
    assert_eq!(html.matches("<tr><td>tcp</td>").count(), 2_000);
    assert_eq!(details_depth(&html), 32, "the tree nests 32 levels, then lists the rest flat");
}

#[test]
fn a_long_command_is_cut_in_the_title_and_shown_whole_below_it() {
    let mut r = fixture();
    r.command.display = format!("sh -c '{}'", "echo step; ".repeat(40));
    let html = page(&r);
    let title = html.split("<h1>").nth(1).unwrap().split("</h1>").next().unwrap();
    assert!(title.chars().count() < 200 && title.contains('…'), "{title}");
    let full = html.split("<details class=\"full-command\">").nth(1).expect("the whole command below the title");
    assert!(full.contains(&r.command.display), "{}", &full[..200]);
}

/// The served page without its revert form and buttons, and with the policy of a page
/// that posts nowhere.
fn without_revert_forms(html: &str) -> String {
    let mut html = html.replacen("form-action 'self'", "form-action 'none'", 1);
    for (start, end) in [(r#"<form class="revert-all""#, "</form>"), (r#"<button class="revert-one""#, "</button>")] {
        while let Some(at) = html.find(start) {
            let len = html[at..].find(end).unwrap() + end.len();
            html.replace_range(at..at + len, "");
        }
    }
    html
}

#[test]
fn the_served_page_is_the_page_plus_a_revert_button_per_change() {
    let r = fixture();
    let (served, exported) = (served_page(&r), page(&r));
    assert_eq!(without_revert_forms(&served), exported);
    assert!(
        !exported.contains("<form") && !exported.contains("<button class=\"revert"),
        "nothing it cannot do from disk"
    );
    assert!(served.contains("form-action 'self'"), "its buttons may post back to the server");
    let values: Vec<&str> = attributes(&served, "value").into_iter().filter(|v| *v != "1").collect();
    let expected: Vec<String> = r.files.changes.iter().map(|c| path_value(&c.path)).collect();
    assert_eq!(values, expected, "one button per change, naming its path's bytes");
    assert_eq!(attributes(&served, "form").iter().filter(|f| **f == "revert").count(), r.files.changes.len());
}

#[test]
fn a_receipt_without_changes_offers_no_revert() {
    let mut r = fixture();
    r.files.changes.clear();
    let served = served_page(&r);
    assert!(!served.contains("<form") && !served.contains("<button class=\"revert"));
}

fn revert_head(root: &ByteString) -> RevertHead<'_> {
    RevertHead {
        id: "20261121T045024Z-sh-install-sh",
        command: "sh install.sh",
        root,
        git: None,
        reverts_git_refs: false,
    }
}

fn row(path: &[u8], action: &str, note: &str, tone: Tone, pick: Option<bool>) -> RevertRow {
    RevertRow { path: ByteString(path.to_vec()), action: action.into(), note: note.into(), tone, pick }
}

/// One row of each kind a preview shows, with a name that tries to be markup.
fn preview_rows() -> Vec<RevertRow> {
    vec![
        row(b"<script>alert(1)</script>.txt", "delete", "safe", Tone::Ok, Some(true)),
        row(
            b"config/app.toml",
            "restore",
            "changed since the receipt (it was changed after the run)",
            Tone::Warn,
            Some(false),
        ),
        row(b"big\xff.bin", "restore", "before-content not stored (it was over the snapshot cap)", Tone::Bad, None),
        row(b"gone.txt", "recreate", "already reverted", Tone::Quiet, None),
    ]
}

#[test]
fn the_revert_pages_are_stable() {
    let root = ByteString(b"/home/me/proj".to_vec());
    let head = revert_head(&root);
    let chosen = RevertChoice { all: false, paths: vec![ByteString(b"config/app.toml".to_vec())], outside: false };
    let everything = RevertChoice { all: true, ..RevertChoice::default() };
    let notes = ["An earlier revert of this receipt was interrupted: reverting again finishes it.".to_string()];
    let pages = [
        ("revert_preview", revert_preview(&head, &preview_rows(), &notes, &everything, 2)),
        ("revert_confirm", revert_confirm(&head, &preview_rows()[..2], &chosen)),
        (
            "revert_blocked",
            revert_done(&head, &preview_rows()[1..2], "", Some(&RevertStop::Blocked { changed: true }), &chosen),
        ),
        (
            "revert_failed",
            revert_done(
                &head,
                &[row(b"a.txt", "restored", "", Tone::Ok, None)],
                "Reverted 1 change(s); 0 already reverted; 0 left as they are.",
                Some(&RevertStop::Failed {
                    path: &ByteString(b"b.txt".to_vec()),
                    error: "writing b.txt: <ENOSPC>",
                    conflicts: "skip",
                }),
                &chosen,
            ),
        ),
        (
            "revert_done",
            revert_done(
                &head,
                &[
                    row(b"a.txt", "restored", "", Tone::Ok, None),
                    row(b"b.txt", "left", "changed since", Tone::Warn, None),
                ],
                "Reverted 1 change(s); 0 already reverted; 1 left as they are.",
                None,
                &chosen,
            ),
        ),
    ];
    for (name, html) in pages {
        snapshot_settings().bind(|| insta::assert_snapshot!(name, one_tag_per_line(&html)));
    }
}

#[test]
fn revert_pages_show_paths_and_errors_as_text() {
    let root = ByteString(b"/home/<b>me</b>".to_vec());
    let head = revert_head(&root);
    let failed = RevertStop::Failed {
        path: &ByteString(b"<img src=x>".to_vec()),
        error: "<script>alert(2)</script>",
        conflicts: "stop",
    };
    for html in [
        revert_preview(&head, &preview_rows(), &[], &RevertChoice::default(), 0),
        revert_confirm(&head, &preview_rows(), &RevertChoice::default()),
        revert_done(&head, &preview_rows(), "", Some(&failed), &RevertChoice::default()),
    ] {
        assert!(!html.contains("<script>alert") && !html.contains("<img") && !html.contains("<b>me"));
        assert_eq!(html.matches("<script").count(), 0, "revert pages need no script");
        assert!(html.contains(r"big\xff.bin"), "non-UTF-8 bytes show escaped");
    }
    let preview = revert_preview(&head, &preview_rows(), &[], &RevertChoice::default(), 0);
    assert!(preview.contains("&lt;script&gt;alert(1)&lt;/script&gt;.txt"));
    let checkboxes = attributes(&preview, "type").iter().filter(|t| **t == "checkbox").count();
    assert_eq!(checkboxes, 2, "only the safe and the changed rows can be chosen");
    assert!(preview.contains(&format!(
        r#"value="{}" checked"#,
        path_value(&ByteString(b"<script>alert(1)</script>.txt".to_vec()))
    )));
}

#[test]
fn an_output_file_cut_short_by_a_full_disk_is_not_called_the_whole_stream() {
    let mut receipt = fixture();
    let stdout = receipt.output.stdout.get_or_insert_with(|| runglass_model::receipt::Stream {
        file: "stdout".into(),
        bytes: 0,
        head: "".into(),
        tail: "".into(),
        truncated: false,
        stored_bytes: None,
    });
    stdout.bytes = 20971520;
    stdout.head = "xxxx".into();
    stdout.stored_bytes = Some(5234688);
    let html = page(&receipt);
    assert!(html.contains("the rest could not be stored (the data home was full)"), "{html}");
    assert!(!html.contains("The whole stream is in <code>stdout</code>"), "{html}");
}
