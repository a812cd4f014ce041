//! The receipt's files: what the snapshots found changed, each with the processes that
//! changed it; what the trace saw where the snapshots did not look (directories they skip,
//! such as `.git` and `node_modules`); changes outside the working directory; paths that
//! came and went within the run; and files read.
//!
//! A path the trace acted on is classified by its state before (from the before-snapshot
//! where it looked, else from the capture taken at the first call that changed it) and its
//! state after (from the after-snapshot where it looked, else as it is now). A path that was
//! not there before and is not there after is transient: listed apart, never counted as a
//! change. A path as it was before is `unchanged` (opened for writing and left alone).

use std::collections::HashSet;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use runglass_model::ByteString;
use runglass_model::receipt::{
    Action, Actor, ChangeKind, Diff, FileChange, FileKind, FileRead, FileState, OutsideChange, Source, TransientPath,
};

use super::captured::Captured;
use crate::collect::after_run::DiskView;
use super::file_actions::FileActions;
use crate::collect::snapshot::{self, Coverage, Manifest, Rules, entry_state};

/// What the snapshots saw, for folding the trace's file actions into the receipt.
pub struct Snapshots<'a> {
    /// The working directory, canonical.
    pub root: &'a Path,
    /// The changes between the two snapshots (None: no after-snapshot was taken).
    pub changes: Option<&'a [FileChange]>,
    pub before: Option<&'a Manifest>,
    pub after: Option<&'a Manifest>,
    /// The rules both snapshots skipped by.
    pub rules: &'a Rules,
}

/// The file lists of a receipt.
pub struct Folded {
    pub changes: Vec<FileChange>,
    pub outside: Vec<OutsideChange>,
    pub transient: Vec<TransientPath>,
    pub reads: Vec<FileRead>,
}

pub fn fold(actions: &FileActions, captured: &Captured, seen: &Snapshots, disk: &dyn DiskView) -> Folded {
    let mut transient = Vec::new();
    let mut changes = snapshot_changes(actions, captured, seen, disk);
    let listed: HashSet<&[u8]> = seen.changes.into_iter().flatten().map(|c| c.path.as_bytes()).collect();
    let mut budget = snapshot::diff::Budget::new(snapshot::diff::TOTAL_LIMIT);
    for (rel, by) in &actions.inside {
        if listed.contains(rel.as_slice()) {
            continue;
        }
        match trace_change(rel, by, captured, seen, disk, &mut budget) {
            Some(Fate::Change(change)) => changes.push(*change),
            Some(Fate::Transient) => {
                transient.push(TransientPath { path: rel.clone().into(), inside: true, by: by.clone() })
            }
            None => {}
        }
    }
    changes.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
    let mut outside = Vec::new();
    for (path, by) in &actions.outside {
        match outside_change(path, by, captured, disk) {
            Some(change) => outside.push(change),
            None => transient.push(TransientPath { path: path.clone().into(), inside: false, by: by.clone() }),
        }
    }
    Folded { changes, outside, transient, reads: reads(actions, disk) }
}

/// The snapshots' changes, each with the processes that acted on its path (deep mode).
/// Snapshots do not read extended attributes; for the few paths that changed, the names
/// are read now (after) and taken from the capture at the first traced call (before).
fn snapshot_changes(
    actions: &FileActions,
    captured: &Captured,
    seen: &Snapshots,
    disk: &dyn DiskView,
) -> Vec<FileChange> {
    let mut changes = seen.changes.unwrap_or_default().to_vec();
    for c in &mut changes {
        let full = seen.root.join(OsStr::from_bytes(c.path.as_bytes()));
        if let Some(after) = c.after.as_mut() {
            after.xattrs = disk.xattr_names(&full);
        }
        let captured_before = captured.get(full.as_os_str().as_bytes(), disk).and_then(|b| b.state);
        if let (Some(before), Some(then)) = (c.before.as_mut(), captured_before)
            && before.kind == then.kind
        {
            before.xattrs = then.xattrs;
        }
        c.xattrs_changed = c.before.as_ref().zip(c.after.as_ref()).is_some_and(|(b, a)| b.xattrs_differ(a));
        if let Some(by) = actions.inside.get(c.path.as_bytes()) {
            c.by = by.clone();
            settle_creates(&mut c.by, c.before.is_some());
        }
    }
    changes
}

enum Fate {
    Change(Box<FileChange>),
    Transient,
}

