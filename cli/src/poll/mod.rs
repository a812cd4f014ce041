//! Normal mode: observing the process tree by polling /proc (placeholder; being written).
