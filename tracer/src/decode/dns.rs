//! Decoding a DNS response a tracee received from port 53: the name it looked up, the
//! answer's RCODE, and the addresses that came back for that name (RFC 1035 4.1).
//!
//! The bytes come from the tracee, or from whatever server answered it, so every count,
//! length and pointer in them is a claim. The parser reads only what the bytes hold, never
//! allocates by a count, and follows compression pointers only backwards: any input ends
//! in `None` or a [`Response`] after a bounded number of passes over the message.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use runglass_model::host_name;

/// The most addresses a response yields; real answers hold a handful.
pub const MAX_ADDRS: usize = 64;
/// The longest name on the wire, length bytes and root label included (RFC 1035 3.1).
const MAX_NAME_WIRE: usize = 255;
/// The most compression pointers followed in one name: one per label of the longest name
/// (127 one-byte labels), which is more than any compressor writes.
const MAX_HOPS: usize = 127;
/// The most names in a CNAME chain, the question's included. Resolvers give up on far
/// shorter chains (glibc follows 16 aliases at most).
const MAX_CHAIN: usize = 16;

const HEADER_LEN: usize = 12;
const QR: u16 = 0x8000;
const OPCODE_QUERY: u16 = 0;
const TYPE_A: u16 = 1;
const TYPE_CNAME: u16 = 5;
const TYPE_AAAA: u16 = 28;
const CLASS_IN: u16 = 1;

/// What a DNS response says about the name a program looked up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The (first) question's name, in presentation form.
    pub name: String,
    /// RCODE: 0 no error, 3 NXDOMAIN, ...
    pub rcode: u8,
    /// A and AAAA records for the question's name or any name its CNAME chain leads to,
    /// in message order, de-duplicated, at most MAX_ADDRS (64).
    pub addrs: Vec<IpAddr>,
}

/// Decodes `msg`, the bytes one recvfrom returned. `None` when it is not the response to a
/// standard query (QR clear, another opcode, no question) or its header or first question
/// is cut short or malformed. A message cut later (the kernel truncated it, or the server
/// set TC) yields the answer records read whole before the cut.
pub fn parse_response(msg: &[u8]) -> Option<Response> {
    let header = msg.get(..HEADER_LEN)?;
    let flags = be16(header, 2)?;
    let qdcount = be16(header, 4)?;
    let ancount = be16(header, 6)?;
    let opcode = (flags >> 11) & 0xf;
    if flags & QR == 0 || opcode != OPCODE_QUERY || qdcount == 0 {
        return None;
    }
    let (question, end) = read_name(msg, HEADER_LEN)?;
    // QTYPE and QCLASS: a question without them was cut, and so was everything after it.
    let first_answer = skip(msg, end, 4)?;
    // Resolvers ask one question per message; any further ones are stepped over.
    let answers = (1..qdcount).try_fold(first_answer, |at, _| skip(msg, read_name(msg, at)?.1, 4));
    let name = host_name::presentation(question.labels());
    let addrs = match answers {
        Some(at) => addresses(Answers { msg, at, left: ancount }, question),
        None => Vec::new(),
    };
    Some(Response { name, rcode: (flags & 0xf) as u8, addrs })
}

