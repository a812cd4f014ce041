//! Tests of snapshots: what is recorded and skipped, the stat cache, the cap, the changes
//! found between two snapshots and their diffs (applied with `patch -p1`).

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use runglass_model::receipt::{ChangeKind, Diff, FileChange, FileKind};
use tempfile::TempDir;

use super::*;
use crate::store::blobs::BlobStore;

struct Fixture {
    _tmp: TempDir,
    root: PathBuf,
    data: PathBuf,
    blobs: BlobStore,
}

impl Fixture {
    fn new() -> Fixture {
        let tmp = tempfile::tempdir().expect("tempdir");
        let base = tmp.path().canonicalize().expect("canonical tempdir");
        let root = base.join("root");
        std::fs::create_dir(&root).expect("mkdir root");
        let data = base.join("data");
        let blobs = BlobStore::open(&data.join("blobs")).expect("blob store");
        Fixture { _tmp: tmp, root, data, blobs }
    }

    fn write(&self, rel: impl AsRef<Path>, content: &[u8]) {
        let path = self.root.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, content).expect("write");
    }

    /// A snapshot with a fresh cache (that vouches for nothing).
    fn take(&self, opts: &SnapshotOptions) -> Manifest {
        let mut cache = StatCache::load(&self.data, &self.root);
        take(&self.root, &Rules::load(&self.root), opts, &self.blobs, &mut cache).expect("snapshot")
    }

    fn blob_count(&self) -> usize {
        walkdir::WalkDir::new(self.data.join("blobs")).min_depth(2).into_iter().count()
    }
}

fn opts() -> SnapshotOptions {
    SnapshotOptions { cap_bytes: DEFAULT_CAP_BYTES, exclude: Vec::new(), store_contents: true, progress: false }
}

fn paths(m: &Manifest) -> Vec<String> {
    m.entries.keys().map(|k| String::from_utf8_lossy(k).into_owned()).collect()
}

fn by_path(changes: &[FileChange]) -> BTreeMap<String, &FileChange> {
    changes.iter().map(|c| (c.path.to_string_lossy().into_owned(), c)).collect()
}

