//! Writing captured contents to the blob store on a thread of its own. Creating a blob is
//! a few file-system operations (a temporary file, a write, a rename): on a busy disk that
//! costs far more than reading a small file, and every traced process waits while the
//! tracer works. So the tracer only reads the content and hands it over; this thread
//! stores it. Files too large to hold in memory stream straight into the store.
//!
//! A capture whose content is handed over says `stored` before the blob exists: the
//! receipt builder checks the store before it repeats the claim, and dropping the writer
//! waits until every content handed over is written.

use std::io::Read;
use std::thread::JoinHandle;

use anyhow::Context;
use crossbeam_channel::Sender;

use crate::store::blobs::BlobStore;

use crate::collect::path_state::Keep;

/// At most this many contents wait for the writer (each at most 1 MiB): past it, the
/// tracer waits, so memory stays bounded whatever the command writes.
const QUEUE: usize = 64;

pub struct BlobWriter {
    /// For streaming large files, which are not handed over.
    store: BlobStore,
    queue: Option<Sender<Vec<u8>>>,
    thread: Option<JoinHandle<()>>,
}

impl BlobWriter {
    /// Stores into `store` (a clone: what it cannot keep is counted with the caller's).
    pub fn start(store: BlobStore) -> anyhow::Result<BlobWriter> {
        let theirs = store.clone();
        let (queue, contents) = crossbeam_channel::bounded::<Vec<u8>>(QUEUE);
        let thread = std::thread::Builder::new()
            .name("blob-writer".into())
            .spawn(move || {
                let mut warned = false;
                for content in contents {
                    match theirs.put_bytes(&content) {
                        // Counted, and said with the rest of what the full disk cost.
                        Err(e) if crate::store::space::is_full(&e) => theirs.note_full(),
                        Err(e) if !std::mem::replace(&mut warned, true) => {
                            eprintln!("runglass: warning: a captured before-content was not stored ({e:#})")
                        }
                        _ => {}
                    }
                }
            })
            .context("starting the thread that stores captured contents")?;
        Ok(BlobWriter { store, queue: Some(queue), thread: Some(thread) })
    }
}

impl Keep for BlobWriter {
    fn keep(&self, content: Vec<u8>) -> anyhow::Result<()> {
        let queue = self.queue.as_ref().context("the blob writer has stopped")?;
        queue.send(content).map_err(|_| anyhow::anyhow!("the blob writer has stopped"))
    }

    fn keep_stream(&self, r: &mut dyn Read, cap: u64) -> anyhow::Result<Option<blake3::Hash>> {
        self.store.keep_stream(r, cap)
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        drop(self.queue.take());
        if let Some(thread) = self.thread.take() {
            // It only ends by running out of contents; a panic there has been reported.
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_handed_over_is_stored_once_the_writer_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = dir.path().join("blobs");
        let writer = BlobWriter::start(BlobStore::open(&blobs).unwrap()).unwrap();
        let contents: Vec<Vec<u8>> = (0..200u32).map(|i| i.to_le_bytes().repeat(100)).collect();
        for content in &contents {
            writer.keep(content.clone()).unwrap();
        }
        drop(writer);
        let store = BlobStore::open(&blobs).unwrap();
        assert!(contents.iter().all(|c| store.contains(&blake3::hash(c))));
    }
}