/// The addresses of `answers` for `question` and the names its CNAME chain leads to.
///
/// Each record (and a CNAME's target) is read from the message once: a hostile message can
/// make every name cost up to `MAX_HOPS` pointer jumps, and this runs while the tracee, and
/// every other one, waits. The list is bounded by the bytes (a record takes at least 11).
fn addresses(answers: Answers, question: Name) -> Vec<IpAddr> {
    let msg = answers.msg;
    let records: Vec<Record> = answers.collect();
    // CNAME targets by owner, owners folded to lower case (names compare without case).
    let mut aliases: HashMap<Vec<u8>, Vec<Name>> = HashMap::new();
    for record in records.iter().filter(|r| r.rtype == TYPE_CNAME && r.class == CLASS_IN) {
        if let Some(target) = record.name_in_data(msg) {
            aliases.entry(record.owner.key()).or_default().push(target);
        }
    }
    // The chain in the order its names are reached, whatever order the records came in.
    let mut chain = vec![question];
    let mut next = 0;
    while next < chain.len() && chain.len() < MAX_CHAIN {
        for target in aliases.get(&chain[next].key()).into_iter().flatten() {
            if chain.len() < MAX_CHAIN && !chain.iter().any(|name| name.same(target)) {
                chain.push(target.clone());
            }
        }
        next += 1;
    }
    let mut addrs = Vec::new();
    for record in records.iter().filter(|record| record.owned_by(&chain)) {
        let addr = match record.rtype {
            TYPE_A => <[u8; 4]>::try_from(record.data).map(|ip| IpAddr::V4(Ipv4Addr::from(ip))),
            TYPE_AAAA => <[u8; 16]>::try_from(record.data).map(|ip| IpAddr::V6(Ipv6Addr::from(ip))),
            _ => continue,
        };
        // An address record of another length is malformed; the rest of the answer is not.
        let Ok(addr) = addr else { continue };
        if !addrs.contains(&addr) {
            addrs.push(addr);
            if addrs.len() == MAX_ADDRS {
                break;
            }
        }
    }
    addrs
}

/// The answer section's records, from offset `at`: at most `left` (the header's count), and
/// none from the first that the bytes do not hold whole.
struct Answers<'m> {
    msg: &'m [u8],
    at: usize,
    left: u16,
}

impl<'m> Iterator for Answers<'m> {
    type Item = Record<'m>;

    fn next(&mut self) -> Option<Record<'m>> {
        self.left = self.left.checked_sub(1)?;
        let (record, end) = read_record(self.msg, self.at).or_else(|| {
            self.left = 0;
            None
        })?;
        self.at = end;
        Some(record)
    }
}

/// One resource record of class IN, or of another class (which [`Record::owned_by`] refuses).
struct Record<'m> {
    owner: Name,
    rtype: u16,
    class: u16,
    /// RDATA, and where it starts in the message (a name in it may point before it).
    data: &'m [u8],
    data_at: usize,
}

impl Record<'_> {
    /// Whether this record is of class IN and about one of `names`.
    fn owned_by(&self, names: &[Name]) -> bool {
        self.class == CLASS_IN && names.iter().any(|name| name.same(&self.owner))
    }

    /// The name RDATA holds (a CNAME's target), if it is well-formed and ends inside RDATA.
    fn name_in_data(&self, msg: &[u8]) -> Option<Name> {
        let (name, end) = read_name(msg, self.data_at)?;
        (end <= self.data_at + self.data.len()).then_some(name)
    }
}

/// The record at `at` and the offset after it.
fn read_record(msg: &[u8], at: usize) -> Option<(Record<'_>, usize)> {
    let (owner, at) = read_name(msg, at)?;
    let rtype = be16(msg, at)?;
    let class = be16(msg, at + 2)?;
    // TTL (4 bytes) at at + 4 is of no use here.
    let rdlength = usize::from(be16(msg, at + 8)?);
    let data_at = at + 10;
    let data = msg.get(data_at..data_at + rdlength)?;
    Some((Record { owner, rtype, class, data, data_at }, data_at + rdlength))
}

/// A name as read from a message: its labels without compression, each after its length
/// byte, the root label left out.
#[derive(Clone)]
struct Name(Vec<u8>);

impl Name {
    fn labels(&self) -> impl Iterator<Item = &[u8]> {
        let mut rest = self.0.as_slice();
        std::iter::from_fn(move || {
            let (&len, tail) = rest.split_first()?;
            let (label, after) = tail.split_at_checked(usize::from(len))?;
            rest = after;
            Some(label)
        })
    }

    /// DNS compares names without regard to ASCII case (RFC 4343). Length bytes are below
    /// 64, never letters, so comparing the whole encoding folds only the labels' bytes.
    fn same(&self, other: &Name) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }

    /// The name folded to lower case: equal keys for names that are the [`Name::same`].
    fn key(&self) -> Vec<u8> {
        self.0.to_ascii_lowercase()
    }
}

