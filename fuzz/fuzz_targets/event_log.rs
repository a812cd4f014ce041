//! The event-log reader on arbitrary bytes: every input must read to its end (events or
//! errors) without panicking, hanging or allocating without bound, and every event read
//! must render as `runglass trace` shows it. An input that reads back cleanly must survive
//! a re-encode with `LogWriter` unchanged.

#![no_main]

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use libfuzzer_sys::fuzz_target;
use runglass_model::log::{LogReader, LogWriter};
use runglass_render::event_line;

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = LogReader::new(Cursor::new(data), Path::new("fuzz")) else {
        return;
    };
    let header = reader.header().clone();
    let mut events = Vec::new();
    let mut clean = true;
    for item in reader.by_ref() {
        match item {
            Ok(event) => {
                let _ = (event_line::text(&event), event_line::json(&event));
                events.push(event);
            }
            Err(_) => clean = false,
        }
    }
    if !clean {
        return;
    }

    // Re-encode what was read and check it reads back the same.
    let path = temp_path();
    let mut writer = LogWriter::create(&path, &header).expect("create the re-encoded log");
    for event in &events {
        writer.append(event).expect("append to the re-encoded log");
    }
    writer.finish().expect("finish the re-encoded log");
    let reread = LogReader::open(&path).map(|mut r| {
        let events: Vec<_> = r.by_ref().collect();
        (r.header().clone(), events, r.truncated())
    });
    let _ = std::fs::remove_file(&path);

    let (header2, events2, truncated) = reread.expect("the re-encoded log opens");
    assert_eq!(header2, header, "header changed in a re-encode");
    assert!(!truncated, "a re-encoded log must not read as torn");
    let events2: Vec<_> = events2
        .into_iter()
        .map(|e| e.expect("an event of the re-encoded log fails to read"))
        .collect();
    assert_eq!(events2, events, "events changed in a re-encode");
});

/// A file name no other fuzzing process (or iteration) uses.
fn temp_path() -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("runglass-fuzz-event_log-{}-{n}.log", std::process::id()))
}