#[test]
fn records_kinds_sizes_modes_and_content_hashes() {
    let f = Fixture::new();
    f.write("a.txt", b"alpha\n");
    f.write("sub/b.txt", b"beta\n");
    std::fs::set_permissions(f.root.join("a.txt"), std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let m = f.take(&opts());
    assert_eq!(paths(&m), ["a.txt", "sub", "sub/b.txt"]);
    let a = &m.entries[&b"a.txt".to_vec()];
    assert_eq!((a.kind, a.size, a.mode), (FileKind::File, 6, 0o640));
    assert_eq!(a.hash, Some(*blake3::hash(b"alpha\n").as_bytes()));
    assert!(a.stored && f.blobs.contains(&blake3::hash(b"alpha\n")));
    assert_eq!(m.entries[&b"sub".to_vec()].kind, FileKind::Dir);
    assert_eq!(m.stats.entries, 3);
    assert_eq!(m.stats.bytes_hashed, 11);
    assert_eq!(m.stats.ignore_sources, ["defaults"]);
}

#[test]
fn without_store_contents_files_are_hashed_but_not_stored() {
    let f = Fixture::new();
    f.write("a.txt", b"alpha\n");
    let m = f.take(&SnapshotOptions { store_contents: false, ..opts() });
    let a = &m.entries[&b"a.txt".to_vec()];
    assert!(a.hash.is_some() && !a.stored);
    assert_eq!(f.blob_count(), 0);
}

#[test]
fn ignore_file_negation_reincludes_a_file() {
    let f = Fixture::new();
    f.write(".runglassignore", b"*.log\n!keep.log\n");
    f.write("build.log", b"x");
    f.write("logs/deep.log", b"x");
    f.write("keep.log", b"x");
    let m = f.take(&opts());
    assert_eq!(paths(&m), [".runglassignore", "keep.log", "logs"]);
    assert_eq!(m.stats.ignored, 2);
    assert_eq!(m.stats.ignore_sources, ["defaults", ".runglassignore"]);
}

#[test]
fn default_directories_are_pruned_and_count_once() {
    let f = Fixture::new();
    f.write(".git/HEAD", b"ref: refs/heads/main\n");
    f.write("node_modules/left-pad/index.js", b"x");
    f.write("app/target/debug/app", b"x");
    f.write("pkg/__pycache__/m.pyc", b"x");
    f.write("target", b"a file named like a default directory is kept");
    let m = f.take(&opts());
    assert_eq!(paths(&m), [".git", "app", "pkg", "target"]);
    assert_eq!(m.stats.ignored, 4);
}

#[test]
fn of_a_git_directory_only_hooks_config_and_info_are_walked_at_any_depth() {
    let f = Fixture::new();
    for repo in ["", "vendor/lib/"] {
        f.write(format!("{repo}.git/HEAD"), b"ref: refs/heads/main\n");
        f.write(format!("{repo}.git/objects/ab/cdef"), b"x");
        f.write(format!("{repo}.git/hooks/pre-commit"), b"#!/bin/sh\n");
        f.write(format!("{repo}.git/info/attributes"), b"* filter=x\n");
        f.write(format!("{repo}.git/config"), b"[core]\n");
    }
    let m = f.take(&opts());
    let kept = [".git", ".git/config", ".git/hooks", ".git/hooks/pre-commit", ".git/info", ".git/info/attributes"];
    let nested = kept.map(|p| format!("vendor/lib/{p}"));
    let mut expected: Vec<&str> = kept.to_vec();
    expected.extend(["vendor", "vendor/lib"]);
    expected.extend(nested.iter().map(String::as_str));
    assert_eq!(paths(&m), expected);
    // HEAD and objects/ of each: skipped, and said to be.
    assert_eq!(m.stats.ignored, 4);
    let rules = Rules::load(&f.root);
    assert!(m.covers(b".git/hooks/post-checkout", &rules), "a hook absent from the manifest was looked for");
    assert!(!m.covers(b".git/HEAD", &rules) && !m.covers(b".git/objects/ab/cdef", &rules));
    // Reports group what lies in a .git directory under it, and the rest under the directory skipped.
    assert_eq!(m.skipped_dir_of(b".git/objects/ab/cdef"), Some(&b".git"[..]));
    assert_eq!(m.skipped_dir_of(b".git/HEAD"), Some(&b".git"[..]));
    assert_eq!(m.skipped_dir_of(b"vendor/lib/.git/refs/heads/main"), Some(&b"vendor/lib/.git"[..]));
    assert_eq!(m.skipped_dir_of(b"node_modules/x/index.js"), Some(&b"node_modules"[..]));
    assert_eq!(m.skipped_dir_of(b"vendor/new.txt"), None);
}

#[test]
fn ignore_file_can_reinclude_a_default_directory() {
    let f = Fixture::new();
    f.write(".runglassignore", b"!target/\n");
    f.write("target/out.bin", b"x");
    let m = f.take(&opts());
    assert_eq!(paths(&m), [".runglassignore", "target", "target/out.bin"]);
}

#[test]
fn a_bad_ignore_line_is_reported_and_the_others_still_apply() {
    let f = Fixture::new();
    f.write(".runglassignore", b"*.log\na{b\n");
    f.write("x.log", b"x");
    let m = f.take(&opts());
    assert_eq!(paths(&m), [".runglassignore"]);
    assert!(m.stats.ignore_sources[1].contains("line 2 skipped"), "{:?}", m.stats.ignore_sources);
}

#[test]
fn a_symlinked_ignore_file_is_not_followed() {
    let f = Fixture::new();
    let elsewhere = f.data.join("rules");
    std::fs::write(&elsewhere, b"*.txt\n").expect("write");
    symlink(&elsewhere, f.root.join(".runglassignore")).expect("symlink");
    f.write("a.txt", b"x");
    let m = f.take(&opts());
    assert_eq!(paths(&m), [".runglassignore", "a.txt"]);
    assert_eq!(m.stats.unreadable.len(), 1);
    assert_eq!(m.stats.unreadable[0].0, b".runglassignore");
    assert!(m.stats.unreadable[0].1.contains("symlink, not followed"), "{:?}", m.stats.unreadable);
}

#[test]
fn the_data_directory_is_never_snapshotted_even_inside_the_root() {
    let f = Fixture::new();
    let data = f.root.join("state");
    let blobs = BlobStore::open(&data.join("blobs")).expect("blob store");
    f.write(".runglassignore", b"!state/\n");
    f.write("a.txt", b"alpha\n");
    let mut opts = opts();
    opts.exclude = vec![data.clone()];
    let mut cache = StatCache::load(&data, &f.root);
    // Twice: the second snapshot would see the blobs the first one stored.
    let rules = Rules::load(&f.root);
    take(&f.root, &rules, &opts, &blobs, &mut cache).expect("first");
    let m = take(&f.root, &rules, &opts, &blobs, &mut cache).expect("second");
    assert_eq!(paths(&m), [".runglassignore", "a.txt"]);
    assert_eq!(m.stats.ignored, 1);
}

#[test]
fn symlinks_are_recorded_with_their_target_and_never_followed() {
    let f = Fixture::new();
    f.write("sub/inner.txt", b"x");
    symlink("/etc/passwd", f.root.join("passwd")).expect("symlink");
    symlink("sub", f.root.join("dirlink")).expect("symlink");
    let m = f.take(&opts());
    assert_eq!(paths(&m), ["dirlink", "passwd", "sub", "sub/inner.txt"]);
    let link = &m.entries[&b"passwd".to_vec()];
    assert_eq!(link.kind, FileKind::Symlink);
    assert_eq!(link.target.as_deref(), Some(&b"/etc/passwd"[..]));
    assert_eq!((link.hash, link.stored), (None, false));
    assert_eq!(m.stats.bytes_hashed, 1);
}

#[test]
fn a_stat_cache_hit_does_not_read_the_file_again() {
    let f = Fixture::new();
    f.write("a.txt", b"alpha\n");
    f.write("sub/b.txt", b"beta\n");
    let mut cache = StatCache::load(&f.data, &f.root).trusting_recent_files();
    let first = take(&f.root, &Rules::load(&f.root), &opts(), &f.blobs, &mut cache).expect("first");
    cache.save().expect("save cache");
    let mut cache = StatCache::load(&f.data, &f.root).trusting_recent_files();
    let second = take(&f.root, &Rules::load(&f.root), &opts(), &f.blobs, &mut cache).expect("second");
    assert_eq!(first.stats.bytes_hashed, 11);
    assert_eq!(second.stats.bytes_hashed, 0);
    assert_eq!(first.entries, second.entries);
}

#[test]
fn a_file_with_new_times_is_read_again_despite_the_cache() {
    let f = Fixture::new();
    f.write("a.txt", b"alpha\n");
    let mut cache = StatCache::load(&f.data, &f.root).trusting_recent_files();
    take(&f.root, &Rules::load(&f.root), &opts(), &f.blobs, &mut cache).expect("first");
    // Same size; a distinct mtime even on a filesystem with coarse timestamps.
    f.write("a.txt", b"omega\n");
    let file = std::fs::File::options().write(true).open(f.root.join("a.txt")).expect("open");
    file.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000)).expect("set mtime");
    let second = take(&f.root, &Rules::load(&f.root), &opts(), &f.blobs, &mut cache).expect("second");
    assert_eq!(second.stats.bytes_hashed, 6);
    assert_eq!(second.entries[&b"a.txt".to_vec()].hash, Some(*blake3::hash(b"omega\n").as_bytes()));
}

