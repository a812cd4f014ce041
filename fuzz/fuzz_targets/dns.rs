//! DNS responses as a tracee receives them from port 53, from a server that may be hostile.
//! Each input is used twice:
//!
//! - as the message itself, to `tracer::decode::dns::parse_response`: it must return without
//!   a panic or hang, with at most `MAX_ADDRS` distinct addresses and a name of printable
//!   ASCII without spaces, no longer than the escaping of a 255-byte name;
//! - as choices for a well-formed response built here: a question, a CNAME chain from it,
//!   records for the chain's names and for other names (other types, other sections), names
//!   compressed or not and in other case, records in any order. The parser must return
//!   exactly the question's name, the RCODE, and the chain's addresses in message order.

#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use runglass_model::host_name;
use runglass_tracer::decode::dns::{MAX_ADDRS, Response, parse_response};

/// Each byte of a 255-byte name escaped as `\DDD`.
const MAX_PRESENTATION: usize = 4 * 255;

const TYPE_A: u16 = 1;
const TYPE_CNAME: u16 = 5;
const TYPE_AAAA: u16 = 28;
/// Types the parser must step over: NS, SOA, MX, TXT, and one it has never heard of.
const OTHER_TYPES: [u16; 5] = [2, 6, 15, 16, 65280];
const CLASS_IN: u16 = 1;

fuzz_target!(|data: &[u8]| {
    if let Some(response) = parse_response(data) {
        check_shape(&response);
    }
    if let Ok((msg, expected)) = build(&mut Unstructured::new(data)) {
        assert_eq!(parse_response(&msg), Some(expected), "message {msg:02x?}");
    }
});

fn check_shape(response: &Response) {
    assert!(response.addrs.len() <= MAX_ADDRS, "{} addresses", response.addrs.len());
    for (i, addr) in response.addrs.iter().enumerate() {
        assert!(!response.addrs[..i].contains(addr), "{addr} twice");
    }
    let name = &response.name;
    assert!(name.bytes().all(|b| b.is_ascii_graphic()), "name {name:?}");
    assert!(!name.is_empty() && name.len() <= MAX_PRESENTATION, "name of {} bytes", name.len());
}

/// A name as labels.
type Name = Vec<Vec<u8>>;

/// One record of the built message, naming its owner by index into the names.
enum Record {
    Addr { owner: usize, ip: IpAddr, upper_case: bool },
    Cname { owner: usize, target: usize },
    Other { owner: usize, rtype: u16 },
}

/// A well-formed response from the choices in `u`, and what the parser must return for it.
fn build(u: &mut Unstructured) -> Result<(Vec<u8>, Response)> {
    // names[0] is the question and names[..=chain_end] its CNAME chain; the rest are others.
    let mut names = vec![name(u)?];
    let chain_end = u.int_in_range(0..=15)?;
    let others = chain_end + 1..chain_end + 1 + u.int_in_range(0..=4)?;
    while names.len() < others.end {
        let candidate = name(u)?;
        if names.iter().any(|known| same(known, &candidate)) {
            // The input chose a name twice: not a chain this test can predict.
            return Err(libfuzzer_sys::arbitrary::Error::IncorrectFormat);
        }
        names.push(candidate);
    }

    let mut answers = Vec::new();
    while answers.len() < 200 && u.arbitrary()? {
        let owner = u.choose_index(names.len())?;
        answers.push(match u.int_in_range(0..=3)? {
            0 | 1 => Record::Addr { owner, ip: address(u)?, upper_case: u.arbitrary()? },
            // A CNAME may lead to any name, but only from a name off the chain.
            2 if !others.is_empty() => {
                Record::Cname { owner: u.int_in_range(others.start..=others.end - 1)?, target: owner }
            }
            _ => Record::Other { owner, rtype: *u.choose(&OTHER_TYPES)? },
        });
    }
    for link in 1..=chain_end {
        let at = u.choose_index(answers.len() + 1)?;
        answers.insert(at, Record::Cname { owner: link - 1, target: link });
    }
    let mut rest = Vec::new();
    while rest.len() < 20 && u.arbitrary()? {
        rest.push(Record::Addr { owner: u.choose_index(chain_end + 1)?, ip: address(u)?, upper_case: false });
    }
    let authority = u.choose_index(rest.len() + 1)?;

    let rcode = u.int_in_range(0..=15u8)?;
    // QR, opcode QUERY, then AA, TC, RD, RA, Z, AD, CD as the input says.
    let flags = 0x8000 | (u.arbitrary::<u16>()? & 0x07f0) | u16::from(rcode);
    let mut msg = Encoder::new(u.arbitrary()?);
    msg.u16(0x1234);
    msg.u16(flags);
    for count in [1, answers.len(), authority, rest.len() - authority] {
        msg.u16(count as u16);
    }
    msg.name(&names[0], false);
    msg.u16(TYPE_A);
    msg.u16(CLASS_IN);
    for record in answers.iter().chain(&rest) {
        msg.record(record, &names);
    }

    let chain = 0..=chain_end;
    let mut addrs = Vec::new();
    for record in &answers {
        if let Record::Addr { owner, ip, .. } = record
            && chain.contains(owner)
            && !addrs.contains(ip)
            && addrs.len() < MAX_ADDRS
        {
            addrs.push(*ip);
        }
    }
    let expected = Response { name: host_name::presentation(names[0].iter().map(Vec::as_slice)), rcode, addrs };
    Ok((msg.bytes, expected))
}

