//! Reading a stopped tracee's memory: strings, pointer arrays and structs.
//!
//! process_vm_readv is the fast path. It reads page by page, because a string may end
//! just before an unmapped page that a larger read would fault on. Where the kernel or a
//! sandbox refuses it (ENOSYS, EPERM), reads fall back to pread on /proc/TID/mem.

use std::cell::Cell;
use std::fs::File;
use std::os::fd::OwnedFd;

use nix::errno::Errno;

use crate::sys::{self, Tid};

const PAGE: u64 = 4096;

/// Longest path we read (PATH_MAX).
pub const MAX_PATH: usize = 4096;
/// Longest single argv string the kernel accepts (MAX_ARG_STRLEN).
pub const MAX_ARG: usize = 128 * 1024;
/// Most argv entries we record.
pub const MAX_ARGS: usize = 64 * 1024;

pub struct Memory {
    vm_readv_refused: Cell<bool>,
}

impl Default for Memory {
    fn default() -> Self {
        Memory { vm_readv_refused: Cell::new(false) }
    }
}

impl Memory {
    /// Reads as much of `buf` as is mapped, in page-sized pieces; errors only if nothing
    /// at all could be read.
    pub fn read(&self, tid: Tid, addr: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let mut done = 0;
        while done < buf.len() {
            let at = addr.wrapping_add(done as u64);
            let to_page_end = (PAGE - at % PAGE) as usize;
            let want = to_page_end.min(buf.len() - done);
            match self.read_once(tid, at, &mut buf[done..done + want]) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            }
        }
        Ok(done)
    }

    fn read_once(&self, tid: Tid, addr: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        if !self.vm_readv_refused.get() {
            match sys::process_vm_read(tid, addr, buf) {
                Err(Errno::ENOSYS | Errno::EPERM) => self.vm_readv_refused.set(true),
                other => return other,
            }
        }
        let mem: OwnedFd = File::open(format!("/proc/{tid}/mem"))
            .map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO)))?
            .into();
        sys::pread_mem(&mem, addr, buf)
    }

    /// Reads exactly `len` bytes or fails with EFAULT.
    pub fn read_exact(&self, tid: Tid, addr: u64, len: usize) -> Result<Vec<u8>, Errno> {
        let mut buf = vec![0u8; len];
        if self.read(tid, addr, &mut buf)? < len {
            return Err(Errno::EFAULT);
        }
        Ok(buf)
    }

    /// Reads a NUL-terminated string of at most `max` bytes (longer ones are cut).
    pub fn read_cstr(&self, tid: Tid, addr: u64, max: usize) -> Result<Vec<u8>, Errno> {
        if addr == 0 {
            return Err(Errno::EFAULT);
        }
        let mut out = Vec::new();
        let mut chunk = [0u8; PAGE as usize];
        let mut at = addr;
        while out.len() < max {
            let want = ((PAGE - at % PAGE) as usize).min(max - out.len());
            let n = self.read(tid, at, &mut chunk[..want])?;
            if n == 0 {
                return Err(Errno::EFAULT);
            }
            if let Some(nul) = chunk[..n].iter().position(|&b| b == 0) {
                out.extend_from_slice(&chunk[..nul]);
                return Ok(out);
            }
            out.extend_from_slice(&chunk[..n]);
            at = at.wrapping_add(n as u64);
        }
        Ok(out)
    }

    /// Reads a NULL-terminated array of pointers of `word` bytes each.
    pub fn read_ptr_array(&self, tid: Tid, addr: u64, word: usize, max: usize) -> Result<Vec<u64>, Errno> {
        let mut out = Vec::new();
        if addr == 0 {
            return Ok(out);
        }
        let mut chunk = [0u8; 512];
        let mut at = addr;
        loop {
            let n = self.read(tid, at, &mut chunk)?;
            let whole = n - n % word;
            if whole == 0 {
                return Err(Errno::EFAULT);
            }
            for w in chunk[..whole].chunks_exact(word) {
                let ptr = match word {
                    8 => u64::from_le_bytes(w.try_into().expect("8-byte word")),
                    _ => u64::from(u32::from_le_bytes(w.try_into().expect("4-byte word"))),
                };
                if ptr == 0 || out.len() >= max {
                    return Ok(out);
                }
                out.push(ptr);
            }
            at = at.wrapping_add(whole as u64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me() -> Tid {
        nix::unistd::gettid().as_raw()
    }

    #[test]
    fn strings_and_pointer_arrays_read_back_on_both_paths() {
        let text = b"hello\0world".to_vec();
        let ptrs: Vec<u64> = vec![text.as_ptr() as u64, 0];
        for refused in [false, true] {
            let mem = Memory { vm_readv_refused: Cell::new(refused) };
            assert_eq!(mem.read_cstr(me(), text.as_ptr() as u64, 100).unwrap(), b"hello");
            assert_eq!(mem.read_cstr(me(), text.as_ptr() as u64, 3).unwrap(), b"hel");
            let arr = mem.read_ptr_array(me(), ptrs.as_ptr() as u64, 8, 10).unwrap();
            assert_eq!(arr, vec![text.as_ptr() as u64]);
        }
    }

    #[test]
    fn unmapped_addresses_fail_cleanly() {
        let mem = Memory::default();
        assert!(mem.read_cstr(me(), 8, 100).is_err());
        assert!(mem.read_cstr(me(), 0, 100).is_err());
    }
}