/// A path inside the root that the trace acted on and the snapshots did not list as changed.
fn trace_change<'a>(
    rel: &[u8],
    by: &[Actor],
    captured: &Captured,
    seen: &Snapshots<'a>,
    disk: &dyn DiskView,
    budget: &mut snapshot::diff::Budget,
) -> Option<Fate> {
    let full = seen.root.join(OsStr::from_bytes(rel));
    let covered = |m: Option<&'a Manifest>| m.filter(|m| m.covers(rel, seen.rules));
    // Where both snapshots looked, they have the last word: a path neither lists came and
    // went; one they list was compared and did not change.
    let capture = captured.get(full.as_os_str().as_bytes(), disk);
    if let (Some(before), Some(after)) = (covered(seen.before), covered(seen.after)) {
        if !before.entries.contains_key(rel) && !after.entries.contains_key(rel) {
            return Some(Fate::Transient);
        }
        return xattr_change(rel, &full, by, capture.and_then(|c| c.state).map(Into::into), disk).map(Fate::Change);
    }
    let before: Known = match covered(seen.before) {
        Some(m) => Known::Yes(m.entries.get(rel).map(entry_state)),
        None => match &capture {
            Some(c) => Known::Yes(c.state.clone().map(Into::into)),
            None => Known::No,
        },
    };
    let after = match covered(seen.after) {
        Some(m) => m.entries.get(rel).map(entry_state),
        None => disk.state(&full, false, keeps_after_content(rel)),
    };
    let skipped = seen.before.or(seen.after).and_then(|m| m.skipped_dir_of(rel)).map(ByteString::from);
    let (kind, flags) = match classify(&before, after.as_ref(), by) {
        Class::Transient => return Some(Fate::Transient),
        Class::Change(kind, flags) => (kind, flags),
    };
    let mut by = by.to_vec();
    if let Known::Yes(state) = &before {
        settle_creates(&mut by, state.is_some());
    }
    let before = match before {
        Known::Yes(state) => state,
        Known::No => None,
    };
    let diff = trace_diff(rel, kind, flags.content, before.as_ref(), after.as_ref(), disk, skipped.as_ref(), budget);
    Some(Fate::Change(Box::new(FileChange {
        path: rel.into(),
        change: kind,
        before,
        after,
        content_changed: flags.content,
        mode_changed: flags.mode,
        owner_changed: flags.owner,
        xattrs_changed: flags.xattrs,
        diff,
        by,
        seen_by: Source::Trace,
        captured: capture.is_some() || covered(seen.before).is_some(),
        skipped_dir: skipped,
    })))
}

/// A path both snapshots listed and found unchanged, whose extended attributes the trace saw
/// set or removed: the snapshots do not read attributes, the capture before the first call
/// and the state now do.
fn xattr_change(
    rel: &[u8],
    full: &Path,
    by: &[Actor],
    before: Option<FileState>,
    disk: &dyn DiskView,
) -> Option<Box<FileChange>> {
    if !by.iter().any(|a| matches!(a.action, Action::SetXattr | Action::RemoveXattr)) {
        return None;
    }
    let before = before?;
    let after = disk.state(full, false, false)?;
    if !before.xattrs_differ(&after) {
        return None;
    }
    Some(Box::new(FileChange {
        path: rel.into(),
        change: ChangeKind::Modified,
        content_changed: false,
        mode_changed: false,
        owner_changed: before.owner_differs(&after),
        xattrs_changed: true,
        before: Some(before),
        after: Some(after),
        diff: Diff::None,
        by: by.to_vec(),
        seen_by: Source::Trace,
        captured: true,
        skipped_dir: None,
    }))
}

/// After-contents worth keeping where the snapshots do not look: what git runs or obeys
/// (hooks, the repository's config, `info/`). Dependencies' files are not copied.
fn keeps_after_content(rel: &[u8]) -> bool {
    let parts: Vec<&[u8]> = rel.split(|&b| b == b'/').collect();
    parts.windows(2).any(|w| w[0] == b".git" && matches!(w[1], b"hooks" | b"info" | b"config"))
}

