//! LEB128 variable-length integers and zigzag signed ones: the small numbers of the compact
//! event frames (deltas, lengths, table indexes) take one or two bytes instead of four or eight.

/// Appends `v` as LEB128: seven bits per byte, low bits first, the high bit set on all bytes
/// but the last.
pub fn put(out: &mut Vec<u8>, v: u64) {
    let mut buf = [0u8; 10];
    let n = encode(v, &mut buf);
    out.extend_from_slice(&buf[..n]);
}

/// Writes `v` as LEB128 into `buf`; returns how many bytes it took.
pub fn encode(mut v: u64, buf: &mut [u8; 10]) -> usize {
    let mut n = 0;
    while v >= 0x80 {
        buf[n] = (v as u8) | 0x80;
        v >>= 7;
        n += 1;
    }
    buf[n] = v as u8;
    n + 1
}

/// Appends a signed value zigzag-encoded (0, -1, 1, -2, ... as 0, 1, 2, 3, ...), so that small
/// negative deltas stay small.
pub fn put_signed(out: &mut Vec<u8>, v: i64) {
    put(out, ((v << 1) ^ (v >> 63)) as u64);
}

/// Reads values back from a frame's bytes.
pub struct Cursor<'a> {
    bytes: &'a [u8],
}

/// Why a frame could not be decoded; the log reader adds where.
pub type Malformed = String;

impl<'a> Cursor<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Cursor { bytes }
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The bytes not read yet.
    pub fn rest(&self) -> &'a [u8] {
        self.bytes
    }

    pub fn byte(&mut self) -> Result<u8, Malformed> {
        let (&b, rest) = self.bytes.split_first().ok_or("the frame ends early")?;
        self.bytes = rest;
        Ok(b)
    }

    pub fn take(&mut self, n: u64) -> Result<&'a [u8], Malformed> {
        let n = usize::try_from(n).ok().filter(|&n| n <= self.bytes.len()).ok_or("a length runs past the frame")?;
        let (taken, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(taken)
    }

    pub fn get(&mut self) -> Result<u64, Malformed> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            let bits = u64::from(b & 0x7f);
            if shift == 63 && bits > 1 {
                return Err("a number overflows 64 bits".into());
            }
            v |= bits << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("a number overflows 64 bits".into())
    }

    pub fn get_signed(&mut self) -> Result<i64, Malformed> {
        let v = self.get()?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }

    pub fn get_u32(&mut self) -> Result<u32, Malformed> {
        u32::try_from(self.get()?).map_err(|_| "a number overflows 32 bits".into())
    }

    pub fn get_i32(&mut self) -> Result<i32, Malformed> {
        i32::try_from(self.get_signed()?).map_err(|_| "a number overflows 32 bits".into())
    }
}

/// Reads one LEB128 value from `input` (a frame's length) and says how many bytes it took:
/// `None` when the input ends first (after 0 bytes: the end of the log; after more: a torn
/// frame), an `InvalidData` error when it is longer than ten bytes.
pub fn read(input: &mut impl std::io::Read) -> std::io::Result<(Option<u64>, usize)> {
    let mut v = 0u64;
    for (i, shift) in (0..64).step_by(7).enumerate() {
        let mut b = [0u8];
        if super::read_full(input, &mut b)? == 0 {
            return Ok((None, i));
        }
        v |= u64::from(b[0] & 0x7f) << shift;
        if b[0] & 0x80 == 0 {
            return Ok((Some(v), i + 1));
        }
    }
    Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "a frame length overflows 64 bits"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_in_as_few_bytes_as_their_size_needs() {
        for (v, len) in [(0u64, 1), (127, 1), (128, 2), (16_383, 2), (16_384, 3), (u64::MAX, 10)] {
            let mut out = Vec::new();
            put(&mut out, v);
            assert_eq!(out.len(), len, "{v}");
            let mut c = Cursor::new(&out);
            assert_eq!(c.get().unwrap(), v);
            assert!(c.is_empty());
            assert_eq!(read(&mut out.as_slice()).unwrap(), (Some(v), len));
        }
    }

    #[test]
    fn small_negative_numbers_stay_small() {
        for v in [0i64, -1, 1, -64, 63, i64::MIN, i64::MAX] {
            let mut out = Vec::new();
            put_signed(&mut out, v);
            assert_eq!(Cursor::new(&out).get_signed().unwrap(), v);
        }
        let mut out = Vec::new();
        put_signed(&mut out, -64);
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn truncated_and_overlong_input_is_an_error_not_a_panic() {
        assert!(Cursor::new(&[0x80]).get().is_err());
        assert!(Cursor::new(&[0xff; 11]).get().is_err());
        assert!(Cursor::new(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]).get().is_err());
        assert!(Cursor::new(&[5, 1]).take(5).is_err());
        assert_eq!(read(&mut [0x80u8].as_slice()).unwrap(), (None, 1), "a torn length");
        assert_eq!(read(&mut [0u8; 0].as_slice()).unwrap(), (None, 0), "the end");
        assert!(read(&mut [0xffu8; 11].as_slice()).is_err());
    }
}
