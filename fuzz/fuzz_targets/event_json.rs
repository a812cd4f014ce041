//! Events as JSON (the form the CLI exports and accepts): any bytes must parse or be
//! rejected without panicking, whatever parses must round-trip unchanged through both
//! serde_json and postcard (the event-log frame encoding), and `runglass trace`'s line for
//! it must read back as the same event when it is JSON.

#![no_main]

use libfuzzer_sys::fuzz_target;
use runglass_model::Event;
use runglass_render::event_line;

fuzz_target!(|data: &[u8]| {
    let Ok(event) = serde_json::from_slice::<Event>(data) else {
        return;
    };

    let json = serde_json::to_vec(&event).expect("an event serializes to JSON");
    let from_json: Event = serde_json::from_slice(&json).unwrap_or_else(|e| {
        panic!("re-serialized JSON does not parse: {e}: {}", String::from_utf8_lossy(&json))
    });
    assert_eq!(from_json, event, "JSON round trip changed the event");

    let bin = postcard::to_stdvec(&event).expect("an event serializes to postcard");
    let from_bin: Event = postcard::from_bytes(&bin).expect("postcard output parses");
    assert_eq!(from_bin, event, "postcard round trip changed the event");

    let _ = event_line::text(&event);
    let line: Event = serde_json::from_str(&event_line::json(&event)).expect("the JSON line parses");
    assert_eq!(line, event, "the JSON line is another event");
});