/// The diff of a change the trace saw: from the stored before-content (captured at the
/// call) and the stored after-content (kept for the paths [`keeps_after_content`] names).
#[allow(clippy::too_many_arguments)]
fn trace_diff(
    rel: &[u8],
    kind: ChangeKind,
    content_changed: bool,
    before: Option<&FileState>,
    after: Option<&FileState>,
    disk: &dyn DiskView,
    skipped: Option<&ByteString>,
    budget: &mut snapshot::diff::Budget,
) -> Diff {
    let is_file = |s: Option<&FileState>| s.is_some_and(|s| s.kind == FileKind::File);
    if kind == ChangeKind::TypeChanged || !content_changed || !(is_file(before) || is_file(after)) {
        return Diff::None;
    }
    let where_ = skipped.map_or_else(|| "a path the snapshots skip".to_string(), |d| d.shell_word());
    let side = |state: Option<&FileState>, missing: &str| -> Result<Option<Vec<u8>>, Diff> {
        let Some(state) = state else { return Ok(None) };
        if state.capped {
            return Err(Diff::Capped);
        }
        let hash = state.blake3.as_deref().and_then(|h| blake3::Hash::from_hex(h).ok());
        match hash {
            Some(hash) if state.stored => {
                disk.blob(&hash, state.size).map(Some).map_err(|reason| Diff::Unavailable { reason })
            }
            _ => Err(Diff::Unavailable { reason: missing.to_string() }),
        }
    };
    let old = side(before, "its content before the command was not captured");
    let new = side(after, &format!("in {where_}, which the snapshots skip: its content after was not kept"));
    match (old, new) {
        (Err(Diff::Capped), _) | (_, Err(Diff::Capped)) => Diff::Capped,
        (Err(why), _) | (_, Err(why)) => why,
        (Ok(old), Ok(new)) => snapshot::diff::unified(rel, old.as_deref(), new.as_deref(), budget),
    }
}

/// A path outside the root; None when it came and went (transient).
fn outside_change(path: &[u8], by: &[Actor], captured: &Captured, disk: &dyn DiskView) -> Option<OutsideChange> {
    let capture = captured.get(path, disk);
    let followed = capture.as_ref().is_some_and(|b| b.followed);
    let full = Path::new(OsStr::from_bytes(path));
    let after = disk.state(full, followed, false);
    let before = match &capture {
        Some(c) => Known::Yes(c.state.clone().map(Into::into)),
        None => Known::No,
    };
    let (change, flags) = match classify(&before, after.as_ref(), by) {
        Class::Transient => return None,
        Class::Change(kind, flags) => (kind, flags),
    };
    let mut by = by.to_vec();
    if let Known::Yes(state) = &before {
        settle_creates(&mut by, state.is_some());
    }
    Some(OutsideChange {
        path: path.into(),
        by,
        exists_after: disk.exists(full),
        captured: capture.is_some(),
        before: match before {
            Known::Yes(state) => state,
            Known::No => None,
        },
        after,
        followed,
        change,
        content_changed: flags.content,
        mode_changed: flags.mode,
        owner_changed: flags.owner,
        xattrs_changed: flags.xattrs,
    })
}

/// A state before the command: known (None: nothing was there), or not known at all.
enum Known {
    Yes(Option<FileState>),
    No,
}

/// What differs between before and after.
#[derive(Clone, Copy, Default)]
struct Differs {
    content: bool,
    mode: bool,
    owner: bool,
    xattrs: bool,
}

enum Class {
    Transient,
    Change(ChangeKind, Differs),
}

/// What happened to a path, from its states before and after; where the before-state is
/// not known, what the first process did to it decides whether it was made in the run.
fn classify(before: &Known, after: Option<&FileState>, by: &[Actor]) -> Class {
    let all = Differs { content: true, ..Differs::default() };
    match (before, after) {
        (Known::Yes(None), None) => Class::Transient,
        (Known::Yes(Some(_)), None) => Class::Change(ChangeKind::Deleted, all),
        (Known::Yes(None), Some(_)) => Class::Change(ChangeKind::Created, all),
        (Known::Yes(Some(b)), Some(a)) => compare(b, a),
        (Known::No, after) => {
            let made = by.first().is_some_and(|a| {
                matches!(a.action, Action::Mkdir | Action::Symlinked | Action::Mknod | Action::Linked)
            });
            match (made, after) {
                (true, None) => Class::Transient,
                (false, None) => Class::Change(ChangeKind::Deleted, all),
                (true, Some(_)) => Class::Change(ChangeKind::Created, all),
                (false, Some(_)) => Class::Change(ChangeKind::Modified, all),
            }
        }
    }
}

