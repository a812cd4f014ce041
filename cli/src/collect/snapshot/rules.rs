//! Which paths a snapshot skips: `.runglassignore` at the root (gitignore syntax, negation
//! included) over the built-in defaults.
//!
//! The defaults are directories of version control, installed dependencies and caches that
//! a command rebuilds rather than authors, and that are often huge:
//! `.git`, `.hg`, `.svn`, `.jj`, `node_modules`, `bower_components`, `target`, `__pycache__`,
//! `.venv`, `venv`, `.tox`, `.nox`, `.mypy_cache`, `.pytest_cache`, `.ruff_cache`, `.gradle`
//! and `.cache`. Build outputs such as `dist` or `build` are not skipped: they are often the
//! very thing a command was run to make. Rules of `.runglassignore` are checked first, so
//! `!target/` there re-includes a default.
//!
//! Of a `.git` directory (at any depth) the snapshots keep what git runs or obeys: `hooks/`,
//! `info/` (attributes, excludes), `config` and `config.worktree`. Everything else in it
//! (objects, refs, the index, logs) is skipped entry by entry; git's own reading of the
//! repository (`crate::collect::git`) covers commits and refs. A `.git` file (a linked work tree's or
//! a submodule's pointer) is an ordinary file. Re-including all of `.git` takes `!.git/**`,
//! since `!.git/` only re-includes the directory, not the entries the defaults skip in it.

use std::fs::OpenOptions;
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

/// The ignore file, at the snapshot root only.
pub(super) const IGNORE_FILE: &str = ".runglassignore";
/// The most of the ignore file that is read.
const IGNORE_FILE_MAX: u64 = 1024 * 1024;
/// How the defaults are named in reports.
pub(super) const DEFAULTS_SOURCE: &str = "defaults";

/// Directory-only patterns (a file named `target` is kept), and in `.git` every entry but
/// the few where code gets run or redirected (later lines win, as in a gitignore file).
const DEFAULTS: &[&str] = &[
    "**/.git/*",
    "!**/.git/hooks",
    "!**/.git/info",
    "!**/.git/config",
    "!**/.git/config.worktree",
    ".hg/",
    ".svn/",
    ".jj/",
    "node_modules/",
    "bower_components/",
    "target/",
    "__pycache__/",
    ".venv/",
    "venv/",
    ".tox/",
    ".nox/",
    ".mypy_cache/",
    ".pytest_cache/",
    ".ruff_cache/",
    ".gradle/",
    ".cache/",
];

pub struct Rules {
    user: Gitignore,
    defaults: Gitignore,
    /// `defaults`, then `.runglassignore` when present (with any lines it could not use).
    pub sources: Vec<String>,
    /// `.runglassignore` exists but could not be read.
    pub unreadable: Option<String>,
}

/// The rule that skipped a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Rule {
    /// The pattern as written.
    pub pattern: String,
    /// [`DEFAULTS_SOURCE`] or [`IGNORE_FILE`].
    pub source: &'static str,
}

impl Rules {
    /// The rules for `root`. Never fails: an unusable ignore file is reported in `sources`
    /// or `unreadable`, and the snapshot goes on without it.
    pub fn load(root: &Path) -> Rules {
        match read_ignore_file(&root.join(IGNORE_FILE)) {
            Ok(text) => Rules::with_ignore_file(root, &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Rules::defaults_only(root, None),
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                Rules::defaults_only(root, Some("a symlink, not followed: make it a regular file".to_string()))
            }
            Err(e) => Rules::defaults_only(root, Some(e.to_string())),
        }
    }

    /// The defaults under the rules of an ignore file that holds `text` (untrusted bytes:
    /// whatever the checkout put there).
    pub(super) fn with_ignore_file(root: &Path, text: &[u8]) -> Rules {
        let (user, bad) = parse(root, text);
        let source = if bad.is_empty() { IGNORE_FILE.to_string() } else { format!("{IGNORE_FILE} ({bad})") };
        Rules { user, defaults: defaults(root), sources: vec![DEFAULTS_SOURCE.to_string(), source], unreadable: None }
    }

    fn defaults_only(root: &Path, unreadable: Option<String>) -> Rules {
        let sources = vec![DEFAULTS_SOURCE.to_string()];
        Rules { user: Gitignore::empty(), defaults: defaults(root), sources, unreadable }
    }

    /// The rule that skips `rel` (relative to the root), if any. The caller prunes skipped
    /// directories, so, as with git, nothing inside an ignored directory can be re-included.
    pub(super) fn skips(&self, rel: &Path, is_dir: bool) -> Option<Rule> {
        for (matcher, source) in [(&self.user, IGNORE_FILE), (&self.defaults, DEFAULTS_SOURCE)] {
            match matcher.matched(rel, is_dir) {
                Match::Ignore(glob) => return Some(Rule { pattern: glob.original().to_string(), source }),
                Match::Whitelist(_) => return None,
                Match::None => {}
            }
        }
        None
    }
}

/// The matcher of [`DEFAULTS`].
fn defaults(root: &Path) -> Gitignore {
    let mut defaults = GitignoreBuilder::new(root);
    for pattern in DEFAULTS {
        // The defaults are constant, valid patterns.
        let _ = defaults.add_line(None, pattern);
    }
    defaults.build().unwrap_or_else(|_| Gitignore::empty())
}

/// Reads the ignore file, bounded, and never through a symlink (as git treats
/// `.gitignore`): a checkout cannot point it at a device or a file elsewhere.
fn read_ignore_file(path: &Path) -> std::io::Result<Vec<u8>> {
    let file = OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK).open(path)?;
    let mut text = Vec::new();
    file.take(IGNORE_FILE_MAX).read_to_end(&mut text)?;
    Ok(text)
}

/// Parses the ignore file line by line, so one bad line costs only itself. Returns the
/// matcher and a note naming the lines skipped (empty when none were).
fn parse(root: &Path, text: &[u8]) -> (Gitignore, String) {
    let mut builder = GitignoreBuilder::new(root);
    let mut bad = Vec::new();
    for (n, line) in text.split(|&b| b == b'\n').enumerate() {
        let line = String::from_utf8_lossy(line.strip_suffix(b"\r").unwrap_or(line));
        if let Err(e) = builder.add_line(None, &line) {
            bad.push(format!("line {} skipped: {e}", n + 1));
        }
    }
    match builder.build() {
        Ok(user) => (user, bad.join("; ")),
        Err(e) => (Gitignore::empty(), format!("not used: {e}")),
    }
}