#[test]
fn the_cache_does_not_vouch_for_files_changed_just_before_a_snapshot() {
    let f = Fixture::new();
    f.write("a.txt", b"alpha\n");
    let mut cache = StatCache::load(&f.data, &f.root);
    take(&f.root, &Rules::load(&f.root), &opts(), &f.blobs, &mut cache).expect("first");
    let second = take(&f.root, &Rules::load(&f.root), &opts(), &f.blobs, &mut cache).expect("second");
    assert_eq!(second.stats.bytes_hashed, 6);
}

#[test]
fn a_cache_hit_whose_blob_is_gone_reads_the_file_to_store_it_again() {
    let f = Fixture::new();
    f.write("a.txt", b"alpha\n");
    let mut cache = StatCache::load(&f.data, &f.root).trusting_recent_files();
    take(&f.root, &Rules::load(&f.root), &opts(), &f.blobs, &mut cache).expect("first");
    std::fs::remove_file(f.blobs.path(&blake3::hash(b"alpha\n"))).expect("remove blob");
    let second = take(&f.root, &Rules::load(&f.root), &opts(), &f.blobs, &mut cache).expect("second");
    assert_eq!(second.stats.bytes_hashed, 6);
    assert!(f.blobs.contains(&blake3::hash(b"alpha\n")));
}