/// Two states of one path.
fn compare(b: &FileState, a: &FileState) -> Class {
    if b.kind != a.kind {
        return Class::Change(
            ChangeKind::TypeChanged,
            Differs { content: true, mode: b.mode != a.mode, ..Differs::default() },
        );
    }
    let content = match a.kind {
        FileKind::File => match (&b.blake3, &a.blake3) {
            (Some(hb), Some(ha)) => hb != ha,
            _ => b.size != a.size || b.mtime_ns != a.mtime_ns,
        },
        FileKind::Symlink => b.target != a.target,
        FileKind::Dir | FileKind::Other => false,
    };
    let differs = Differs {
        content,
        // Symlink permissions mean nothing on Linux.
        mode: a.kind != FileKind::Symlink && b.mode != a.mode,
        owner: b.owner_differs(a),
        xattrs: b.xattrs_differ(a),
    };
    let touched = a.kind == FileKind::File && b.mtime_ns != a.mtime_ns;
    if differs.content || differs.mode || differs.owner || differs.xattrs || touched {
        Class::Change(ChangeKind::Modified, differs)
    } else {
        Class::Change(ChangeKind::Unchanged, differs)
    }
}

/// An open with O_CREAT (a shell's `>>`) creates the file only when it is not there. The
/// trace cannot tell, but the state before can: until something removes or replaces a
/// path that existed before, such opens only wrote to it.
pub(super) fn settle_creates(by: &mut [Actor], existed_before: bool) {
    let mut exists = existed_before;
    for actor in by {
        match actor.action {
            Action::Created if exists => actor.action = Action::Wrote,
            Action::Removed | Action::RenamedFrom => exists = false,
            _ => exists = true,
        }
    }
}