/// One to four labels of one to twelve bytes, any bytes: 53 bytes on the wire at most.
fn name(u: &mut Unstructured) -> Result<Name> {
    let labels = u.int_in_range(1..=4)?;
    (0..labels)
        .map(|_| {
            let len = u.int_in_range(1..=12)?;
            Ok(u.bytes(len)?.to_vec())
        })
        .collect()
}

fn same(a: &Name, b: &Name) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_ignore_ascii_case(y))
}

fn address(u: &mut Unstructured) -> Result<IpAddr> {
    Ok(if u.arbitrary()? {
        IpAddr::V6(Ipv6Addr::from(u.arbitrary::<[u8; 16]>()?))
    } else {
        IpAddr::V4(Ipv4Addr::from(u.arbitrary::<[u8; 4]>()?))
    })
}

/// Writes a message, compressing names as servers do when the input says so: a name's
/// longest suffix written before becomes a pointer to it.
struct Encoder {
    bytes: Vec<u8>,
    /// Every suffix of every name written (as labels, exactly), and where it starts.
    suffixes: Vec<(Name, u16)>,
    /// Whether names are compressed.
    compress: bool,
}

impl Encoder {
    fn new(compress: bool) -> Encoder {
        Encoder { bytes: Vec::new(), suffixes: Vec::new(), compress }
    }

    fn u16(&mut self, value: u16) {
        self.bytes.extend_from_slice(&value.to_be_bytes());
    }

    fn name(&mut self, name: &Name, upper_case: bool) {
        let name: Name = match upper_case {
            true => name.iter().map(|label| label.to_ascii_uppercase()).collect(),
            false => name.clone(),
        };
        for i in 0..name.len() {
            let suffix = &name[i..];
            if self.compress
                && let Some(&(_, at)) = self.suffixes.iter().find(|(known, _)| known == suffix)
            {
                self.u16(0xc000 | at);
                return;
            }
            // Pointers hold 14 bits: later suffixes can only be written out.
            if let Ok(at) = u16::try_from(self.bytes.len())
                && at < 0x4000
            {
                self.suffixes.push((suffix.to_vec(), at));
            }
            self.bytes.push(name[i].len() as u8);
            self.bytes.extend_from_slice(&name[i]);
        }
        self.bytes.push(0);
    }

    fn record(&mut self, record: &Record, names: &[Name]) {
        let (owner, upper_case, rtype) = match *record {
            Record::Addr { owner, ip: IpAddr::V4(_), upper_case, .. } => (owner, upper_case, TYPE_A),
            Record::Addr { owner, ip: IpAddr::V6(_), upper_case, .. } => (owner, upper_case, TYPE_AAAA),
            Record::Cname { owner, .. } => (owner, false, TYPE_CNAME),
            Record::Other { owner, rtype } => (owner, false, rtype),
        };
        self.name(&names[owner], upper_case);
        self.u16(rtype);
        self.u16(CLASS_IN);
        self.bytes.extend_from_slice(&300u32.to_be_bytes());
        let rdlength_at = self.bytes.len();
        self.u16(0);
        match record {
            Record::Addr { ip: IpAddr::V4(ip), .. } => self.bytes.extend_from_slice(&ip.octets()),
            Record::Addr { ip: IpAddr::V6(ip), .. } => self.bytes.extend_from_slice(&ip.octets()),
            Record::Cname { target, .. } => self.name(&names[*target], false),
            Record::Other { .. } => self.bytes.extend_from_slice(b"\x04data"),
        }
        let rdlength = (self.bytes.len() - rdlength_at - 2) as u16;
        self.bytes[rdlength_at..rdlength_at + 2].copy_from_slice(&rdlength.to_be_bytes());
    }
}