#[test]
fn a_damaged_stat_cache_is_an_empty_one() {
    let f = Fixture::new();
    f.write("a.txt", b"alpha\n");
    let mut cache = StatCache::load(&f.data, &f.root).trusting_recent_files();
    take(&f.root, &Rules::load(&f.root), &opts(), &f.blobs, &mut cache).expect("first");
    cache.save().expect("save");
    let file = std::fs::read_dir(f.data.join("cache")).expect("cache dir").next().expect("a cache file");
    std::fs::write(file.expect("entry").path(), b"RGSTATC1\xff\xff\xff").expect("damage");
    let mut cache = StatCache::load(&f.data, &f.root).trusting_recent_files();
    let second = take(&f.root, &Rules::load(&f.root), &opts(), &f.blobs, &mut cache).expect("second");
    assert_eq!(second.stats.bytes_hashed, 6);
}

#[test]
fn a_file_over_the_cap_is_listed_not_read_nor_stored_and_its_change_is_seen() {
    let f = Fixture::new();
    f.write("big.bin", &[b'x'; 100]);
    f.write("small.txt", b"0123456789");
    let opts = SnapshotOptions { cap_bytes: 10, ..opts() };
    let before = f.take(&opts);
    let big = &before.entries[&b"big.bin".to_vec()];
    assert!(big.capped && big.hash.is_none() && !big.stored);
    assert_eq!(before.stats.capped, [b"big.bin".to_vec()]);
    assert_eq!(before.stats.bytes_hashed, 10);
    assert_eq!(f.blob_count(), 1, "only the file within the cap is stored");

    f.write("big.bin", &[b'y'; 101]);
    let after = f.take(&opts);
    let changes = compare(&before, &after, &f.blobs);
    assert_eq!(changes.len(), 1);
    assert_eq!((changes[0].change, changes[0].content_changed), (ChangeKind::Modified, true));
    assert_eq!(changes[0].diff, Diff::Capped);
    assert!(changes[0].after.as_ref().is_some_and(|s| s.capped));
}

#[test]
fn a_mode_change_of_a_capped_file_is_not_a_content_change() {
    let f = Fixture::new();
    f.write("big.bin", &[b'x'; 100]);
    let opts = SnapshotOptions { cap_bytes: 10, ..opts() };
    let before = f.take(&opts);
    std::fs::set_permissions(f.root.join("big.bin"), std::fs::Permissions::from_mode(0o700)).expect("chmod");
    let after = f.take(&opts);
    let changes = compare(&before, &after, &f.blobs);
    assert_eq!(changes.len(), 1);
    assert_eq!((changes[0].content_changed, changes[0].mode_changed), (false, true));
    assert_eq!(changes[0].diff, Diff::None);
}

