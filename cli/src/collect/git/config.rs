//! The configuration git reads for a repository, as `git config --list -z --show-origin`
//! lists it: which keys make git run a program, what changed between two listings, and
//! where hooks are taken from.

use std::collections::BTreeMap;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use runglass_model::ByteString;
use runglass_model::receipt::{GitConfigChange, GitConfigEdit};

/// Configuration changes listed; the rest are counted.
pub(super) const MAX_CHANGES: usize = 100;
/// A value kept in the receipt is cut to this many bytes.
const MAX_VALUE: usize = 4096;

/// One line of the listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Entry {
    /// Where git read it: an absolute file path, or git's name for another origin
    /// (`command line:`, `blob:...`).
    pub origin: Vec<u8>,
    /// `section.name` or `section.subsection.name`; section and name in lower case.
    pub key: Vec<u8>,
    /// None for a key written without `=` (git's "true").
    pub value: Option<Vec<u8>>,
}

impl Entry {
    /// Set on the command line (`-c`, `GIT_CONFIG_PARAMETERS`, `GIT_CONFIG_COUNT`): runglass's
    /// own safety settings and the user's environment, the same before and after.
    fn set_on_command_line(&self) -> bool {
        self.origin.starts_with(b"command line:")
    }
}

/// Parses `git config --list -z --show-origin`: `origin NUL key LF value NUL` per entry,
/// `origin NUL key NUL` for a key without a value. A relative file origin is relative to
/// the work tree's top level, where git reads from.
pub(super) fn parse(listing: &[u8], top: &Path) -> Vec<Entry> {
    let mut fields = listing.split(|&b| b == 0);
    let mut entries = Vec::new();
    while let (Some(origin), Some(item)) = (fields.next(), fields.next()) {
        let origin = match origin.strip_prefix(b"file:") {
            Some(path) if !path.starts_with(b"/") => {
                top.join(std::ffi::OsStr::from_bytes(path)).as_os_str().as_bytes().to_vec()
            }
            Some(path) => path.to_vec(),
            None => origin.to_vec(),
        };
        let (key, value) = match item.iter().position(|&b| b == b'\n') {
            Some(at) => (item[..at].to_vec(), Some(item[at + 1..].to_vec())),
            None => (item.to_vec(), None),
        };
        entries.push(Entry { origin, key, value });
    }
    entries
}

/// `(section, subsection, name)` of a key.
fn split_key(key: &[u8]) -> (&[u8], Option<&[u8]>, &[u8]) {
    let first = key.iter().position(|&b| b == b'.');
    let last = key.iter().rposition(|&b| b == b'.');
    match (first, last) {
        (Some(f), Some(l)) if f < l => (&key[..f], Some(&key[f + 1..l]), &key[l + 1..]),
        (Some(f), _) => (&key[..f], None, &key[f + 1..]),
        _ => (key, None, b""),
    }
}

/// git's spellings of a boolean (an empty value is false).
fn is_boolean(value: &[u8]) -> bool {
    let v = value.to_ascii_lowercase();
    matches!(&v[..], b"" | b"true" | b"false" | b"yes" | b"no" | b"on" | b"off" | b"1" | b"0")
}

/// Whether a key with these values makes git run a program, or read configuration from
/// elsewhere (which can then name one). `values` are those before and after the change.
pub(super) fn runs_program<'v>(key: &[u8], mut values: impl Iterator<Item = Option<&'v [u8]>>) -> bool {
    let (section, subsection, name) = split_key(key);
    match (section, subsection, name) {
        (b"core", None, b"hookspath" | b"sshcommand" | b"pager" | b"editor" | b"askpass" | b"gitproxy")
        | (b"core", None, b"alternaterefscommand")
        | (b"credential", _, b"helper")
        | (b"filter", Some(_), b"clean" | b"smudge" | b"process")
        | (b"diff", Some(_), b"textconv" | b"command")
        | (b"diff", None, b"external")
        | (b"merge", Some(_), b"driver")
        | (b"gpg", _, b"program")
        | (b"gpg", Some(b"ssh"), b"defaultkeycommand")
        | (b"sequence", None, b"editor")
        | (b"include", None, b"path")
        | (b"includeif", Some(_), b"path")
        | (b"remote", Some(_), b"uploadpack" | b"receivepack" | b"vcs")
        | (b"uploadpack", None, b"packobjectshook")
        | (b"interactive", None, b"difffilter")
        | (b"trailer", Some(_), b"command" | b"cmd")
        | (b"tar", Some(_), b"command")
        | (b"difftool" | b"mergetool" | b"browser" | b"man", Some(_), b"cmd" | b"path")
        | (b"guitool", Some(_), b"cmd")
        | (b"sendemail", _, b"sendmailcmd" | b"smtpserver") => true,
        // `true` starts git's own daemon and `false` nothing; anything else is a hook program.
        (b"core", None, b"fsmonitor") => values.any(|v| v.is_some_and(|v| !is_boolean(v))),
        // A boolean turns paging on or off; anything else is the pager to run.
        (b"pager", _, _) => values.any(|v| v.is_some_and(|v| !is_boolean(v))),
        // An alias starting with `!` is a shell command; `submodule.<name>.update` likewise.
        (b"alias", _, _) | (b"submodule", Some(_), b"update") => values.any(|v| v.is_some_and(|v| v.starts_with(b"!"))),
        _ => false,
    }
}

