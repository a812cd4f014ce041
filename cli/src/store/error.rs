//! What the store can answer instead of a receipt, as its own error type: commands wrap it
//! with what they were doing, and can tell "no such receipt" from a disk that failed.

use std::path::PathBuf;

use runglass_model::receipt_json::ReceiptError;

use crate::escape;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no data directory: set RUNGLASS_DATA_HOME (or HOME) to a writable directory")]
    NoDataHome,
    #[error("no receipts in {}; make one with `runglass run -- CMD`", escape::text(.0))]
    Empty(PathBuf),
    #[error("\"{}\" is not a receipt id; see `runglass list` for the ids", escape::text(.0))]
    NotAnId(String),
    #[error("no receipt {} in {}; see `runglass list` for the ids", escape::text(id), escape::text(receipts))]
    NoSuchReceipt { id: String, receipts: PathBuf },
    #[error("{} matches {count} receipts; give more of the id (`runglass list`)", escape::text(id))]
    Ambiguous { id: String, count: usize },
    #[error("{} is not a valid receipt: {source}", .file.display())]
    Invalid { file: PathBuf, source: ReceiptError },
    /// Reading or writing the store: the message says what and where.
    #[error(transparent)]
    Io(#[from] anyhow::Error),
}