#[test]
fn every_kind_of_change_is_found() {
    let f = Fixture::new();
    f.write("same.txt", b"same\n");
    f.write("edit.txt", b"one\n");
    f.write("gone.txt", b"bye\n");
    f.write("file2dir", b"x\n");
    f.write("dir2file/inside.txt", b"x\n");
    f.write("file2link", b"x\n");
    f.write("mode.sh", b"echo\n");
    f.write("touched.txt", b"t\n");
    symlink("a", f.root.join("link")).expect("symlink");
    let before = f.take(&opts());

    f.write("edit.txt", b"two\n");
    std::fs::remove_file(f.root.join("gone.txt")).expect("rm");
    std::fs::remove_file(f.root.join("file2dir")).expect("rm");
    f.write("file2dir/x.txt", b"x\n");
    std::fs::remove_dir_all(f.root.join("dir2file")).expect("rm -r");
    f.write("dir2file", b"now a file\n");
    std::fs::remove_file(f.root.join("file2link")).expect("rm");
    symlink("same.txt", f.root.join("file2link")).expect("symlink");
    std::fs::set_permissions(f.root.join("mode.sh"), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    f.write("touched.txt", b"t\n");
    std::fs::remove_file(f.root.join("link")).expect("rm");
    symlink("b", f.root.join("link")).expect("symlink");
    f.write("new/n.txt", b"new\n");
    let after = f.take(&opts());

    let changes = compare(&before, &after, &f.blobs);
    let summary: Vec<(String, ChangeKind, bool, bool)> = changes
        .iter()
        .map(|c| (c.path.to_string_lossy().into_owned(), c.change, c.content_changed, c.mode_changed))
        .collect();
    let expected = [
        ("dir2file", ChangeKind::TypeChanged, true, true),
        ("dir2file/inside.txt", ChangeKind::Deleted, true, false),
        ("edit.txt", ChangeKind::Modified, true, false),
        ("file2dir", ChangeKind::TypeChanged, true, true),
        ("file2dir/x.txt", ChangeKind::Created, true, false),
        ("file2link", ChangeKind::TypeChanged, true, true),
        ("gone.txt", ChangeKind::Deleted, true, false),
        ("link", ChangeKind::Modified, true, false),
        ("mode.sh", ChangeKind::Modified, false, true),
        ("new", ChangeKind::Created, true, false),
        ("new/n.txt", ChangeKind::Created, true, false),
    ];
    let expected: Vec<_> = expected.iter().map(|(p, k, c, m)| (p.to_string(), *k, *c, *m)).collect();
    assert_eq!(summary, expected);

    let changes = by_path(&changes);
    let link = changes["link"];
    assert_eq!(link.before.as_ref().and_then(|s| s.target.clone()), Some("a".into()));
    assert_eq!(link.after.as_ref().and_then(|s| s.target.clone()), Some("b".into()));
    assert_eq!(link.diff, Diff::None);
    assert_eq!(changes["mode.sh"].diff, Diff::None);
    assert_eq!(changes["new"].diff, Diff::None);
    assert!(matches!(changes["edit.txt"].diff, Diff::Text { added: 1, removed: 1, .. }));
    assert!(matches!(changes["gone.txt"].diff, Diff::Text { added: 0, removed: 1, .. }));
    assert!(changes["edit.txt"].by.is_empty());
}

#[test]
fn binary_content_is_marked_binary() {
    let f = Fixture::new();
    f.write("nul.dat", b"a\0b\n");
    f.write("latin1.txt", b"caf\xe9\n");
    let before = f.take(&opts());
    f.write("nul.dat", b"a\0c\n");
    f.write("latin1.txt", b"th\xe9\n");
    let after = f.take(&opts());
    let changes = compare(&before, &after, &f.blobs);
    assert_eq!(changes.len(), 2);
    assert!(changes.iter().all(|c| c.diff == Diff::Binary), "{changes:?}");
}

#[test]
fn the_after_side_of_a_diff_is_read_from_disk_when_not_stored() {
    let f = Fixture::new();
    f.write("a.txt", b"one\n");
    let before = f.take(&opts());
    f.write("a.txt", b"two\n");
    let after = f.take(&SnapshotOptions { store_contents: false, ..opts() });
    let changes = compare(&before, &after, &f.blobs);
    assert!(matches!(&changes[0].diff, Diff::Text { unified, .. } if unified.contains("+two\n")), "{changes:?}");

    // Changed again since the after snapshot: that content is not the one to show.
    f.write("a.txt", b"three\n");
    let changes = compare(&before, &after, &f.blobs);
    assert!(matches!(&changes[0].diff, Diff::Unavailable { reason } if reason.contains("changed")), "{changes:?}");
}

#[test]
fn unified_diff_has_the_standard_form() {
    let mut budget = diff::Budget::new(diff::TOTAL_LIMIT);
    let before = b"a\nb\nc\nd\ne\nf\ng\nh\n";
    let after = b"a\nb\nc\nD\ne\nf\ng\nh";
    let Diff::Text { unified, added, removed, truncated } =
        diff::unified(b"dir/f.txt", Some(before), Some(after), &mut budget)
    else {
        panic!("expected a text diff");
    };
    let expected = "--- a/dir/f.txt\n+++ b/dir/f.txt\n@@ -1,8 +1,8 @@\n a\n b\n c\n-d\n+D\n e\n f\n g\n-h\n+h\n\
                    \\ No newline at end of file\n";
    assert_eq!(unified, expected);
    assert_eq!((added, removed, truncated), (2, 2, false));
}

#[test]
fn created_and_deleted_files_diff_against_dev_null() {
    let mut budget = diff::Budget::new(diff::TOTAL_LIMIT);
    let created = diff::unified(b"n.txt", None, Some(b"x\ny\n"), &mut budget);
    let deleted = diff::unified(b"n.txt", Some(b"x\n"), None, &mut budget);
    let text = |d: Diff| match d {
        Diff::Text { unified, .. } => unified,
        other => panic!("expected text, got {other:?}"),
    };
    assert_eq!(text(created), "--- /dev/null\n+++ b/n.txt\n@@ -0,0 +1,2 @@\n+x\n+y\n");
    assert_eq!(text(deleted), "--- a/n.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n");
    assert_eq!(diff::unified(b"e", None, Some(b""), &mut budget), Diff::None);
}

#[test]
fn diffs_apply_with_patch_and_rebuild_the_after_tree() {
    let f = Fixture::new();
    let lines = |change: &[(usize, &str)]| -> Vec<u8> {
        let mut text = String::new();
        for i in 1..=30 {
            match change.iter().find(|(n, _)| *n == i) {
                Some((_, line)) => text.push_str(line),
                None => text.push_str(&format!("line {i}\n")),
            }
        }
        text.into_bytes()
    };
    let weird = OsStr::from_bytes(b"caf\xe9 \"q\".txt");
    f.write("edit.txt", &lines(&[]));
    f.write("no-eol.txt", b"a\nb\nc");
    f.write("gains-eol.txt", b"x\ny");
    f.write("loses-eol.txt", b"x\ny\n");
    f.write("gone.txt", b"bye\nnow\n");
    f.write("dir with space/name with space.txt", b"1\n2\n");
    f.write("crlf.txt", b"a\r\nb\r\n");
    f.write(weird, b"old\n");
    let before = f.take(&opts());
    let copy = f.root.with_file_name("copy");
    let git_copy = f.root.with_file_name("git-copy");
    for dir in [&copy, &git_copy] {
        let status = Command::new("cp").arg("-a").arg(&f.root).arg(dir).status().expect("cp");
        assert!(status.success());
    }

    f.write("edit.txt", &lines(&[(2, "two\n"), (12, "twelve\n"), (16, "sixteen\n"), (29, "")]));
    f.write("no-eol.txt", b"a\nb\nc\nd\n");
    f.write("gains-eol.txt", b"x\ny\n");
    f.write("loses-eol.txt", b"x\nz");
    std::fs::remove_file(f.root.join("gone.txt")).expect("rm");
    f.write("dir with space/name with space.txt", b"1\n3\n");
    f.write("crlf.txt", b"a\r\nc\r\n");
    f.write(weird, b"new\n");
    f.write("new/created.txt", b"hello\nworld\n");
    let after = f.take(&opts());

    let mut patch = String::new();
    for change in compare(&before, &after, &f.blobs) {
        match change.diff {
            Diff::Text { unified, truncated: false, .. } => patch.push_str(&unified),
            Diff::None if change.change == ChangeKind::Created => {}
            other => panic!("{:?}: unexpected diff {other:?}", change.path),
        }
    }
    let edit_hunks = patch.split("+++ b/edit.txt").nth(1).expect("edit.txt diff").split("\n--- ").next().unwrap_or("");
    assert_eq!(edit_hunks.matches("\n@@ ").count(), 3, "lines 12 and 16 share a hunk: {patch}");
    let patch_file = f.root.with_file_name("all.patch");
    std::fs::write(&patch_file, &patch).expect("write patch");
    let out = Command::new("patch").args(["-p1", "-E", "--batch", "-i"]).arg(&patch_file).current_dir(&copy).output();
    let out = out.expect("run patch");
    assert!(out.status.success(), "patch failed: {}\n{patch}", String::from_utf8_lossy(&out.stdout));
    let out = Command::new("git").arg("apply").arg(&patch_file).current_dir(&git_copy).output().expect("run git");
    assert!(out.status.success(), "git apply failed: {}\n{patch}", String::from_utf8_lossy(&out.stderr));

    let tree = |root: &Path| -> BTreeMap<Vec<u8>, Vec<u8>> {
        walkdir::WalkDir::new(root)
            .into_iter()
            .map(|e| e.expect("walk"))
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                let rel = e.path().strip_prefix(root).expect("relative").as_os_str().as_bytes().to_vec();
                (rel, std::fs::read(e.path()).expect("read"))
            })
            .collect()
    };
    assert_eq!(tree(&copy), tree(&f.root));
    assert_eq!(tree(&git_copy), tree(&f.root));
}

