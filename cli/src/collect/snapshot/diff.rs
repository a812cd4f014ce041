//! Unified diffs of two versions of a text file, in the form `diff -u` and `git diff` write
//! (histogram algorithm, 3 lines of context, `a/` and `b/` names, `/dev/null` for a side that
//! does not exist, `\ No newline at end of file`), so that `patch -p1` and `git apply` can
//! apply them and reverse them.
//!
//! Histogram diffs rescan the remaining lines for every change they find, so a large file
//! with many scattered changes would take seconds (100 000 lines with 10 000 changes: 2 s);
//! such diffs use Myers instead, which is linear there and gives the same kind of hunks.
//!
//! Diffs are bounded: at most [`FILE_LIMIT`] bytes per file, and a [`Budget`] shared by all
//! the files of a receipt. A diff cut short keeps whole hunks only, so it still applies.

use imara_diff::{Algorithm, Hunk, InternedInput};
use runglass_model::receipt::Diff;
use runglass_render::patch_name::label;

/// Lines of context around each change.
const CONTEXT: u32 = 3;
/// Above this many lines times changes (about 0.1 s of histogram work), use Myers.
const HISTOGRAM_MAX_COST: u64 = 50_000_000;
/// The most diff text kept for one file.
pub(super) const FILE_LIMIT: usize = 256 * 1024;
/// The most diff text kept for all files of one comparison.
pub(crate) const TOTAL_LIMIT: usize = 4 * 1024 * 1024;

/// What is left of the diff text allowed for a comparison.
pub(crate) struct Budget {
    left: usize,
}

impl Budget {
    pub(crate) fn new(total: usize) -> Budget {
        Budget { left: total }
    }
}

/// Whether `content` can be shown as text: UTF-8 without NUL bytes.
pub(super) fn is_text(content: &[u8]) -> bool {
    !content.contains(&0) && std::str::from_utf8(content).is_ok()
}

/// The diff from `before` to `after` of the file at `path` (relative, as bytes); `None`
/// for a side where the file does not exist. [`Diff::Binary`] when a side is not text,
/// [`Diff::None`] when there is no line to show (an empty file created or deleted).
pub(crate) fn unified(path: &[u8], before: Option<&[u8]>, after: Option<&[u8]>, budget: &mut Budget) -> Diff {
    let diff = within(path, before, after, FILE_LIMIT.min(budget.left));
    if let Diff::Text { unified, .. } = &diff {
        budget.left -= unified.len();
    }
    diff
}

/// The whole diff, however long: for exports that need what a receipt's bounded diff cut.
pub fn full(path: &[u8], before: Option<&[u8]>, after: Option<&[u8]>) -> Diff {
    within(path, before, after, usize::MAX)
}

/// The diff, cut to whole hunks that fit in `limit` bytes.
fn within(path: &[u8], before: Option<&[u8]>, after: Option<&[u8]>, limit: usize) -> Diff {
    let (old, new) = (before.unwrap_or_default(), after.unwrap_or_default());
    if !is_text(old) || !is_text(new) {
        return Diff::Binary;
    }
    let input = InternedInput::new(old, new);
    // Myers first, to count the changes cheaply.
    let mut diff = imara_diff::Diff::compute(Algorithm::Myers, &input);
    let lines = (input.before.len() + input.after.len()) as u64;
    if lines * diff.hunks().count() as u64 <= HISTOGRAM_MAX_COST {
        diff = imara_diff::Diff::compute(Algorithm::Histogram, &input);
    }
    diff.postprocess_lines(&input);
    let hunks: Vec<Hunk> = diff.hunks().collect();
    if hunks.is_empty() {
        return Diff::None;
    }
    let mut text = String::new();
    text.push_str(&label("---", "a/", path, before.is_some()));
    text.push_str(&label("+++", "b/", path, after.is_some()));
    let mut truncated = false;
    let mut shown = 0;
    for group in groups(&hunks) {
        let piece = render(group, &input);
        if text.len() + piece.len() > limit {
            truncated = true;
            break;
        }
        text.push_str(&piece);
        shown += 1;
    }
    if shown == 0 {
        text.clear();
    }
    Diff::Text { unified: text, added: diff.count_additions().into(), removed: diff.count_removals().into(), truncated }
}

/// Splits the hunks into the groups shown as one `@@` hunk each: changes whose contexts
/// touch or overlap are shown together, as `diff -u` does.
fn groups(hunks: &[Hunk]) -> Vec<&[Hunk]> {
    let mut groups = Vec::new();
    let mut start = 0;
    for i in 1..=hunks.len() {
        let ends = i == hunks.len() || hunks[i].before.start - hunks[i - 1].before.end > 2 * CONTEXT;
        if ends {
            groups.push(&hunks[start..i]);
            start = i;
        }
    }
    groups
}

/// One `@@` hunk: the changes of `group` with their context.
fn render(group: &[Hunk], input: &InternedInput<&[u8]>) -> String {
    let (Some(first), Some(last)) = (group.first(), group.last()) else { return String::new() };
    // The unchanged lines before the first change and after the last one are the same
    // lines on both sides, so both sides have as many of them.
    let lead = first.before.start.min(CONTEXT);
    let trail = (input.before.len() as u32 - last.before.end).min(CONTEXT);
    let (start_b, end_b) = (first.before.start - lead, last.before.end + trail);
    let (start_a, end_a) = (first.after.start - lead, last.after.end + trail);
    let mut out = format!("@@ -{} +{} @@\n", range(start_b, end_b - start_b), range(start_a, end_a - start_a));
    let line = |out: &mut String, sign: char, token| {
        let bytes: &[u8] = input.interner[token];
        out.push(sign);
        out.push_str(&String::from_utf8_lossy(bytes));
        if !bytes.ends_with(b"\n") {
            out.push_str("\n\\ No newline at end of file\n");
        }
    };
    let mut pos = start_b;
    for hunk in group {
        for i in pos..hunk.before.start {
            line(&mut out, ' ', input.before[i as usize]);
        }
        for i in hunk.before.clone() {
            line(&mut out, '-', input.before[i as usize]);
        }
        for i in hunk.after.clone() {
            line(&mut out, '+', input.after[i as usize]);
        }
        pos = hunk.before.end;
    }
    for i in pos..end_b {
        line(&mut out, ' ', input.before[i as usize]);
    }
    out
}

/// A hunk header's range: 1-based start and length, the length left out when it is 1; an
/// empty range names the line before it.
fn range(start: u32, len: u32) -> String {
    match len {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        _ => format!("{},{len}", start + 1),
    }
}
