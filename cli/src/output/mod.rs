//! Capturing the command output (placeholder; being written).
