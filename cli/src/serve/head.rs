//! One HTTP/1.x request as it comes off the network, read within bounds: its head (request
//! line and headers, at most [`MAX_HEAD`] bytes and [`MAX_HEADERS`] fields) and the body it
//! announces (at most [`MAX_BODY`] bytes, never chunked). Stricter than tiny_http, so that
//! a request passed on is read by tiny_http exactly as it was read here.
//!
//! Uses only std and the model's escaping, so that the `serve_connection` fuzz target
//! compiles this file as it is.

use std::io::{self, Read};

use runglass_model::ByteString;

/// The request line and headers together, CRLFs included.
pub const MAX_HEAD: usize = 32 * 1024;
/// Header fields in one request (a browser sends about 15).
pub const MAX_HEADERS: usize = 64;
/// A body's length: the largest is a revert form (see `form.rs`, which has the same bound).
pub const MAX_BODY: usize = 1024 * 1024;

/// A request head that parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub method: String,
    /// The request target, as sent (printable ASCII, no spaces).
    pub target: String,
    /// `HTTP/1.0` or `HTTP/1.1`.
    pub version: &'static str,
    /// Every field in order, the value without surrounding blanks.
    pub headers: Vec<(String, String)>,
    /// The body's length, or why it is refused; the server decides whether the request is
    /// allowed before it looks at this.
    pub body: Result<usize, Refusal>,
    /// `Expect: 100-continue`: the client waits for a `100 Continue` before it sends the body.
    pub expects_continue: bool,
    /// Bytes of the head, the final empty line included.
    pub len: usize,
}

/// Why a request is not passed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The connection ended or failed before a whole request: there is no one to answer.
    Gone,
    /// The client did not send the whole request in time.
    TimedOut,
    /// The head is over [`MAX_HEAD`] bytes or [`MAX_HEADERS`] fields.
    HeadTooLarge,
    /// Not a request this server reads; the text says what is wrong.
    Malformed(&'static str),
    /// The announced body is over [`MAX_BODY`] bytes.
    BodyTooLarge,
    /// A chunked (or otherwise encoded) body: its length is not known in advance.
    LengthRequired,
    /// Another HTTP version than 1.0 and 1.1.
    Version,
    /// An `Expect` other than `100-continue`.
    Expectation,
}

impl Refusal {
    /// The status to answer with (none when the client is gone).
    pub fn status(&self) -> Option<u16> {
        Some(match self {
            Refusal::Gone => return None,
            Refusal::TimedOut => 408,
            Refusal::HeadTooLarge => 431,
            Refusal::Malformed(_) => 400,
            Refusal::BodyTooLarge => 413,
            Refusal::LengthRequired => 411,
            Refusal::Version => 505,
            Refusal::Expectation => 417,
        })
    }

    /// One line for the client and the log.
    pub fn reason(&self) -> String {
        match self {
            Refusal::Gone => "the connection ended before a whole request".into(),
            Refusal::TimedOut => "the request did not arrive in time".into(),
            Refusal::HeadTooLarge => {
                format!("the request line and headers are over {MAX_HEAD} bytes or {MAX_HEADERS} fields")
            }
            Refusal::Malformed(what) => format!("a malformed request: {what}"),
            Refusal::BodyTooLarge => format!("the request body is larger than {MAX_BODY} bytes"),
            Refusal::LengthRequired => "a body without a Content-Length (chunked) is not accepted".into(),
            Refusal::Version => "only HTTP/1.0 and HTTP/1.1 are spoken here".into(),
            Refusal::Expectation => "an Expect header other than 100-continue".into(),
        }
    }
}

/// Reads one request head from `r` into `buf` (cleared first). On success `buf` holds the
/// head and whatever the client sent after it (the start of the body); on a refusal, what
/// was read, for the log. Never holds more than [`MAX_HEAD`] bytes plus one read.
pub fn read_head(r: &mut impl Read, buf: &mut Vec<u8>) -> Result<Head, Refusal> {
    buf.clear();
    let mut chunk = [0u8; 4096];
    loop {
        let searched_from = buf.len().saturating_sub(3);
        let n = match r.read(&mut chunk) {
            Ok(0) if buf.is_empty() => return Err(Refusal::Gone),
            Ok(0) => return Err(Refusal::Malformed("the connection ended inside the request head")),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if timed_out(&e) => return Err(Refusal::TimedOut),
            Err(_) => return Err(Refusal::Gone),
        };
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = find(&buf[searched_from..], b"\r\n\r\n") {
            let len = searched_from + end + 4;
            if len > MAX_HEAD {
                return Err(Refusal::HeadTooLarge);
            }
            return parse(&buf[..len]);
        }
        if buf.len() >= MAX_HEAD {
            return Err(Refusal::HeadTooLarge);
        }
    }
}

