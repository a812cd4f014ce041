//! The GitHub token: from GITHUB_TOKEN, else GH_TOKEN, else `gh auth token`, never from
//! the command line (where other users see it in /proc and shells keep it in history).
//! It is only ever written into the Authorization header; [`redact`] keeps it, and
//! anything that looks like a token, out of the text runglass prints.

use std::fmt;
use std::process::{Command, Stdio};

use anyhow::bail;

/// A token; its `Debug` does not show it.
pub struct Token(String);

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(redacted)")
    }
}

/// Prefixes of GitHub's (and GitLab's) token formats.
const TOKEN_PREFIXES: [&str; 7] = ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-"];
/// Runs of at least this many letters and digits are treated as secrets: GitHub's classic
/// 40-hex tokens have no prefix.
const SECRET_RUN: usize = 36;
const REDACTED: &str = "[redacted]";

impl Token {
    /// GITHUB_TOKEN, else GH_TOKEN, else what `gh auth token --hostname HOST` prints.
    pub fn find(gh_host: &str) -> anyhow::Result<Token> {
        for name in ["GITHUB_TOKEN", "GH_TOKEN"] {
            if let Some(value) = std::env::var_os(name).filter(|v| !v.is_empty()) {
                let Some(value) = value.to_str() else { bail!("{name} is not valid UTF-8, so it is not a token") };
                return Token::checked(value, name);
            }
        }
        from_gh(gh_host)
    }

    /// The token itself, for the Authorization header only.
    pub fn secret(&self) -> &str {
        &self.0
    }

    /// A token must fit in a header: visible ASCII only (the trailing newline of a file or
    /// of `gh` is not part of it).
    pub(super) fn checked(value: &str, from: &str) -> anyhow::Result<Token> {
        let value = value.trim();
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_graphic()) {
            bail!("the token from {from} holds spaces or control characters, so it is not a token");
        }
        Ok(Token(value.to_string()))
    }
}

fn from_gh(host: &str) -> anyhow::Result<Token> {
    const NONE: &str = "no GitHub token: set GITHUB_TOKEN or GH_TOKEN, or log in with `gh auth login`";
    let out = match Command::new("gh").args(["auth", "token", "--hostname", host]).stdin(Stdio::null()).output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!("{NONE}"),
        Err(e) => bail!("{NONE} (running `gh auth token`: {e})"),
    };
    if !out.status.success() {
        let said = String::from_utf8_lossy(&out.stderr);
        let said = said.lines().find(|l| !l.trim().is_empty()).unwrap_or("no message").trim();
        bail!("{NONE} (`gh auth token` failed: {})", redact(said, None));
    }
    let Ok(printed) = String::from_utf8(out.stdout) else {
        bail!("`gh auth token` printed something that is not UTF-8")
    };
    Token::checked(&printed, "`gh auth token`")
}

/// `text` with `token` and every token-like word replaced by `[redacted]`: GitHub quotes
/// parts of requests in some error messages, and a token must never reach a log.
pub fn redact(text: &str, token: Option<&Token>) -> String {
    let text = match token {
        Some(t) => text.replace(t.secret(), REDACTED),
        None => text.to_string(),
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(start) = rest.find(is_word_char) {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest.find(|c: char| !is_word_char(c)).unwrap_or(rest.len());
        let word = &rest[..end];
        out.push_str(if looks_like_token(word) { REDACTED } else { word });
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn looks_like_token(word: &str) -> bool {
    if TOKEN_PREFIXES.iter().any(|p| word.len() > p.len() + 8 && word.starts_with(p)) {
        return true;
    }
    let alnum_run = word.split(|c: char| !c.is_ascii_alphanumeric()).map(str::len).max().unwrap_or(0);
    alnum_run >= SECRET_RUN && word.bytes().any(|b| b.is_ascii_digit()) && word.bytes().any(|b| b.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_the_token_and_token_like_words() {
        let token = Token("s3cr3t:value".into());
        let text = "Bad credentials s3cr3t:value; also ghp_abcdefghijklmnopqrstuvwxyz0123456789 \
                    and 0123456789abcdef0123456789abcdef01234567, github_pat_11AAAAAAA0abcdefghijkl_xyz";
        let redacted = redact(text, Some(&token));
        assert_eq!(redacted, "Bad credentials [redacted]; also [redacted] and [redacted], [redacted]");
    }

    #[test]
    fn leaves_ordinary_messages_alone() {
        let text = "Resource not accessible by integration (refs/pull/12/merge, 20250101T000000Z-sh-c-echo-hi)";
        assert_eq!(redact(text, None), text);
    }

    #[test]
    fn debug_does_not_show_the_token() {
        assert_eq!(format!("{:?}", Token("ghs_x".into())), "Token(redacted)");
    }

    #[test]
    fn a_token_with_spaces_is_refused_without_quoting_it() {
        let err = Token::checked("ghp_abc def", "GITHUB_TOKEN").unwrap_err().to_string();
        assert!(!err.contains("abc"), "{err}");
        assert_eq!(Token::checked("ghp_abc\n", "gh").unwrap().secret(), "ghp_abc");
    }
}