#[test]
fn a_long_diff_is_cut_at_a_hunk_boundary() {
    let before: String = (0..100_000).map(|i| format!("line {i}\n")).collect();
    let after: String =
        (0..100_000).map(|i| if i % 10 == 0 { format!("LINE {i}\n") } else { format!("line {i}\n") }).collect();
    let mut budget = diff::Budget::new(diff::TOTAL_LIMIT);
    let Diff::Text { unified, added, removed, truncated } =
        diff::unified(b"big.txt", Some(before.as_bytes()), Some(after.as_bytes()), &mut budget)
    else {
        panic!("expected a text diff");
    };
    assert!(truncated);
    assert!(unified.len() <= diff::FILE_LIMIT);
    // The last hunk kept is whole: as many old lines as its header says.
    let (header, body) = unified.rsplit_once("\n@@ -").expect("a hunk");
    let _ = header;
    let old_len: usize = body.split([',', ' ']).nth(1).and_then(|n| n.parse().ok()).expect("hunk header");
    assert_eq!(body.lines().skip(1).filter(|l| l.starts_with(' ') || l.starts_with('-')).count(), old_len);
    assert_eq!((added, removed), (10_000, 10_000));
}

#[test]
fn diffs_share_one_budget() {
    let before: String = (0..20_000).map(|i| format!("line {i}\n")).collect();
    let after = before.replace("line", "LINE");
    let mut budget = diff::Budget::new(300 * 1024);
    let first = diff::unified(b"a", Some(before.as_bytes()), Some(after.as_bytes()), &mut budget);
    let second = diff::unified(b"b", Some(before.as_bytes()), Some(after.as_bytes()), &mut budget);
    assert!(matches!(first, Diff::Text { truncated: true, .. }));
    assert!(matches!(second, Diff::Text { truncated: true, ref unified, .. } if unified.is_empty()), "{second:?}");
}