/// Files read, with the hash of their content now (regular files up to the cap).
fn reads(actions: &FileActions, disk: &dyn DiskView) -> Vec<FileRead> {
    actions
        .reads
        .iter()
        .map(|(path, by)| {
            let (blake3, size) = disk.read_hash(Path::new(OsStr::from_bytes(path)));
            FileRead { path: ByteString(path.clone()), blake3, size, by: by.clone() }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actors(actions: &[Action]) -> Vec<Actor> {
        actions.iter().map(|&action| Actor { pid: 7, process: 0, exec: None, action, at_ms: 0 }).collect()
    }

    fn file(hash: &str, mode: u32) -> FileState {
        FileState {
            kind: FileKind::File,
            size: 1,
            mode,
            mtime_ns: 5,
            blake3: Some(hash.into()),
            target: None,
            capped: false,
            stored: false,
            uid: Some(1000),
            gid: Some(1000),
            xattrs: Some(Vec::new()),
        }
    }

    fn kind(class: Class) -> Option<ChangeKind> {
        match class {
            Class::Transient => None,
            Class::Change(kind, _) => Some(kind),
        }
    }

    #[test]
    fn an_append_to_a_file_that_existed_is_a_write_and_a_create_after_removal_stays_one() {
        let mut by = actors(&[Action::Created]);
        settle_creates(&mut by, true);
        assert_eq!(by[0].action, Action::Wrote, "`>>` on an existing file");
        let mut by = actors(&[Action::Created]);
        settle_creates(&mut by, false);
        assert_eq!(by[0].action, Action::Created, "a new file");
        let mut by = actors(&[Action::Removed, Action::Created, Action::Created]);
        settle_creates(&mut by, true);
        let got: Vec<Action> = by.iter().map(|a| a.action).collect();
        assert_eq!(got, [Action::Removed, Action::Created, Action::Wrote]);
    }

    #[test]
    fn paths_are_classified_by_their_states_before_and_after() {
        let by = actors(&[Action::Truncated]);
        let a = file("aa", 0o644);
        assert_eq!(kind(classify(&Known::Yes(None), None, &by)), None, "came and went");
        assert_eq!(kind(classify(&Known::Yes(None), Some(&a), &by)), Some(ChangeKind::Created));
        assert_eq!(kind(classify(&Known::Yes(Some(a.clone())), None, &by)), Some(ChangeKind::Deleted));
        assert_eq!(kind(classify(&Known::Yes(Some(a.clone())), Some(&a), &by)), Some(ChangeKind::Unchanged));
        assert_eq!(
            kind(classify(&Known::Yes(Some(a.clone())), Some(&file("bb", 0o644)), &by)),
            Some(ChangeKind::Modified)
        );
        let chowned = FileState { uid: Some(0), ..a.clone() };
        let Class::Change(ChangeKind::Modified, differs) = classify(&Known::Yes(Some(a.clone())), Some(&chowned), &by)
        else {
            panic!("an owner change is a change")
        };
        assert!(differs.owner && !differs.content && !differs.mode);
        let capped = FileState { xattrs: Some(vec!["security.capability".into()]), ..a.clone() };
        let Class::Change(_, differs) = classify(&Known::Yes(Some(a.clone())), Some(&capped), &by) else { panic!() };
        assert!(differs.xattrs);
        // Before not known: what the first process did decides.
        assert_eq!(kind(classify(&Known::No, None, &actors(&[Action::Mkdir, Action::Removed]))), None);
        assert_eq!(kind(classify(&Known::No, None, &by)), Some(ChangeKind::Deleted));
        assert_eq!(kind(classify(&Known::No, Some(&a), &by)), Some(ChangeKind::Modified));
    }

    #[test]
    fn after_contents_are_kept_for_what_git_runs_or_obeys() {
        for (rel, kept) in [
            (&b".git/hooks/pre-commit"[..], true),
            (b".git/config", true),
            (b"sub/.git/info/attributes", true),
            (b".git/objects/ab/cdef", false),
            (b"node_modules/x/index.js", false),
            (b"hooks/.git", false),
        ] {
            assert_eq!(keeps_after_content(rel), kept, "{}", String::from_utf8_lossy(rel));
        }
    }

    /// A world of fixed answers, with nothing behind it on disk.
    struct FixedWorld(std::collections::HashMap<Vec<u8>, FileState>);

    impl DiskView for FixedWorld {
        fn real_dir(&self, dir: &[u8]) -> Option<Vec<u8>> {
            Some(dir.to_vec())
        }
        fn state(&self, path: &Path, _followed: bool, _keep: bool) -> Option<FileState> {
            self.0.get(path.as_os_str().as_bytes()).cloned()
        }
        fn xattr_names(&self, _path: &Path) -> Option<Vec<ByteString>> {
            None
        }
        fn exists(&self, path: &Path) -> bool {
            self.0.contains_key(path.as_os_str().as_bytes())
        }
        fn read_hash(&self, path: &Path) -> (Option<String>, Option<u64>) {
            let state = self.0.get(path.as_os_str().as_bytes());
            (state.and_then(|s| s.blake3.clone()), state.map(|s| s.size))
        }
        fn stored(&self, _hash: &blake3::Hash) -> bool {
            false
        }
        fn blob(&self, _hash: &blake3::Hash, _size: u64) -> Result<Vec<u8>, String> {
            Err("no store in this world".into())
        }
    }

    #[test]
    fn the_fold_sees_the_disk_only_through_its_view() {
        use runglass_model::{Event, EventKind, OpenFlags, SyscallResult};

        use crate::receipt::processes::Who;
        // None of these paths exists on this machine: what the fold says of them, it
        // can only have from the view it was handed.
        let (written, read) = ("/nowhere-rg/out.txt", "/nowhere-rg/config");
        let world =
            FixedWorld([(written, file("aa", 0o600)), (read, file("bb", 0o644))].map(|(p, s)| (p.into(), s)).into());
        let root = tempfile::tempdir().unwrap();
        let mut actions = FileActions::new(root.path(), Path::new("/nowhere-rg-data"));
        let who = || Who { pid: 7, process: 0, exec: None };
        for (path, flags) in [(written, 0o1101), (read, 0)] {
            let kind = EventKind::Open {
                path: path.into(),
                flags: OpenFlags(flags),
                mode: 0o644,
                result: SyscallResult::Ok(3),
                named: None,
            };
            actions.observe(&Event { time_ns: 0, pid: 7, tid: 7, kind }, who, &world);
        }
        let rules = Rules::load(root.path());
        let seen = Snapshots { root: root.path(), changes: None, before: None, after: None, rules: &rules };
        let folded = fold(&actions, &Captured::new(), &seen, &world);

        let [out] = &folded.outside[..] else { panic!("{:?}", folded.outside) };
        assert_eq!(out.path.as_bytes(), written.as_bytes());
        assert_eq!(out.after.as_ref().and_then(|a| a.blake3.as_deref()), Some("aa"));
        assert!(out.exists_after);
        let [r] = &folded.reads[..] else { panic!("{:?}", folded.reads) };
        assert_eq!((r.blake3.as_deref(), r.size), (Some("bb"), Some(1)));
    }
}
