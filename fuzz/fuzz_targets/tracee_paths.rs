//! How the tracer makes a tracee's path argument absolute (`model::path_bytes::{join,
//! normalize}`): the path is whatever bytes the tracee passed. The result must name the
//! same components in the same order (`..` kept: a symlink may stand before it), be
//! absolute, hold no empty or `.` component, and not change when normalized again.
//!
//! Input: the base (the working directory or a dirfd's path) and the relative path,
//! separated by the first NUL byte (neither can hold one: both are C strings).

#![no_main]

use libfuzzer_sys::fuzz_target;
use runglass_model::path_bytes::{join, normalize};

fuzz_target!(|data: &[u8]| {
    let (base, rel) = match data.iter().position(|&b| b == 0) {
        Some(nul) => (&data[..nul], &data[nul + 1..]),
        None => (data, &b""[..]),
    };
    let normal = normalize(base);
    check(base, &normal);
    assert_eq!(normalize(&normal), normal, "normalizing twice changed the path");

    let joined = join(base, rel);
    let whole = [base, b"/", rel].concat();
    check(&whole, &joined);
    assert_eq!(joined, normalize(&whole), "join is not the normalized concatenation");
});

/// `normal` is `path` made absolute and clean, with the same components.
fn check(path: &[u8], normal: &[u8]) {
    assert!(normal.starts_with(b"/"), "not absolute");
    if normal != b"/" {
        assert!(!normal.ends_with(b"/"), "a trailing slash");
    }
    let kept: Vec<&[u8]> = normal.split(|&b| b == b'/').skip(1).filter(|c| !c.is_empty()).collect();
    assert!(normal == b"/" || kept.len() == normal.split(|&b| b == b'/').count() - 1, "an empty component");
    assert!(!kept.contains(&&b"."[..]), "a `.` component");
    let named: Vec<&[u8]> = path.split(|&b| b == b'/').filter(|c| !c.is_empty() && *c != b".").collect();
    assert_eq!(kept, named, "the components changed");
}