/// Reads the body of `head` from `r`: first what `read_head` already read past the head
/// (`early`), then the rest. Reads exactly the announced length, never more.
pub fn read_body(r: &mut impl Read, early: &[u8], length: usize) -> Result<Vec<u8>, Refusal> {
    debug_assert!(length <= MAX_BODY);
    let mut body = early[..early.len().min(length)].to_vec();
    let have = body.len();
    body.resize(length, 0);
    let mut at = have;
    while at < length {
        match r.read(&mut body[at..]) {
            Ok(0) => return Err(Refusal::Malformed("the connection ended inside the body")),
            Ok(n) => at += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if timed_out(&e) => return Err(Refusal::TimedOut),
            Err(_) => return Err(Refusal::Gone),
        }
    }
    Ok(body)
}

fn timed_out(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Parses a whole head, the final CRLF CRLF included.
pub fn parse(raw: &[u8]) -> Result<Head, Refusal> {
    if !raw.ends_with(b"\r\n\r\n") {
        return Err(Refusal::Malformed("the head does not end in an empty line"));
    }
    // Every line but the final empty one, each of which must have ended in CRLF.
    let text = &raw[..raw.len() - 2];
    let pieces: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
    let mut lines = pieces[..pieces.len() - 1].iter().map(|l| l.strip_suffix(b"\r"));
    let request_line = lines.next().flatten().ok_or(Refusal::Malformed("a bare LF"))?;
    let (method, target, version) = request_line_parts(request_line)?;
    let mut headers = Vec::new();
    for line in lines {
        let line = line.ok_or(Refusal::Malformed("a bare LF"))?;
        if headers.len() == MAX_HEADERS {
            return Err(Refusal::HeadTooLarge);
        }
        headers.push(header(line)?);
    }
    let get = |name: &'static str| headers.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name));
    let expects_continue = match get("Expect").map(|(_, v)| v.as_str()).collect::<Vec<_>>()[..] {
        [] => false,
        [v] if v.eq_ignore_ascii_case("100-continue") => true,
        _ => return Err(Refusal::Expectation),
    };
    let body = if get("Transfer-Encoding").next().is_some() {
        Err(Refusal::LengthRequired)
    } else {
        body_length(get("Content-Length").map(|(_, v)| v.as_str()))
    };
    Ok(Head { method, target, version, headers, body, expects_continue, len: raw.len() })
}

fn request_line_parts(line: &[u8]) -> Result<(String, String, &'static str), Refusal> {
    let parts: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
    let [method, target, version] = parts[..] else {
        return Err(Refusal::Malformed("the request line is not METHOD TARGET VERSION"));
    };
    if method.is_empty() || !method.iter().all(|&b| is_tchar(b)) {
        return Err(Refusal::Malformed("the method is not a token"));
    }
    if target.is_empty() || !target.iter().all(|&b| (0x21..=0x7e).contains(&b)) {
        return Err(Refusal::Malformed("the target holds other than printable ASCII"));
    }
    let version = match version {
        b"HTTP/1.1" => "HTTP/1.1",
        b"HTTP/1.0" => "HTTP/1.0",
        v if v.starts_with(b"HTTP/") => return Err(Refusal::Version),
        _ => return Err(Refusal::Malformed("no HTTP version")),
    };
    Ok((ascii(method), ascii(target), version))
}

fn header(line: &[u8]) -> Result<(String, String), Refusal> {
    let colon = line.iter().position(|&b| b == b':').ok_or(Refusal::Malformed("a header line without a colon"))?;
    let (name, value) = (&line[..colon], &line[colon + 1..]);
    if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
        return Err(Refusal::Malformed("a header name that is not a token"));
    }
    if !value.iter().all(|&b| b == b'\t' || (0x20..=0x7e).contains(&b)) {
        return Err(Refusal::Malformed("a header value with control bytes or non-ASCII"));
    }
    Ok((ascii(name), ascii(value).trim_matches([' ', '\t']).to_string()))
}

