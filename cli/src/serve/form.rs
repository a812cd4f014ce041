//! The fields of a revert form, from a POSTed `application/x-www-form-urlencoded` body.
//!
//! Read strictly: the body is bounded, and a malformed one, an unknown field or a value
//! that is not one of the expected ones is refused rather than guessed at, since what the
//! fields choose is what gets overwritten.

use std::io::Read;

use percent_encoding::percent_decode;
use runglass_model::ByteString;

use crate::revert::apply::Conflicts;

/// More than any form of ours sends (a path is at most 8 KiB of hex; a preview of every
/// change posts `all=1`, not the paths).
const MAX_BODY: u64 = 1024 * 1024;

const FORM_TYPE: &str = "application/x-www-form-urlencoded";

/// What a revert form chose.
#[derive(Debug, Default, PartialEq)]
pub struct RevertForm {
    /// `all=1`: every recorded change.
    pub all: bool,
    /// `path=HEX`, repeated: the chosen changes, by their paths as the receipt names them.
    pub paths: Vec<ByteString>,
    /// `outside=1`: include changes outside the working directory.
    pub outside: bool,
    /// `conflicts=stop|skip|force`: what an apply does with a path changed since the receipt.
    pub conflicts: Option<Conflicts>,
}

/// Why a body was refused; its text is one line for the reply.
#[derive(Debug, PartialEq)]
pub enum BadForm {
    TooLarge,
    Malformed(String),
}

impl std::fmt::Display for BadForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BadForm::TooLarge => write!(f, "the form is larger than {MAX_BODY} bytes"),
            BadForm::Malformed(why) => f.write_str(why),
        }
    }
}

impl BadForm {
    pub fn status(&self) -> u16 {
        match self {
            BadForm::TooLarge => 413,
            BadForm::Malformed(_) => 400,
        }
    }
}

/// Reads and parses the body of `request`, whose `Content-Type` is `content_type`.
pub fn read(body: impl Read, content_type: Option<&str>) -> Result<RevertForm, BadForm> {
    let mut bytes = Vec::new();
    body.take(MAX_BODY + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| BadForm::Malformed(format!("reading the request body: {e}")))?;
    if bytes.len() as u64 > MAX_BODY {
        return Err(BadForm::TooLarge);
    }
    let form_type =
        content_type.and_then(|t| t.split(';').next()).is_some_and(|t| t.trim().eq_ignore_ascii_case(FORM_TYPE));
    if !bytes.is_empty() && !form_type {
        return Err(BadForm::Malformed(format!("the body must be {FORM_TYPE}")));
    }
    parse(&bytes)
}

/// Parses `name=value&…`, percent-decoded (`+` is a space).
pub fn parse(body: &[u8]) -> Result<RevertForm, BadForm> {
    let mut form = RevertForm::default();
    for pair in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &b""[..]),
        };
        let (name, value) = (decode(name)?, decode(value)?);
        let text = String::from_utf8_lossy(&value);
        match name.as_slice() {
            b"path" => form.paths.push(ByteString(hex(&value)?)),
            b"all" => form.all = one("all", &text)?,
            b"outside" => form.outside = one("outside", &text)?,
            b"conflicts" => {
                let all = [Conflicts::Stop, Conflicts::Skip, Conflicts::Force];
                let Some(conflicts) = all.into_iter().find(|&c| conflicts_value(c) == text) else {
                    return Err(malformed(format!("conflicts must be stop, skip or force, not {text:?}")));
                };
                if form.conflicts.is_some_and(|c| c != conflicts) {
                    return Err(malformed("conflicts is given twice, differently".into()));
                }
                form.conflicts = Some(conflicts);
            }
            other => return Err(malformed(format!("unknown field {:?}", String::from_utf8_lossy(other)))),
        }
    }
    Ok(form)
}

/// The value of the `conflicts` field that asks for `c`.
pub fn conflicts_value(c: Conflicts) -> &'static str {
    match c {
        Conflicts::Stop => "stop",
        Conflicts::Skip => "skip",
        Conflicts::Force => "force",
    }
}

fn malformed(message: String) -> BadForm {
    BadForm::Malformed(message)
}

/// A flag field: its only value is `1`.
fn one(name: &str, value: &str) -> Result<bool, BadForm> {
    match value {
        "1" => Ok(true),
        other => Err(malformed(format!("{name} must be 1, not {other:?}"))),
    }
}

/// Undoes URL encoding: `+` is a space, `%XX` a byte. A `%` not followed by two hex
/// digits (which the pages never write) is refused rather than passed through.
fn decode(text: &[u8]) -> Result<Vec<u8>, BadForm> {
    let escapes_whole = text
        .iter()
        .enumerate()
        .all(|(i, &b)| b != b'%' || text.get(i + 1..i + 3).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)));
    if !escapes_whole {
        return Err(malformed("a % in the form is not followed by two hex digits".into()));
    }
    let spaced: Vec<u8> = text.iter().map(|&b| if b == b'+' { b' ' } else { b }).collect();
    Ok(percent_decode(&spaced).collect())
}

/// A path field's bytes from their hex.
fn hex(text: &[u8]) -> Result<Vec<u8>, BadForm> {
    hex::decode(text).map_err(|_| malformed(format!("path must be hex, not {:?}", String::from_utf8_lossy(text))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use runglass_render::html::path_value;

    fn form(body: &str) -> Result<RevertForm, BadForm> {
        read(body.as_bytes(), Some("application/x-www-form-urlencoded; charset=UTF-8"))
    }

    #[test]
    fn paths_round_trip_through_the_hex_the_pages_write() {
        let odd = ByteString(b"dir/<img src=x>\xff\n.txt".to_vec());
        let body = format!("path={}&path=%36%31&outside=1&conflicts=skip", path_value(&odd));
        let parsed = form(&body).unwrap();
        assert_eq!(parsed.paths, [odd, ByteString(b"a".to_vec())]);
        assert!(parsed.outside && !parsed.all);
        assert_eq!(parsed.conflicts, Some(Conflicts::Skip));
        assert_eq!(form("").unwrap(), RevertForm::default(), "an empty form chooses nothing");
    }

    #[test]
    fn malformed_bodies_and_unknown_fields_are_refused() {
        for body in
            ["path=6", "path=zz", "path=%4", "all=yes", "conflicts=later", "rm=1", "conflicts=skip&conflicts=force"]
        {
            assert!(matches!(form(body), Err(BadForm::Malformed(_))), "{body}");
        }
        assert!(matches!(read(&b"all=1"[..], Some("text/plain")), Err(BadForm::Malformed(_))));
        assert!(matches!(read(&b"all=1"[..], None), Err(BadForm::Malformed(_))));
    }

    #[test]
    fn bodies_past_the_bound_are_too_large() {
        let big = format!("path={}", "61".repeat(MAX_BODY as usize));
        assert_eq!(form(&big), Err(BadForm::TooLarge));
        assert_eq!(BadForm::TooLarge.status(), 413);
    }
}
