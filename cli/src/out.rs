//! Standard output for every command. Writes return their error instead of panicking as
//! `println!` does, so output to a closed pipe (`seam query ... | head`) ends the command
//! quietly: `main` treats a broken pipe as success (SPEC §5).

/// Like `print!`, but returns the `io::Result` of the write.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout().lock(), $($arg)*)
    }};
}

/// Like `println!`, but returns the `io::Result` of the write.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)
    }};
}

/// Whether `error` comes from writing to a pipe whose reader has gone: not a failure of the
/// command, only the end of anyone wanting its output.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| cause.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe))
}