/// The body's length from every `Content-Length` field: none is an empty body; several
/// must agree.
fn body_length<'v>(mut values: impl Iterator<Item = &'v str>) -> Result<usize, Refusal> {
    let Some(first) = values.next() else { return Ok(0) };
    if values.any(|v| v != first) {
        return Err(Refusal::Malformed("Content-Length fields that disagree"));
    }
    if first.is_empty() || !first.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Refusal::Malformed("a Content-Length that is not a decimal number"));
    }
    let digits = first.trim_start_matches('0');
    if digits.len() > 12 {
        return Err(Refusal::BodyTooLarge);
    }
    match digits.parse::<usize>() {
        Ok(n) if n <= MAX_BODY => Ok(n),
        Ok(_) => Err(Refusal::BodyTooLarge),
        Err(_) if digits.is_empty() => Ok(0),
        Err(_) => Err(Refusal::Malformed("a Content-Length that is not a decimal number")),
    }
}

/// RFC 9110's `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Bytes already checked to be ASCII.
fn ascii(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Header fields that concern this one connection; they are not passed on (the server
/// writes its own `Content-Length` and `Connection: close`).
const HOP_BY_HOP: [&str; 8] =
    ["Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "TE", "Upgrade", "Expect", "Content-Length"];

impl Head {
    /// The first field called `name`, as tiny_http's lookup finds it.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The request as it is passed on: the same line and fields, with its body's length
    /// and `Connection: close` for the hop-by-hop fields.
    pub fn forward(&self, body: &[u8]) -> Vec<u8> {
        let mut out = format!("{} {} {}\r\n", self.method, self.target, self.version).into_bytes();
        for (name, value) in &self.headers {
            if !HOP_BY_HOP.iter().any(|h| h.eq_ignore_ascii_case(name)) {
                out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
            }
        }
        out.extend_from_slice(format!("Content-Length: {}\r\nConnection: close\r\n\r\n", body.len()).as_bytes());
        out.extend_from_slice(body);
        out
    }
}

/// The first line of what a client sent, for the log: escaped (no terminal control
/// byte passes) and cut to `max` characters.
pub fn log_line(raw: &[u8], max: usize) -> String {
    let line = raw.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let cut = &line[..line.len().min(max)];
    let mut text = ByteString::from(cut).escaped();
    if cut.len() < line.len() {
        text.push_str("...");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(raw: &str) -> Result<Head, Refusal> {
        read_head(&mut raw.as_bytes(), &mut Vec::new())
    }

    #[test]
    fn a_browser_request_parses_with_its_fields_in_order() {
        let h = head("GET /t/r/x/?a=1 HTTP/1.1\r\nHost: 127.0.0.1:8\r\nAccept:  text/html \r\nX-A: 1\r\n\r\n").unwrap();
        assert_eq!((h.method.as_str(), h.target.as_str(), h.version), ("GET", "/t/r/x/?a=1", "HTTP/1.1"));
        assert_eq!(h.header("accept"), Some("text/html"));
        assert_eq!(h.headers.len(), 3);
        assert_eq!(h.body, Ok(0));
    }

    #[test]
    fn announced_lengths_past_the_bound_are_refused_without_reading_them() {
        for length in ["9223372036854775807", "18446744073709551615", "99999999999999999999999", "10000000"] {
            let h = head(&format!("POST / HTTP/1.1\r\nContent-Length: {length}\r\n\r\n")).unwrap();
            assert_eq!(h.body, Err(Refusal::BodyTooLarge), "{length}");
        }
        let h = head(&format!("POST / HTTP/1.1\r\nContent-Length: {MAX_BODY}\r\n\r\n")).unwrap();
        assert_eq!(h.body, Ok(MAX_BODY));
        let h = head("POST / HTTP/1.1\r\nContent-Length: 0000012\r\n\r\n").unwrap();
        assert_eq!(h.body, Ok(12));
    }

    #[test]
    fn lengths_that_are_not_one_number_and_chunked_bodies_are_refused() {
        for fields in ["Content-Length: -1", "Content-Length: 1 2", "Content-Length: 0x10", "Content-Length:"] {
            let h = head(&format!("POST / HTTP/1.1\r\n{fields}\r\n\r\n")).unwrap();
            assert!(matches!(h.body, Err(Refusal::Malformed(_))), "{fields}: {:?}", h.body);
        }
        let h = head("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n").unwrap();
        assert!(matches!(h.body, Err(Refusal::Malformed(_))));
        let h = head("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n").unwrap();
        assert_eq!(h.body, Err(Refusal::LengthRequired));
    }

    #[test]
    fn a_head_past_the_bound_is_refused_after_reading_at_most_one_chunk_more() {
        struct Endless(usize);
        impl Read for Endless {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                self.0 += buf.len();
                buf.fill(b'a');
                Ok(buf.len())
            }
        }
        let mut source = Endless(0);
        let mut buf = Vec::new();
        assert_eq!(read_head(&mut source, &mut buf), Err(Refusal::HeadTooLarge));
        assert!(source.0 <= MAX_HEAD + 4096 && buf.len() <= MAX_HEAD + 4096, "read {}", source.0);
        let many = format!("GET / HTTP/1.1\r\n{}\r\n", "A: b\r\n".repeat(MAX_HEADERS + 1));
        assert_eq!(head(&many), Err(Refusal::HeadTooLarge));
    }

    #[test]
    fn control_bytes_bare_line_feeds_and_folds_are_malformed() {
        for raw in [
            "GET /\x1b]0;x\x07 HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1\nHost: a\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
            "GET / HTTP/1.1\r\nHo st: a\r\n\r\n",
            "GET / HTTP/1.1\r\nX: \x1b[2J\r\n\r\n",
            "GET  / HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1 \r\n\r\n",
            "\r\nGET / HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1\r\nX: caf\u{e9}\r\n\r\n",
        ] {
            assert!(matches!(head(raw), Err(Refusal::Malformed(_))), "{raw:?}: {:?}", head(raw));
        }
        assert_eq!(head("GET / HTTP/2.0\r\n\r\n"), Err(Refusal::Version));
        assert_eq!(head("GET / HTTP/1.1\r\nExpect: x\r\n\r\n"), Err(Refusal::Expectation));
        assert_eq!(head(""), Err(Refusal::Gone));
        assert!(matches!(head("GET / HTTP/1.1\r\n"), Err(Refusal::Malformed(_))));
    }

    #[test]
    fn the_body_is_read_to_its_length_and_no_further() {
        let raw = b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelGET / HTTP/1.1\r\n\r\n";
        let mut buf = Vec::new();
        let h = read_head(&mut &raw[..19], &mut buf).err();
        assert!(h.is_some(), "an unfinished head");
        let h = read_head(&mut &raw[..], &mut buf).unwrap();
        let mut rest: &[u8] = b"lo, and more";
        assert_eq!(read_body(&mut rest, &buf[h.len..h.len + 3], 5).unwrap(), b"hello");
        assert_eq!(rest, b", and more");
        assert!(matches!(read_body(&mut &b""[..], b"ab", 5), Err(Refusal::Malformed(_))));
    }

    #[test]
    fn what_is_passed_on_has_our_length_and_close_and_no_hop_by_hop_field() {
        let h = head("POST /t/x HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n").unwrap();
        assert!(h.expects_continue);
        let sent = String::from_utf8(h.forward(b"ab")).unwrap();
        assert_eq!(sent, "POST /t/x HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab");
        assert_eq!(parse(&h.forward(b"")).unwrap().headers.len(), 3);
    }

    #[test]
    fn logged_lines_hold_no_terminal_control_byte() {
        let line = log_line(b"GET /\x1b]0;TITLE\x07\x1b[2J HTTP/1.1\r\nHost: x\r\n", 200);
        assert!(!line.bytes().any(|b| b < 0x20 || b == 0x7f), "{line}");
        assert!(line.starts_with("GET /\\u{1b}]0;TITLE"), "{line}");
        assert_eq!(log_line(&[b'a'; 300], 10), "aaaaaaaaaa...");
    }
}
