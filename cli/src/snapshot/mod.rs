//! Snapshots of a directory tree (placeholder; being written).
