//! How HEAD, the local branches and the tags moved between two readings: the refs created,
//! deleted and moved, the commits that became reachable and those that stopped being, and
//! how far HEAD went forward and back. Nothing is run when nothing moved; otherwise two
//! to five gits, two at a time, each told its starting points on stdin.

use runglass_model::ByteString;
use runglass_model::receipt::{GitAfter, GitCommit, GitRefChange};

use super::run::{GitError, Runner, TIMEOUT};
use super::state::{Refs, trimmed};

/// Commits listed per side; the rest are counted.
pub(super) const MAX_COMMITS: usize = 100;
/// Ref changes listed; the rest are counted.
pub(super) const MAX_REFS: usize = 100;
/// A subject is cut to this many bytes.
const MAX_SUBJECT: usize = 500;

/// What moved from `before` to `after`; `limits` gets what could not be read.
pub(super) fn compare(runner: &Runner, before: &Refs, after: &Refs, limits: &mut Vec<String>) -> GitAfter {
    let mut moved =
        GitAfter { commit: after.head.clone(), branch: after.branch.clone().map(ByteString), ..GitAfter::default() };
    let names: std::collections::BTreeSet<&Vec<u8>> = before.refs.keys().chain(after.refs.keys()).collect();
    let mut refs: Vec<GitRefChange> = names
        .into_iter()
        .filter_map(|name| {
            let (b, a) = (before.refs.get(name), after.refs.get(name));
            (b != a).then(|| GitRefChange { name: ByteString(name.clone()), before: b.cloned(), after: a.cloned() })
        })
        .collect();
    moved.refs_more = refs.len().saturating_sub(MAX_REFS) as u64;
    refs.truncate(MAX_REFS);
    moved.refs = refs;
    if before.head == after.head && moved.refs.is_empty() {
        return moved;
    }

    let mut note = |what: &str, e: GitError| limits.push(format!("{what}: {e}"));
    let (tips_before, tips_after) = (tips(before), tips(after));
    // The commits added on one thread, those dropped and HEAD's move on another.
    let sibling = runner.sibling();
    let (added, dropped, head) = std::thread::scope(|s| {
        let added = s.spawn(|| commits(&sibling, &tips_after, &tips_before));
        let dropped = commits(runner, &tips_before, &tips_after);
        let head = head_move(runner, before.head.as_deref(), after.head.as_deref());
        (added.join().unwrap_or(Err(GitError::GaveUp)), dropped, head)
    });
    match added {
        Ok((listed, more)) => (moved.commits, moved.commits_more) = (listed, more),
        Err(e) => note("the commits the command added", e),
    }
    match dropped {
        Ok((listed, more)) => (moved.dropped, moved.dropped_more) = (listed, more),
        Err(e) => note("the commits no longer reachable", e),
    }
    match head {
        Ok((behind, ahead)) => (moved.head_behind, moved.head_ahead) = (behind, ahead),
        Err(e) => note("how far HEAD moved", e),
    }
    moved
}

/// The starting points of a reading: HEAD and every ref (tags to trees or blobs are
/// passed too; rev-list leaves them out).
fn tips(refs: &Refs) -> Vec<&str> {
    let mut tips: Vec<&str> = refs.head.iter().chain(refs.refs.values()).map(String::as_str).collect();
    tips.sort_unstable();
    tips.dedup();
    tips
}

/// Commits reachable from `from` and not from `not`: the newest [`MAX_COMMITS`], and
/// how many more.
fn commits(runner: &Runner, from: &[&str], not: &[&str]) -> Result<(Vec<GitCommit>, u64), GitError> {
    if from.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let mut input = String::new();
    for tip in from {
        input.push_str(tip);
        input.push('\n');
    }
    input.push_str("--not\n");
    for tip in not {
        input.push_str(tip);
        input.push('\n');
    }
    let count =
        runner.run_with(&[b"rev-list", b"--count", b"--stdin"], Some(input.clone().into_bytes()), TIMEOUT)?.ok()?;
    let count: u64 = String::from_utf8_lossy(trimmed(&count)).parse().unwrap_or(0);
    if count == 0 {
        return Ok((Vec::new(), 0));
    }
    let max = format!("--max-count={MAX_COMMITS}");
    let args: [&[u8]; 5] = [b"log", max.as_bytes(), b"--format=%H%x00%s", b"-z", b"--stdin"];
    let out = runner.run_with(&args, Some(input.into_bytes()), TIMEOUT)?.ok()?;
    let fields: Vec<&[u8]> = out.split(|&b| b == 0).collect();
    let listed: Vec<GitCommit> = fields
        .chunks_exact(2)
        .map(|pair| GitCommit {
            id: String::from_utf8_lossy(pair[0]).trim().to_string(),
            subject: ByteString::from(&pair[1][..pair[1].len().min(MAX_SUBJECT)]),
        })
        .collect();
    let more = count.saturating_sub(listed.len() as u64);
    Ok((listed, more))
}

/// `(behind, ahead)`: commits reachable from HEAD before and not after, and after and
/// not before.
fn head_move(runner: &Runner, before: Option<&str>, after: Option<&str>) -> Result<(u64, u64), GitError> {
    let count = |rev: &str| -> Result<u64, GitError> {
        let out = runner.run(&["rev-list", "--count", rev, "--"])?.ok()?;
        Ok(String::from_utf8_lossy(trimmed(&out)).parse().unwrap_or(0))
    };
    match (before, after) {
        (Some(b), Some(a)) if a == b => Ok((0, 0)),
        (Some(b), Some(a)) => {
            let range = format!("{b}...{a}");
            let out = runner.run(&["rev-list", "--left-right", "--count", &range, "--"])?.ok()?;
            let text = String::from_utf8_lossy(trimmed(&out)).into_owned();
            let mut numbers = text.split_whitespace().map(|n| n.parse::<u64>().unwrap_or(0));
            Ok((numbers.next().unwrap_or(0), numbers.next().unwrap_or(0)))
        }
        (None, Some(a)) => Ok((0, count(a)?)),
        (Some(b), None) => Ok((count(b)?, 0)),
        (None, None) => Ok((0, 0)),
    }
}