/// The names of the filter drivers the configuration sets anything for.
pub(super) fn filter_drivers(entries: &[Entry]) -> Vec<Vec<u8>> {
    let mut names: Vec<Vec<u8>> = entries
        .iter()
        .filter_map(|e| match split_key(&e.key) {
            (b"filter", Some(name), _) => Some(name.to_vec()),
            _ => None,
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// What changed between two listings, by key (a key's values compared in order, with the
/// files that set them), sorted by key; at most [`MAX_CHANGES`], and how many more.
pub(super) fn changes(before: &[Entry], after: &[Entry]) -> (Vec<GitConfigChange>, u64) {
    fn by_key(entries: &[Entry]) -> BTreeMap<&[u8], Vec<&Entry>> {
        let mut map: BTreeMap<&[u8], Vec<&Entry>> = BTreeMap::new();
        for e in entries.iter().filter(|e| !e.set_on_command_line()) {
            map.entry(&e.key[..]).or_default().push(e);
        }
        map
    }
    let (before, after) = (by_key(before), by_key(after));
    let keys: std::collections::BTreeSet<&[u8]> = before.keys().chain(after.keys()).copied().collect();
    let mut changed = Vec::new();
    for key in keys {
        let (b, a) = (before.get(key).map_or(&[][..], |v| &v[..]), after.get(key).map_or(&[][..], |v| &v[..]));
        let same = b.len() == a.len() && b.iter().zip(a).all(|(x, y)| x.value == y.value && x.origin == y.origin);
        if same {
            continue;
        }
        let change = match (b.is_empty(), a.is_empty()) {
            (true, _) => GitConfigEdit::Added,
            (_, true) => GitConfigEdit::Removed,
            _ => GitConfigEdit::Changed,
        };
        let values = b.iter().chain(a).map(|e| e.value.as_deref());
        let runs_program = runs_program(key, values);
        let kept = |entries: &[&Entry]| -> Vec<ByteString> {
            if !runs_program {
                return Vec::new();
            }
            entries.iter().map(|e| ByteString::from(cut(e.value.as_deref().unwrap_or_default()))).collect()
        };
        let mut files: Vec<ByteString> =
            if a.is_empty() { b } else { a }.iter().map(|e| ByteString::from(&e.origin[..])).collect();
        files.dedup();
        changed.push(GitConfigChange {
            key: ByteString::from(key),
            change,
            runs_program,
            before: kept(b),
            after: kept(a),
            files,
        });
    }
    let more = changed.len().saturating_sub(MAX_CHANGES) as u64;
    // Keys that run programs are listed first when the list is cut.
    if more > 0 {
        changed.sort_by_key(|c| !c.runs_program);
        changed.truncate(MAX_CHANGES);
        changed.sort_by(|x, y| x.key.cmp(&y.key));
    }
    (changed, more)
}

fn cut(value: &[u8]) -> &[u8] {
    &value[..value.len().min(MAX_VALUE)]
}

/// The directory git takes this repository's hooks from: the last `core.hooksPath` (`~/`
/// is the home directory; a relative path is relative to the top level, where hooks
/// run), else `hooks` in the common git directory.
pub(super) fn hooks_dir(entries: &[Entry], top: &Path, common_dir: &Path, home: Option<&Path>) -> Vec<u8> {
    let set = entries.iter().rev().filter(|e| !e.set_on_command_line()).find(|e| e.key == b"core.hookspath");
    let path = match set.and_then(|e| e.value.as_deref()).filter(|v| !v.is_empty()) {
        None => common_dir.join("hooks"),
        Some(v) => {
            let v = Path::new(std::ffi::OsStr::from_bytes(v));
            match (v.strip_prefix("~"), home) {
                (Ok(rest), Some(home)) => home.join(rest),
                _ => top.join(v),
            }
        }
    };
    path.as_os_str().as_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(origin: &str, key: &str, value: Option<&str>) -> Entry {
        Entry { origin: origin.into(), key: key.into(), value: value.map(Into::into) }
    }

    #[test]
    fn the_listing_is_read_with_values_origins_and_keys_without_values() {
        let listing = b"file:.git/config\0core.bare\nfalse\0file:/etc/gitconfig\0core.flag\0command line:\0x.y\na\nb\0";
        let entries = parse(listing, Path::new("/repo"));
        assert_eq!(
            entries,
            [
                entry("/repo/.git/config", "core.bare", Some("false")),
                entry("/etc/gitconfig", "core.flag", None),
                entry("command line:", "x.y", Some("a\nb")),
            ]
        );
    }

    #[test]
    fn keys_that_run_programs_are_told_from_the_rest() {
        let one = |key: &str, value: &str| runs_program(key.as_bytes(), [Some(value.as_bytes())].into_iter());
        for (key, value) in [
            ("core.hookspath", "/x"),
            ("core.fsmonitor", "/x/monitor"),
            ("core.sshcommand", "ssh -i k"),
            ("core.pager", "less"),
            ("core.editor", "vi"),
            ("alias.st", "!sh -c x"),
            ("credential.helper", "store"),
            ("credential.https://example.com.helper", "x"),
            ("filter.lfs.clean", "git-lfs clean"),
            ("filter.a.b.process", "x"),
            ("diff.pdf.textconv", "pdftotext"),
            ("merge.ours.driver", "true"),
            ("gpg.program", "gpg2"),
            ("gpg.ssh.program", "x"),
            ("sequence.editor", "x"),
            ("include.path", "other"),
            ("includeif.gitdir:/x/.path", "other"),
            ("pager.log", "cat -v"),
        ] {
            assert!(one(key, value), "{key} = {value}");
        }
        for (key, value) in [
            ("core.fsmonitor", "false"),
            ("core.fsmonitor", "true"),
            ("alias.st", "status"),
            ("pager.branch", "false"),
            ("user.email", "a@b"),
            ("remote.origin.url", "https://token@host/x"),
            ("core.bare", "false"),
        ] {
            assert!(!one(key, value), "{key} = {value}");
        }
        // An alias that stops being a shell command still ran one before.
        let values = [Some(&b"!rm -rf x"[..]), Some(&b"status"[..])];
        assert!(runs_program(b"alias.x", values.into_iter()));
    }

    #[test]
    fn changes_keep_values_only_for_keys_that_run_programs() {
        let before =
            [entry("/r/.git/config", "user.email", Some("a@b")), entry("/r/.git/config", "core.bare", Some("false"))];
        let after = [
            entry("/r/.git/config", "user.email", Some("secret@b")),
            entry("/r/.git/config", "core.bare", Some("false")),
            entry("/r/.git/config", "core.hookspath", Some("/tmp/h")),
            entry("command line:", "core.hookspath", Some("/dev/null")),
        ];
        let (changes, more) = changes(&before, &after);
        assert_eq!(more, 0);
        assert_eq!(changes.len(), 2, "{changes:?}");
        let hooks = &changes[0];
        assert_eq!(
            (hooks.key.as_bytes(), hooks.change, hooks.runs_program),
            (&b"core.hookspath"[..], GitConfigEdit::Added, true)
        );
        assert_eq!(hooks.after, [ByteString::from("/tmp/h")]);
        assert_eq!(hooks.files, [ByteString::from("/r/.git/config")]);
        let email = &changes[1];
        assert_eq!((email.change, email.runs_program), (GitConfigEdit::Changed, false));
        assert!(email.before.is_empty() && email.after.is_empty(), "a value that may be a secret is not kept");
    }

    #[test]
    fn the_hooks_directory_follows_core_hooks_path() {
        let (top, common, home) = (Path::new("/r"), Path::new("/r/.git"), Some(Path::new("/home/u")));
        let dir = |entries: &[Entry]| String::from_utf8(hooks_dir(entries, top, common, home)).unwrap();
        assert_eq!(dir(&[]), "/r/.git/hooks");
        assert_eq!(dir(&[entry("/r/.git/config", "core.hookspath", Some(".githooks"))]), "/r/.githooks");
        assert_eq!(dir(&[entry("/r/.git/config", "core.hookspath", Some("~/hooks"))]), "/home/u/hooks");
        assert_eq!(dir(&[entry("/r/.git/config", "core.hookspath", Some("/abs"))]), "/abs");
        assert_eq!(dir(&[entry("command line:", "core.hookspath", Some("/dev/null"))]), "/r/.git/hooks");
    }
}
