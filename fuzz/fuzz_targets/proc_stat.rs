//! /proc/PID/stat as polling reads it (`procfs::process::Stat`, in normal mode's process
//! tree): the kernel writes it, but the command name inside the parentheses is whatever
//! the process chose (prctl(PR_SET_NAME): up to 15 bytes, any but NUL, parentheses, spaces
//! and newlines included), and the kernel does not escape it there. Whatever the name, the
//! line must parse, with the name and every number after it read as written.
//!
//! Input: the pid (3 bytes), the parent pid (3 bytes), the thread count (1 byte), then the
//! name (its first 15 bytes that are not NUL). The rest of the line is a real one. Only the
//! kernel's shape of line is fed: procfs-core 0.18 panics on lines no kernel writes (`(x) S`
//! underflows an index, `1 (x)` slices out of bounds), which polling never reads.

#![no_main]

use libfuzzer_sys::fuzz_target;
use procfs::FromRead;
use procfs::process::Stat;

/// A process's stat line after `pid (comm) state ppid pgrp session tty_nr tpgid flags
/// minflt cminflt majflt cmajflt utime stime cutime cstime priority nice`: from
/// num_threads on, with `{threads}` for it.
const REST: &str = "{threads} 0 1248923 3133440 410 18446744073709551615 94345258819584 94345258839465 \
    140734535442624 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 94345258855472 94345258857088 94345589469184 \
    140734535445216 140734535445236 140734535445236 140734535446507 0";

fuzz_target!(|data: &[u8]| {
    let Some((head, name)) = data.split_first_chunk::<7>() else {
        return;
    };
    let pid = i32::from_le_bytes([head[0], head[1], head[2], 0]);
    let ppid = i32::from_le_bytes([head[3], head[4], head[5], 0]);
    let threads = i64::from(head[6]);
    let comm: Vec<u8> = name.iter().copied().filter(|&b| b != 0).take(15).collect();

    let mut line = format!("{pid} (").into_bytes();
    line.extend_from_slice(&comm);
    let rest = REST.replace("{threads}", &threads.to_string());
    line.extend_from_slice(format!(") S {ppid} {ppid} 23672 0 -1 4194304 100 0 0 0 0 0 0 0 20 0 {rest}\n").as_bytes());

    let stat = match Stat::from_read(&line[..]) {
        Ok(stat) => stat,
        Err(e) => panic!("{:?} does not parse: {e}", String::from_utf8_lossy(&line)),
    };
    assert_eq!(stat.pid, pid);
    assert_eq!(stat.comm, String::from_utf8_lossy(&comm), "the name");
    assert_eq!(stat.state, 'S');
    assert_eq!(stat.ppid, ppid);
    assert_eq!(stat.num_threads, threads);
});