#[test]
fn entries_under_a_directory_that_could_not_be_listed_are_not_reported_deleted() {
    let f = Fixture::new();
    f.write("locked/secret.txt", b"x\n");
    f.write("other.txt", b"x\n");
    let before = f.take(&opts());
    let mut after = before.clone();
    after.entries.retain(|path, _| path != b"locked/secret.txt" && path != b"other.txt");
    after.stats.unreadable = vec![(b"locked".to_vec(), "Permission denied (os error 13)".to_string())];
    let changes = compare(&before, &after, &f.blobs);
    let changed: Vec<_> = changes.iter().map(|c| c.path.to_string_lossy().into_owned()).collect();
    assert_eq!(changed, ["other.txt"]);
}

#[test]
fn manifest_survives_save_and_load() {
    let f = Fixture::new();
    f.write("a.txt", b"alpha\n");
    f.write(OsStr::from_bytes(b"caf\xe9"), b"x");
    symlink("a.txt", f.root.join("link")).expect("symlink");
    let m = f.take(&SnapshotOptions { cap_bytes: 3, ..opts() });
    let path = f.data.join("snapshot-before.bin");
    std::fs::write(&path, m.to_bytes()).expect("save");
    assert_eq!(super::load(&path).expect("load"), m);
}

#[test]
fn a_file_that_is_not_a_manifest_is_a_clear_error() {
    let f = Fixture::new();
    let path = f.data.join("bad.bin");
    std::fs::write(&path, b"{\"json\": true}").expect("write");
    let err = format!("{:#}", super::load(&path).expect_err("not a manifest"));
    assert!(err.contains("bad.bin: it is not a runglass snapshot manifest"), "{err}");

    f.write("a.txt", b"alpha\n");
    std::fs::write(&path, f.take(&opts()).to_bytes()).expect("save");
    let mut bytes = std::fs::read(&path).expect("read");
    bytes.truncate(bytes.len() - 5);
    std::fs::write(&path, &bytes).expect("truncate");
    let err = format!("{:#}", super::load(&path).expect_err("truncated"));
    assert!(err.contains("bad.bin: it is damaged"), "{err}");
}

#[test]
fn a_root_that_cannot_be_read_is_one_clear_error() {
    let f = Fixture::new();
    let missing = f.root.join("missing");
    let mut cache = StatCache::load(&f.data, &missing);
    let err = take(&missing, &Rules::load(&missing), &opts(), &f.blobs, &mut cache).expect_err("no such root");
    let err = format!("{err:#}");
    assert!(err.starts_with(&format!("cannot snapshot {}: ", missing.display())), "{err}");
    assert!(!err.contains('\n'));
}

