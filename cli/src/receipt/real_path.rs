//! Where a traced path really is. The tracer records paths as the command named them,
//! joined to its cwd or dirfd: `..` and symlinked directories are kept, so a text prefix
//! test would file `proj/../elsewhere/f` or `proj/link-to-etc/f` as inside the working
//! directory, where no snapshot sees them, and the write would be lost. The kernel follows
//! every directory on the way to the last component, so the real place is the canonical
//! parent plus the last name. The parent is resolved once per directory, when the receipt
//! is built; a directory gone by then is normalized by its text instead.

use std::collections::HashMap;

use runglass_model::path_bytes::resolve_dot_dot;

use crate::collect::after_run::DiskView;

#[derive(Default)]
pub struct RealPaths {
    /// Canonical form of each parent directory seen (None: it could not be resolved).
    parents: HashMap<Vec<u8>, Option<Vec<u8>>>,
}

impl RealPaths {
    /// `path` (absolute) with its directories resolved as the kernel resolved them.
    pub fn of(&mut self, path: &[u8], disk: &dyn DiskView) -> Vec<u8> {
        let (parent, name) = match path.iter().rposition(|&b| b == b'/') {
            Some(at) => (&path[..at.max(1)], &path[at + 1..]),
            None => return path.to_vec(),
        };
        if name.is_empty() || name == b"." || name == b".." {
            return disk.real_dir(path).unwrap_or_else(|| resolve_dot_dot(path));
        }
        let real_parent = self.parents.entry(parent.to_vec()).or_insert_with(|| disk.real_dir(parent));
        match real_parent {
            Some(dir) => join(dir, name),
            None => resolve_dot_dot(path),
        }
    }
}

fn join(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut out = dir.to_vec();
    if !out.ends_with(b"/") {
        out.push(b'/');
    }
    out.extend_from_slice(name);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::after_run::LiveDisk;

    #[test]
    fn dot_dot_and_symlinked_directories_resolve_to_where_the_kernel_wrote() {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().canonicalize().unwrap();
        std::fs::create_dir_all(base.join("proj/sub")).unwrap();
        std::fs::create_dir_all(base.join("elsewhere")).unwrap();
        std::os::unix::fs::symlink(base.join("elsewhere"), base.join("proj/link")).unwrap();
        let b = |p: &str| format!("{}/{p}", base.display()).into_bytes();
        let mut real = RealPaths::default();
        let disk = LiveDisk::new(&base.join("no-blobs"), 1 << 20);
        assert_eq!(real.of(&b("proj/../elsewhere/f"), &disk), b("elsewhere/f"));
        assert_eq!(real.of(&b("proj/sub/../f"), &disk), b("proj/f"));
        assert_eq!(real.of(&b("proj/link/f"), &disk), b("elsewhere/f"), "a symlinked directory is followed");
        assert_eq!(real.of(&b("proj/link"), &disk), b("proj/link"), "the last component is named, not followed");
        assert_eq!(real.of(&b("proj/gone/../../x"), &disk), b("x"), "a missing directory falls back to the text");
        assert_eq!(real.of(b"/f", &disk), b"/f");
    }
}
