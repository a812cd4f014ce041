//! One captured stream: a thread copies everything the command writes to it into a file
//! of the receipt directory, echoes it live to the user, and keeps the inline excerpt.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use nix::poll::PollFlags;
use runglass_model::receipt::Stream;

use super::excerpt::Excerpt;
use super::fdio::{self, Chunk};
use super::stop::{self, StopReceiver, StopSender};

/// Longest a drain lasts while data keeps coming: a daemon that never stops writing to
/// the command's output must not hold runglass.
const DRAIN_LIMIT: Duration = Duration::from_secs(2);

pub struct Copier {
    file_name: &'static str,
    path: PathBuf,
    /// The silence that ends the drain; set by [`Copier::drain`] before it stops the thread.
    grace: Arc<OnceLock<Duration>>,
    stop: StopSender,
    thread: JoinHandle<Copied>,
}

/// What the thread leaves behind.
struct Copied {
    excerpt: Excerpt,
    /// The drain stopped while the stream was still open.
    cut_short: bool,
    /// Reading the stream failed (it ended there).
    read_error: Option<io::Error>,
    /// Writing the file failed (the rest of the stream was not stored, but still echoed).
    file_error: Option<io::Error>,
    /// Bytes the file holds.
    stored: u64,
}

/// A stream once copied: the receipt's view of it, and what went wrong storing it.
pub struct Finished {
    pub stream: Stream,
    /// The drain stopped while the stream was still open.
    pub cut_short: bool,
    /// Why the file holds only the first `stream.stored_bytes` (the stream was still
    /// echoed whole, and counted).
    pub store_error: Option<anyhow::Error>,
}

impl Copier {
    /// Creates `dir/file_name` and starts copying `source` to it and to `echo`.
    pub fn start(source: OwnedFd, echo: OwnedFd, dir: &Path, file_name: &'static str) -> anyhow::Result<Copier> {
        let path = dir.join(file_name);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .with_context(|| format!("creating {}", path.display()))?;
        let (stop, stopped) = stop::channel().context("creating a pipe")?;
        let grace = Arc::new(OnceLock::new());
        let sink = Sink { echo: Some(echo), file: Some(file), file_error: None, stored: 0, excerpt: Excerpt::new() };
        let thread_grace = Arc::clone(&grace);
        let thread = std::thread::Builder::new()
            .name(format!("output-{file_name}"))
            .spawn(move || copy(source, sink, stopped, thread_grace))
            .context("starting an output thread")?;
        Ok(Copier { file_name, path, grace, stop, thread })
    }

    /// Stops copying once the stream ends, or once nothing came for `grace`. Several
    /// copiers drain at once: start every drain, then finish each.
    pub fn drain(self, grace: Duration) -> Draining {
        let _ = self.grace.set(grace);
        self.stop.stop();
        Draining { file_name: self.file_name, path: self.path, thread: self.thread }
    }
}

pub struct Draining {
    file_name: &'static str,
    path: PathBuf,
    thread: JoinHandle<Copied>,
}

impl Draining {
    /// Waits for the drain; returns the receipt's view of the stream, whether the stream
    /// was still open when the drain stopped, and whether its file holds all of it.
    pub fn finish(self) -> anyhow::Result<Finished> {
        let copied =
            self.thread.join().map_err(|_| anyhow!("the thread copying the command's {} panicked", self.file_name))?;
        if let Some(e) = copied.read_error {
            return Err(e).with_context(|| format!("reading the command's {}", self.file_name));
        }
        let mut stream = copied.excerpt.into_stream(self.file_name);
        let store_error = copied.file_error.map(|e| {
            stream.stored_bytes = Some(copied.stored);
            anyhow::Error::from(e).context(format!("writing {}", self.path.display()))
        });
        Ok(Finished { stream, cut_short: copied.cut_short, store_error })
    }
}

/// Where each chunk goes.
struct Sink {
    /// None once echoing failed (runglass's stdout was closed): capture goes on.
    echo: Option<OwnedFd>,
    /// None once writing failed: the command must not block on a full pipe because the
    /// disk is, so reading goes on. Unbuffered: each chunk goes to the kernel as it
    /// arrives, so a runglass killed mid-run leaves the output up to that moment for
    /// the recovered receipt.
    file: Option<File>,
    file_error: Option<io::Error>,
    /// Bytes written to the file: a prefix of the stream.
    stored: u64,
    excerpt: Excerpt,
}

impl Sink {
    fn write(&mut self, chunk: &[u8]) {
        // The user first: echo is what makes the output live.
        if let Some(echo) = &self.echo
            && fdio::write_all(echo.as_fd(), chunk, None).is_err()
        {
            self.echo = None;
        }
        if let Some(file) = &mut self.file
            && let Err(e) = write_counted(file, chunk, &mut self.stored)
        {
            self.fail_file(e);
        }
        self.excerpt.push(chunk);
    }

    fn fail_file(&mut self, e: io::Error) {
        self.file = None;
        self.file_error.get_or_insert(e);
    }

    fn close(mut self, cut_short: bool, read_error: Option<io::Error>) -> Copied {
        self.file = None;
        Copied { excerpt: self.excerpt, cut_short, read_error, file_error: self.file_error, stored: self.stored }
    }
}

/// Writes all of `chunk`, adding what reached the file to `stored` even when the write
/// fails part way (a full disk takes the first bytes of a chunk and refuses the rest).
fn write_counted(file: &mut File, mut chunk: &[u8], stored: &mut u64) -> io::Result<()> {
    while !chunk.is_empty() {
        match file.write(chunk) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                *stored += n as u64;
                chunk = &chunk[n..];
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Copies until the end of `source`; once `stopped` fires, only until a silence of the
/// grace period (or [`DRAIN_LIMIT`] in all).
fn copy(source: OwnedFd, mut sink: Sink, stopped: StopReceiver, grace: Arc<OnceLock<Duration>>) -> Copied {
    let mut buf = vec![0u8; 64 * 1024];
    // Set once draining: (the silence that ends it, the end of the drain at the latest).
    let mut drain: Option<(Duration, Instant)> = None;
    let mut last_data = Instant::now();
    loop {
        let deadline = drain.map(|(silence, limit)| (last_data + silence).min(limit));
        let stop_fd = if drain.is_none() { Some(stopped.as_fd()) } else { None };
        let ready = match fdio::wait(source.as_fd(), PollFlags::POLLIN, stop_fd, deadline) {
            Ok(ready) => ready,
            Err(e) => return sink.close(false, Some(e)),
        };
        if ready.stop {
            let silence = grace.get().copied().unwrap_or(Duration::ZERO);
            let now = Instant::now();
            drain = Some((silence, now + silence.max(DRAIN_LIMIT)));
            last_data = now;
        }
        if ready.fd {
            match fdio::read_chunk(source.as_fd(), &mut buf) {
                Ok(Chunk::Data(n)) => {
                    sink.write(&buf[..n]);
                    last_data = Instant::now();
                }
                Ok(Chunk::End) => return sink.close(false, None),
                Ok(Chunk::Again) => {}
                Err(e) => return sink.close(false, Some(e)),
            }
        }
        if let Some((silence, limit)) = drain {
            let now = Instant::now();
            if now >= limit || now >= last_data + silence {
                return sink.close(true, None);
            }
        }
    }
}