/// Reads the name at `start`; returns it and the offset after it where it was met (after
/// its first compression pointer, if it has one). `None` for a name the bytes do not hold
/// whole, longer than 255 bytes uncompressed, with an extended (0x40) or reserved (0x80)
/// label type, or with a pointer that does not point back.
///
/// A pointer must point before the start of the run of labels it ends (the name's start,
/// or where the previous pointer led): every jump goes further back, so no loop is
/// possible. Compressors only point at names written earlier, which always meets this.
fn read_name(msg: &[u8], start: usize) -> Option<(Name, usize)> {
    let mut wire = Vec::new();
    let mut at = start;
    let mut run_start = start;
    let mut end = None;
    let mut hops = 0;
    loop {
        let len = *msg.get(at)?;
        match len & 0xc0 {
            0x00 if len == 0 => return Some((Name(wire), end.unwrap_or(at + 1))),
            0x00 => {
                let label = msg.get(at + 1..at + 1 + usize::from(len))?;
                // The label, its length byte, and the root label that must still follow.
                if wire.len() + 1 + label.len() + 1 > MAX_NAME_WIRE {
                    return None;
                }
                wire.push(len);
                wire.extend_from_slice(label);
                at += 1 + label.len();
            }
            0xc0 => {
                let target = usize::from(u16::from_be_bytes([len & 0x3f, *msg.get(at + 1)?]));
                hops += 1;
                if target >= run_start || hops > MAX_HOPS {
                    return None;
                }
                end.get_or_insert(at + 2);
                at = target;
                run_start = target;
            }
            _ => return None,
        }
    }
}

fn be16(msg: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(msg.get(at..at + 2)?.try_into().ok()?))
}

