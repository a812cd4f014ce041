//! `struct sockaddr` bytes as a tracee hands them to connect/bind/sendto: any length and
//! content must decode or be rejected, and whatever decodes must display.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(addr) = runglass_tracer::decode::sockaddr::parse(data) {
        let _ = addr.to_string();
        let _ = (addr.port(), addr.is_wildcard());
    }
});
