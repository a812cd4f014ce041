//! Byte strings that survive every format unchanged.
//!
//! Paths and argv on Linux are bytes, not UTF-8. [`ByteString`] keeps them as bytes in
//! binary formats (postcard), and in human-readable formats (JSON) writes a plain string
//! when the bytes are valid UTF-8, and otherwise `{"lossy": "...", "hex": "..."}`: a
//! readable approximation beside the exact bytes. Reading accepts both forms.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ByteString(pub Vec<u8>);

impl ByteString {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The bytes as text, with invalid UTF-8 replaced by U+FFFD. For display only.
    pub fn to_string_lossy(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }

    /// The bytes as an OS path, exactly.
    pub fn as_path(&self) -> &std::path::Path {
        use std::os::unix::ffi::OsStrExt;
        std::path::Path::new(std::ffi::OsStr::from_bytes(&self.0))
    }

    /// Display form safe for a terminal: printable UTF-8 is kept, everything else
    /// (control characters, invalid bytes, backslash, double quote) is escaped.
    pub fn escaped(&self) -> String {
        self.escape(true)
    }

    /// Text for a terminal that keeps quotes and backslashes as they are: only control
    /// characters (newline and tab excepted) and invalid bytes are escaped. For output
    /// excerpts, where `escaped`'s quoting would be noise.
    pub fn printable(&self) -> String {
        self.escape(false)
    }

    fn escape(&self, quoting: bool) -> String {
        let mut out = String::with_capacity(self.0.len());
        for chunk in self.0.utf8_chunks() {
            for c in chunk.valid().chars() {
                match c {
                    '\\' if quoting => out.push_str("\\\\"),
                    '"' if quoting => out.push_str("\\\""),
                    '\n' if quoting => out.push_str("\\n"),
                    '\t' if quoting => out.push_str("\\t"),
                    '\n' | '\t' => out.push(c),
                    '\r' => out.push_str("\\r"),
                    c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
                    c => out.push(c),
                }
            }
            for b in chunk.invalid() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        }
        out
    }

    /// One word of a command line for people to read: as is when it holds only
    /// characters no shell treats specially, otherwise in single quotes. Control
    /// characters and invalid bytes are escaped as in [`ByteString::escaped`], so the
    /// result is safe for a terminal but not meant to be pasted into a shell.
    pub fn shell_word(&self) -> String {
        let plain = |b: &u8| b.is_ascii_alphanumeric() || b"_@%+=:,./-".contains(b);
        if !self.0.is_empty() && self.0.iter().all(plain) {
            return self.to_string_lossy().into_owned();
        }
        let inner = self.escaped().replace("\\\"", "\"").replace('\'', "'\\''");
        format!("'{inner}'")
    }
}

/// A command line for people to read: each argument as a [`ByteString::shell_word`].
pub fn command_line(argv: &[ByteString]) -> String {
    argv.iter().map(ByteString::shell_word).collect::<Vec<_>>().join(" ")
}

impl fmt::Debug for ByteString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", self.escaped())
    }
}

impl From<Vec<u8>> for ByteString {
    fn from(v: Vec<u8>) -> Self {
        ByteString(v)
    }
}

impl From<&[u8]> for ByteString {
    fn from(v: &[u8]) -> Self {
        ByteString(v.to_vec())
    }
}

impl From<&str> for ByteString {
    fn from(v: &str) -> Self {
        ByteString(v.as_bytes().to_vec())
    }
}

impl Serialize for ByteString {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if !s.is_human_readable() {
            return s.serialize_bytes(&self.0);
        }
        match std::str::from_utf8(&self.0) {
            Ok(text) => s.serialize_str(text),
            Err(_) => {
                use serde::ser::SerializeMap;
                let mut map = s.serialize_map(Some(2))?;
                map.serialize_entry("lossy", &self.to_string_lossy())?;
                map.serialize_entry("hex", &hex::encode(&self.0))?;
                map.end()
            }
        }
    }
}

impl schemars::JsonSchema for ByteString {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ByteString".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Bytes from the command (a path, an argument, output): a string when they are valid UTF-8, otherwise an object with a lossy rendering and the exact bytes in hex.",
            "oneOf": [
                { "type": "string" },
                {
                    "type": "object",
                    "properties": {
                        "lossy": { "type": "string", "description": "UTF-8 with invalid sequences replaced by U+FFFD; for display only." },
                        "hex": { "type": "string", "pattern": "^([0-9a-f]{2})*$", "description": "The exact bytes." }
                    },
                    "required": ["hex"]
                }
            ]
        })
    }
}

impl<'de> Deserialize<'de> for ByteString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            d.deserialize_any(ByteStringVisitor)
        } else {
            d.deserialize_byte_buf(ByteStringVisitor)
        }
    }
}

struct ByteStringVisitor;

impl<'de> Visitor<'de> for ByteStringVisitor {
    type Value = ByteString;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, bytes, or a map with a \"hex\" entry")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<ByteString, E> {
        Ok(ByteString(v.as_bytes().to_vec()))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<ByteString, E> {
        Ok(ByteString(v.to_vec()))
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<ByteString, E> {
        Ok(ByteString(v))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ByteString, A::Error> {
        let mut bytes = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "hex" {
                let text: String = map.next_value()?;
                bytes = Some(
                    hex::decode(&text)
                        .ok()
                        .ok_or_else(|| de::Error::invalid_value(de::Unexpected::Str(&text), &"hexadecimal digits"))?,
                );
            } else {
                map.next_value::<de::IgnoredAny>()?;
            }
        }
        bytes.map(ByteString).ok_or_else(|| de::Error::missing_field("hex"))
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_quote_only_what_needs_it() {
        let argv: Vec<ByteString> = vec!["ls".into(), "a b".into(), "it's".into(), "x\n\"y".into(), "".into()];
        assert_eq!(command_line(&argv), r#"ls 'a b' 'it'\''s' 'x\n"y' ''"#);
    }

    #[test]
    fn utf8_is_a_plain_json_string() {
        let b = ByteString::from("dir/a b.txt");
        assert_eq!(serde_json::to_string(&b).unwrap(), "\"dir/a b.txt\"");
    }

    #[test]
    fn non_utf8_round_trips_through_json_exactly() {
        let b = ByteString(vec![b'f', 0xff, 0xfe, b'\n']);
        let json = serde_json::to_string(&b).unwrap();
        assert_eq!(json, r#"{"lossy":"f��\n","hex":"66fffe0a"}"#);
        assert_eq!(serde_json::from_str::<ByteString>(&json).unwrap(), b);
    }

    #[test]
    fn non_utf8_round_trips_through_postcard_exactly() {
        let b = ByteString(vec![0, 0xc3, 0x28, 0xff]);
        let bin = postcard::to_stdvec(&b).unwrap();
        assert_eq!(postcard::from_bytes::<ByteString>(&bin).unwrap(), b);
    }

    #[test]
    fn escaped_form_neutralises_terminal_control_bytes() {
        let b = ByteString(b"a\x1b[31m\n\"\xff".to_vec());
        assert_eq!(b.escaped(), "a\\u{1b}[31m\\n\\\"\\xff");
    }
}