/// The offset `n` bytes after `at`, if the message holds them.
fn skip(msg: &[u8], at: usize, n: usize) -> Option<usize> {
    (at + n <= msg.len()).then_some(at + n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// flags of a standard response: QR, RD, RA, opcode QUERY.
    const RESPONSE: u16 = 0x8180;
    const NXDOMAIN: u16 = 3;

    /// A DNS message written field by field, so that each test shows its layout.
    #[derive(Clone)]
    struct Msg(Vec<u8>);

    impl Msg {
        fn header(flags: u16, qdcount: u16, ancount: u16) -> Msg {
            Msg::header_with_counts(flags, [qdcount, ancount, 0, 0])
        }

        /// A header with the counts of all four sections.
        fn header_with_counts(flags: u16, counts: [u16; 4]) -> Msg {
            counts.into_iter().fold(Msg(vec![0x12, 0x34]).u16(flags), Msg::u16)
        }

        fn u16(mut self, value: u16) -> Msg {
            self.0.extend_from_slice(&value.to_be_bytes());
            self
        }

        fn bytes(mut self, bytes: &[u8]) -> Msg {
            self.0.extend_from_slice(bytes);
            self
        }

        fn label(self, label: &[u8]) -> Msg {
            self.bytes(&[label.len() as u8]).bytes(label)
        }

        /// The labels of `text` (split at dots), without the root label.
        fn labels(self, text: &str) -> Msg {
            text.split('.').fold(self, |msg, label| msg.label(label.as_bytes()))
        }

        fn name(self, text: &str) -> Msg {
            self.labels(text).root()
        }

        fn root(self) -> Msg {
            self.bytes(&[0])
        }

        fn pointer(self, to: u16) -> Msg {
            self.u16(0xc000 | to)
        }

        /// QTYPE A, QCLASS IN, after a name written before.
        fn a_question(self) -> Msg {
            self.u16(TYPE_A).u16(CLASS_IN)
        }

        /// A record's fixed fields after its owner name: type, class, TTL 300, RDLENGTH.
        fn fields(self, rtype: u16, class: u16, rdlength: u16) -> Msg {
            self.u16(rtype).u16(class).bytes(&300u32.to_be_bytes()).u16(rdlength)
        }

        /// A record of class IN after its owner name.
        fn record(self, rtype: u16, data: &[u8]) -> Msg {
            self.fields(rtype, CLASS_IN, data.len() as u16).bytes(data)
        }

        /// A CNAME's fields after its owner name; `target` writes the name in RDATA.
        fn cname(self, target: impl FnOnce(Msg) -> Msg) -> Msg {
            let head = self.fields(TYPE_CNAME, CLASS_IN, 0);
            let data_at = head.0.len();
            let mut msg = target(head);
            let rdlength = (msg.0.len() - data_at) as u16;
            msg.0[data_at - 2..data_at].copy_from_slice(&rdlength.to_be_bytes());
            msg
        }

        fn at(&self) -> u16 {
            self.0.len() as u16
        }
    }

    fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(a, b, c, d))
    }

    /// What glibc's stub resolver gets for `example.com`: the question, then two A records
    /// whose owners point back at it.
    fn glibc_like() -> Msg {
        Msg::header(RESPONSE, 1, 2)
            .name("example.com")
            .a_question()
            .pointer(12)
            .record(TYPE_A, &[93, 184, 216, 34])
            .pointer(12)
            .record(TYPE_A, &[93, 184, 216, 35])
    }

    /// `www.example.com` is a CNAME of `edge.cdn.net`, which has an A and an AAAA record; the
    /// owners after the CNAME point at the target inside its RDATA.
    fn cname_chain() -> Msg {
        let msg = Msg::header(RESPONSE, 1, 3).name("www.example.com").a_question().pointer(12);
        let target_at = msg.at() + 10;
        msg.cname(|m| m.labels("edge.cdn.net").root())
            .pointer(target_at)
            .record(TYPE_A, &[198, 51, 100, 7])
            .pointer(target_at)
            .record(TYPE_AAAA, &Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1).octets())
    }

    fn parse(msg: &Msg) -> Option<Response> {
        parse_response(&msg.0)
    }

    #[test]
    fn a_glibc_like_answer_yields_its_name_and_both_addresses() {
        let response = parse(&glibc_like()).unwrap();
        assert_eq!(response.name, "example.com");
        assert_eq!(response.rcode, 0);
        assert_eq!(response.addrs, [v4(93, 184, 216, 34), v4(93, 184, 216, 35)]);
    }

    #[test]
    fn addresses_of_the_cname_target_count_for_the_question() {
        let response = parse(&cname_chain()).unwrap();
        assert_eq!(response.name, "www.example.com");
        let v6 = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1));
        assert_eq!(response.addrs, [v4(198, 51, 100, 7), v6]);
    }

    #[test]
    fn a_cname_after_the_records_of_its_target_still_joins_the_chain() {
        let msg = Msg::header(RESPONSE, 1, 3)
            .name("a.example")
            .a_question()
            .name("c.example")
            .record(TYPE_A, &[10, 0, 0, 3])
            .name("b.example")
            .cname(|m| m.name("c.example"))
            .pointer(12)
            .cname(|m| m.name("b.example"));
        assert_eq!(parse(&msg).unwrap().addrs, [v4(10, 0, 0, 3)]);
    }

    #[test]
    fn a_chain_stops_growing_at_its_cap() {
        // name0 -> name1 -> ... -> nameN, and each name has its own address.
        let chain = |n: u8| {
            let mut msg = Msg::header(RESPONSE, 1, 2 * u16::from(n) + 1).name("name0").a_question();
            for i in 0..n {
                msg = msg.name(&format!("name{i}")).cname(|m| m.name(&format!("name{}", i + 1)));
            }
            for i in 0..=n {
                msg = msg.name(&format!("name{i}")).record(TYPE_A, &[10, 0, 0, i]);
            }
            parse(&msg).unwrap().addrs
        };
        assert_eq!(chain(15).len(), 16);
        assert_eq!(chain(20), (0..16).map(|i| v4(10, 0, 0, i)).collect::<Vec<_>>());
    }

    #[test]
    fn chain_names_match_without_regard_to_case() {
        let msg = Msg::header(RESPONSE, 1, 2)
            .name("WWW.Example.COM")
            .a_question()
            .name("www.example.com")
            .cname(|m| m.name("Edge.CDN.net"))
            .name("EDGE.cdn.NET")
            .record(TYPE_A, &[192, 0, 2, 1]);
        let response = parse(&msg).unwrap();
        assert_eq!(response.name, "WWW.Example.COM");
        assert_eq!(response.addrs, [v4(192, 0, 2, 1)]);
    }

    #[test]
    fn nxdomain_gives_its_rcode_and_no_addresses() {
        let msg = Msg::header(RESPONSE | NXDOMAIN, 1, 0).name("nope.example").a_question();
        assert_eq!(parse(&msg), Some(Response { name: "nope.example".into(), rcode: 3, addrs: vec![] }));
    }

    #[test]
    fn records_for_other_names_other_classes_and_other_sections_are_ignored() {
        const CLASS_CH: u16 = 3;
        let msg = Msg::header_with_counts(RESPONSE, [1, 3, 0, 1])
            .name("a.example")
            .a_question()
            .name("b.example")
            .record(TYPE_A, &[10, 0, 0, 2])
            .pointer(12)
            .fields(TYPE_A, CLASS_CH, 4)
            .bytes(&[10, 0, 0, 3])
            .pointer(12)
            .record(TYPE_A, &[10, 0, 0, 1])
            .pointer(12)
            .record(TYPE_A, &[10, 0, 0, 4]); // the additional section
        assert_eq!(parse(&msg).unwrap().addrs, [v4(10, 0, 0, 1)]);
    }

    #[test]
    fn repeated_addresses_are_kept_once_and_at_most_max_addrs_in_all() {
        let msg = Msg::header(RESPONSE, 1, 2).name("x").a_question();
        let twice = msg.pointer(12).record(TYPE_A, &[10, 0, 0, 1]).pointer(12).record(TYPE_A, &[10, 0, 0, 1]);
        assert_eq!(parse(&twice).unwrap().addrs, [v4(10, 0, 0, 1)]);

        let mut many = Msg::header(RESPONSE, 1, 100).name("x").a_question();
        for i in 0..100 {
            many = many.pointer(12).record(TYPE_A, &[10, 0, 0, i]);
        }
        assert_eq!(parse(&many).unwrap().addrs, (0..64).map(|i| v4(10, 0, 0, i)).collect::<Vec<_>>());
    }

    #[test]
    fn address_records_of_the_wrong_length_are_skipped() {
        let msg = Msg::header(RESPONSE, 1, 3)
            .name("x")
            .a_question()
            .pointer(12)
            .record(TYPE_A, &[10, 0, 0, 1, 9])
            .pointer(12)
            .record(TYPE_AAAA, &[10, 0, 0, 2])
            .pointer(12)
            .record(TYPE_A, &[10, 0, 0, 3]);
        assert_eq!(parse(&msg).unwrap().addrs, [v4(10, 0, 0, 3)]);
    }

    #[test]
    fn queries_other_opcodes_and_messages_without_a_question_are_not_responses() {
        let query = Msg::header(0x0100, 1, 0).name("example.com").a_question();
        assert_eq!(parse(&query), None);
        let notify = Msg::header(RESPONSE | 4 << 11, 1, 0).name("example.com").a_question();
        assert_eq!(parse(&notify), None);
        let empty = Msg::header(RESPONSE, 0, 0);
        assert_eq!(parse(&empty), None);
    }

    #[test]
    fn compression_loops_are_refused() {
        let to_itself = Msg::header(RESPONSE, 1, 0).pointer(12).a_question();
        assert_eq!(parse(&to_itself), None);
        // A label, then a pointer back to that label: behind the pointer, not behind the run.
        let to_own_label = Msg::header(RESPONSE, 1, 0).label(b"a").pointer(12).a_question();
        assert_eq!(parse(&to_own_label), None);
        // A TXT record's data is a pointer to the next owner, and that owner points back at it.
        let question = Msg::header(RESPONSE, 1, 2).name("x").a_question();
        let txt_data_at = question.at() + 2 + 10;
        let second_owner_at = txt_data_at + 2;
        let each_other = question
            .pointer(12)
            .fields(16, CLASS_IN, 2)
            .pointer(second_owner_at)
            .pointer(txt_data_at)
            .record(TYPE_A, &[10, 0, 0, 1]);
        assert_eq!(parse(&each_other).unwrap().addrs, Vec::<IpAddr>::new());
    }

    #[test]
    fn a_forward_pointer_is_refused() {
        let question = Msg::header(RESPONSE, 1, 0).pointer(14).name("x").a_question();
        assert_eq!(parse(&question), None);
        // The owner points at a copy of the question's name after the record.
        let owner = Msg::header(RESPONSE, 1, 1).name("x").a_question();
        let after_record = owner.at() + 2 + 10 + 4;
        let owner = owner.pointer(after_record).record(TYPE_A, &[10, 0, 0, 1]).name("x");
        assert_eq!(parse(&owner).unwrap().addrs, Vec::<IpAddr>::new());
    }

    #[test]
    fn a_huge_answer_count_with_a_short_body_yields_what_is_there() {
        let msg = Msg::header(RESPONSE, 1, 65535).name("x").a_question().pointer(12).record(TYPE_A, &[10, 0, 0, 1]);
        assert_eq!(parse(&msg).unwrap().addrs, [v4(10, 0, 0, 1)]);
    }

    #[test]
    fn a_record_whose_data_runs_past_the_end_ends_the_walk() {
        let msg = Msg::header(RESPONSE, 1, 2)
            .name("x")
            .a_question()
            .pointer(12)
            .record(TYPE_A, &[10, 0, 0, 1])
            .pointer(12)
            .fields(TYPE_A, CLASS_IN, 4)
            .bytes(&[10, 0]);
        assert_eq!(parse(&msg).unwrap().addrs, [v4(10, 0, 0, 1)]);
    }

    #[test]
    fn names_over_255_bytes_are_refused_and_255_bytes_are_read() {
        let long = |last: usize| {
            let label = [b'a'; 63];
            let msg = Msg::header(RESPONSE, 1, 0).label(&label).label(&label).label(&label);
            parse(&msg.label(&vec![b'b'; last]).root().a_question())
        };
        // 3 * (1 + 63) + (1 + 61) + 1 = 255 bytes.
        assert!(long(61).is_some());
        assert_eq!(long(62), None);
    }

    #[test]
    fn extended_and_reserved_label_types_are_refused() {
        for kind in [0x40, 0x80] {
            let msg = Msg::header(RESPONSE, 1, 0).bytes(&[kind | 1, b'a']).root().a_question();
            assert_eq!(parse(&msg), None, "label type {kind:#x}");
        }
    }

    #[test]
    fn every_prefix_of_a_message_parses_without_panic_and_keeps_the_records_read_whole() {
        let msg = cname_chain();
        let full = parse(&msg).unwrap().addrs;
        let question_end = 12 + "www.example.com".len() + 2 + 4;
        for len in 0..=msg.0.len() {
            let response = parse_response(&msg.0[..len]);
            assert_eq!(response.is_some(), len >= question_end, "prefix of {len} bytes");
            if let Some(response) = response {
                assert!(full.starts_with(&response.addrs), "prefix of {len} bytes: {:?}", response.addrs);
            }
        }
    }

    #[test]
    fn hostile_bytes_in_labels_come_out_escaped() {
        let msg = Msg::header(RESPONSE, 1, 0).label(b"a\0b").label(b"c.d e").root().a_question();
        assert_eq!(parse(&msg).unwrap().name, "a\\000b.c\\.d\\032e");
    }

    #[test]
    fn the_answers_follow_every_question_when_there_are_several() {
        let msg = Msg::header(RESPONSE, 2, 1)
            .name("first")
            .a_question()
            .name("second")
            .a_question()
            .pointer(12)
            .record(TYPE_A, &[10, 0, 0, 1]);
        let response = parse(&msg).unwrap();
        assert_eq!((response.name.as_str(), response.addrs), ("first", vec![v4(10, 0, 0, 1)]));
    }
}