#[test]
fn dry_run_reports_what_would_be_read_and_skipped_without_storing() {
    let f = Fixture::new();
    f.write(".runglassignore", b"*.log\n");
    f.write("src/main.rs", b"fn main() {}\n");
    f.write("debug.log", b"x");
    f.write("node_modules/m/index.js", b"x");
    f.write("big.iso", &[0u8; 2048]);
    let report = dry_run(&f.root, &SnapshotOptions { cap_bytes: 1024, ..opts() }).expect("dry run");
    assert_eq!((report.files, report.dirs, report.symlinks), (3, 1, 0));
    assert_eq!(report.bytes_to_read, 6 + 13);
    assert_eq!(report.capped, [(b"big.iso".to_vec(), 2048)]);
    let text = report.render();
    assert!(text.contains("debug.log  rule `*.log` (.runglassignore)"), "{text}");
    assert!(text.contains("node_modules/  rule `node_modules/` (defaults)"), "{text}");
    assert!(text.contains("big.iso  2.0 KiB"), "{text}");
    assert!(text.contains("cap of 1.0 KiB"), "{text}");
    assert_eq!(f.blob_count(), 0);
}

#[test]
fn the_cap_reads_bytes_and_binary_suffixes_and_rejects_anything_else() {
    assert_eq!(parse_cap(OsStr::new("1000")).expect("bytes"), 1000);
    assert_eq!(parse_cap(OsStr::new("10M")).expect("MiB"), 10 << 20);
    assert_eq!(parse_cap(OsStr::new("2GiB")).expect("GiB"), 2 << 30);
    assert_eq!(parse_cap(OsStr::new(" 512k ")).expect("KiB"), 512 << 10);
    let err = parse_cap(OsStr::new("lots")).expect_err("not a size").to_string();
    assert!(err.starts_with("RUNGLASS_MAX_SNAPSHOT_BYTES=\"lots\" is not a size"), "{err}");
    assert!(parse_cap(OsStr::new("99999999999G")).is_err(), "overflow");
}

#[test]
fn entry_state_shows_the_hash_in_hex() {
    let f = Fixture::new();
    f.write("a.txt", b"alpha\n");
    let m = f.take(&opts());
    let state = entry_state(&m.entries[&b"a.txt".to_vec()]);
    assert_eq!(state.blake3, Some(blake3::hash(b"alpha\n").to_hex().to_string()));
    assert!(state.stored && !state.capped);
}

/// Measures snapshots of the tree named by `RUNGLASS_SNAPSHOT_BENCH` (made, for example, by
/// `../shared/workloads/gen-tree.sh DIR 20000 1024`): a first one with an empty cache and
/// blob store, then a repeated one. The store goes to `RUNGLASS_SNAPSHOT_BENCH_DATA` (a new
/// directory, left in place: deleting 20 000 files just before creating as many slows some
/// filesystems down). Run in release with `--ignored --nocapture`, under `/usr/bin/time -v`
/// for peak memory. It prints timings and asserts nothing about them.
#[test]
#[ignore]
fn measure_snapshots_of_a_large_tree() {
    let (Some(dir), Some(data)) =
        (std::env::var_os("RUNGLASS_SNAPSHOT_BENCH"), std::env::var_os("RUNGLASS_SNAPSHOT_BENCH_DATA"))
    else {
        eprintln!("set RUNGLASS_SNAPSHOT_BENCH (a tree) and RUNGLASS_SNAPSHOT_BENCH_DATA (a new directory)");
        return;
    };
    let root = Path::new(&dir).canonicalize().expect("canonical root");
    let data = Path::new(&data);
    let blobs = BlobStore::open(&data.join("blobs")).expect("blob store");
    let hash_only = SnapshotOptions { store_contents: false, ..opts() };
    // The first snapshot with an empty cache and store, then one with the cache it saved.
    let hash_only_data = data.join("hash-only");
    let runs =
        [("hash only", &hash_only, hash_only_data.as_path()), ("first", &opts(), data), ("repeated", &opts(), data)];
    for (name, opts, cache_dir) in runs {
        let mut cache = StatCache::load(cache_dir, &root);
        let m = take(&root, &Rules::load(&root), opts, &blobs, &mut cache).expect("snapshot");
        cache.save().expect("save cache");
        let s = &m.stats;
        eprintln!("{name}: {} entries, {} MiB read, {} ms", s.entries, s.bytes_hashed >> 20, s.took_ms);
    }
}
