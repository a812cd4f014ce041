//! The tracer's reads of tracee memory (`tracer::memory::Memory`): C strings (paths, argv
//! and env strings), NULL-terminated pointer arrays (argv itself) and fixed-size structs.
//! The "tracee" is this process: the input is laid out so that it ends exactly where a
//! page that cannot be read begins, as a string or array a tracee leaves unterminated at
//! the end of its mapping would. Every read must then give exactly what a correct reader
//! gives (an oracle over the input's bytes), never more, and never panic.
//!
//! Input: an offset (2 bytes), a maximum (1 byte) and a word size (1 byte) for the reads,
//! then the memory. Reads go through process_vm_readv, which refuses the guard page; where
//! a sandbox refuses process_vm_readv itself, the reader falls back to /proc/self/mem,
//! which can read the guard page, and this oracle does not hold.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use runglass_tracer::memory::{MAX_PATH, Memory};

const PAGE: usize = 4096;
/// Readable memory before the guard page: room for strings that cross a page boundary.
const ROOM: usize = 2 * PAGE;

/// The start of ROOM readable bytes followed by a page with no access, made once.
fn arena() -> usize {
    static ARENA: OnceLock<usize> = OnceLock::new();
    *ARENA.get_or_init(|| {
        // SAFETY: a fresh private anonymous mapping that nothing else refers to; it is
        // never unmapped, so the address stays valid for the life of the process.
        unsafe {
            let base = libc::mmap(
                std::ptr::null_mut(),
                ROOM + PAGE,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            assert_ne!(base, libc::MAP_FAILED, "mapping the arena");
            assert_eq!(libc::mprotect(base, ROOM, libc::PROT_READ | libc::PROT_WRITE), 0, "opening the arena");
            base as usize
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((head, memory)) = data.split_first_chunk::<4>() else {
        return;
    };
    let memory = &memory[..memory.len().min(ROOM)];
    let start = arena() + ROOM - memory.len();
    // SAFETY: [start, start + len) lies inside the arena's readable and writable part, and
    // no reference to the arena exists while the bytes are copied in.
    unsafe { std::ptr::copy_nonoverlapping(memory.as_ptr(), start as *mut u8, memory.len()) };

    let offset = usize::from(u16::from_le_bytes([head[0], head[1]])) % (memory.len() + 1);
    // Small maxima cut strings short; 255 stands for the real limit on paths.
    let max = if head[2] == u8::MAX { MAX_PATH } else { usize::from(head[2]) };
    let word = if head[3] % 2 == 0 { 8 } else { 4 };
    let tail = &memory[offset..];
    let addr = (start + offset) as u64;
    let tid = std::process::id() as i32;
    let mem = Memory::default();

    assert_eq!(mem.read_cstr(tid, addr, max).ok(), cstr(tail, max), "read_cstr at {offset}, max {max}");
    assert_eq!(mem.read_exact(tid, addr, max).ok(), tail.get(..max).map(<[u8]>::to_vec), "read_exact of {max}");
    let array = mem.read_ptr_array(tid, addr, word, max).ok();
    assert_eq!(array, ptr_array(tail, word, max), "read_ptr_array at {offset}, word {word}, max {max}");
});

/// The string at the start of `tail`: up to its NUL, cut at `max` bytes; None when it runs
/// into the guard page first.
fn cstr(tail: &[u8], max: usize) -> Option<Vec<u8>> {
    let window = &tail[..tail.len().min(max)];
    match window.iter().position(|&b| b == 0) {
        Some(nul) => Some(window[..nul].to_vec()),
        None if tail.len() >= max => Some(window.to_vec()),
        None => None,
    }
}

/// The pointers at the start of `tail` up to a NULL one, at most `max`; None when the
/// array runs into the guard page first.
fn ptr_array(tail: &[u8], word: usize, max: usize) -> Option<Vec<u64>> {
    let mut out = Vec::new();
    for w in tail.chunks_exact(word) {
        let ptr = match *w {
            [a, b, c, d] => u64::from(u32::from_le_bytes([a, b, c, d])),
            _ => u64::from_le_bytes(w.try_into().expect("an 8-byte word")),
        };
        if ptr == 0 || out.len() >= max {
            return Some(out);
        }
        out.push(ptr);
    }
    None
}
