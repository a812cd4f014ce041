//! The inline part of a captured stream: its first and last bytes, in memory bounded
//! whatever the size of the output.

use std::collections::VecDeque;

use runglass_model::ByteString;
use runglass_model::receipt::Stream;

/// Bytes kept from the start of a stream.
pub const HEAD: usize = 8 * 1024;
/// Bytes kept from the end of a stream longer than `HEAD + TAIL`.
pub const TAIL: usize = 8 * 1024;

pub struct Excerpt {
    head: Vec<u8>,
    /// The last bytes after the head, at most `TAIL` of them.
    tail: VecDeque<u8>,
    bytes: u64,
}

impl Excerpt {
    pub fn new() -> Excerpt {
        Excerpt { head: Vec::with_capacity(HEAD), tail: VecDeque::with_capacity(TAIL), bytes: 0 }
    }

    pub fn push(&mut self, chunk: &[u8]) {
        self.bytes += chunk.len() as u64;
        let into_head = (HEAD - self.head.len()).min(chunk.len());
        self.head.extend_from_slice(&chunk[..into_head]);
        let rest = &chunk[into_head..];
        if rest.len() >= TAIL {
            self.tail.clear();
            self.tail.extend(&rest[rest.len() - TAIL..]);
        } else {
            let overflow = (self.tail.len() + rest.len()).saturating_sub(TAIL);
            self.tail.drain(..overflow);
            self.tail.extend(rest);
        }
    }

    /// The receipt's view of the stream, stored whole in the receipt directory's `file`.
    pub fn into_stream(self, file: &str) -> Stream {
        let truncated = self.bytes > (HEAD + TAIL) as u64;
        let (head, tail) = if truncated {
            (self.head, Vec::from(self.tail))
        } else {
            let mut all = self.head;
            all.extend(self.tail);
            (all, Vec::new())
        };
        Stream { file: file.to_string(), bytes: self.bytes, head: ByteString(head), tail: ByteString(tail), truncated, stored_bytes: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream of `len` bytes that differs at every position (within 251), so that a
    /// shifted excerpt does not compare equal.
    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8).collect()
    }

    fn excerpt_of(data: &[u8], chunk: usize) -> Excerpt {
        let mut e = Excerpt::new();
        for c in data.chunks(chunk) {
            e.push(c);
        }
        e
    }

    #[test]
    fn a_short_stream_is_kept_whole_in_head() {
        let data = pattern(HEAD + TAIL);
        let s = excerpt_of(&data, 1000).into_stream("stdout");
        assert_eq!((s.head.0, s.tail.0, s.truncated, s.bytes), (data.clone(), vec![], false, data.len() as u64));
        assert_eq!(s.file, "stdout");
    }

    #[test]
    fn a_long_stream_keeps_its_first_and_last_bytes() {
        let data = pattern(HEAD + TAIL + 1);
        for chunk in [1, 700, TAIL, 3 * TAIL] {
            let s = excerpt_of(&data, chunk).into_stream("stdout");
            assert!(s.truncated, "chunks of {chunk}");
            assert_eq!(s.head.0, &data[..HEAD], "chunks of {chunk}");
            assert_eq!(s.tail.0, &data[data.len() - TAIL..], "chunks of {chunk}");
            assert_eq!(s.bytes, data.len() as u64);
        }
    }

    #[test]
    fn memory_stays_bounded_for_ten_megabytes() {
        let chunk = pattern(64 * 1024 + 7);
        let mut e = Excerpt::new();
        for _ in 0..160 {
            e.push(&chunk);
        }
        assert_eq!(e.bytes, 160 * chunk.len() as u64);
        assert!(e.head.capacity() <= 2 * HEAD && e.tail.capacity() <= 2 * TAIL);
    }
}
