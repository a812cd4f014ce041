//! The command's output: the excerpt of each captured stream (its head, and its tail when
//! the middle was left out), and the file where the whole stream lives. Terminal escape
//! sequences and other control bytes are shown escaped, never passed through.

use maud::{Markup, html};
use runglass_model::receipt::{CaptureMode, Receipt, Stream};

use super::parts::frame;
use crate::text::size;

pub(super) fn section(r: &Receipt) -> Markup {
    let o = &r.output;
    let streams = [("stdout", &o.stdout), ("stderr", &o.stderr), ("terminal", &o.transcript)];
    let body = html! {
        @if o.capture == CaptureMode::None {
            p.quiet { "No output was captured." }
        }
        @for (name, stream) in streams {
            @if let Some(s) = stream { (excerpt(name, s)) }
        }
    };
    frame("output", "Output", None, body)
}

fn excerpt(name: &str, s: &Stream) -> Markup {
    let omitted = s.bytes.saturating_sub(s.head.as_bytes().len() as u64 + s.tail.as_bytes().len() as u64);
    html! {
        div.stream {
            h3 { (name) " " span.figure { (size(s.bytes)) } }
            @if s.bytes == 0 {
                p.quiet { "Empty." }
            } @else {
                pre.output { (s.head.printable()) }
                @if s.truncated {
                    p.omitted { "… " (omitted) " bytes omitted …" }
                    pre.output { (s.tail.printable()) }
                }
                @if let Some(stored) = s.stored_bytes {
                    p.muted {
                        "Only the first " (size(stored)) " of the stream are in " code { (s.file) }
                        " in the receipt directory: the rest could not be stored (the data home was full)."
                    }
                } @else {
                    p.muted { "The whole stream is in " code { (s.file) } " in the receipt directory." }
                }
            }
        }
    }
}
