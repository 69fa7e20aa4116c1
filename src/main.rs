//! The `netsentry` command line; see `netsentry --help`.

/// The command line allocates with mimalloc: burn's CPU backend allocates a new buffer for most
/// tensor operations, and glibc's malloc returned the large ones to the kernel only to fault them
/// in again on the next batch (docs/performance.md, "Model benchmark"). Chosen here, not in the
/// library, so a program using the library keeps its own allocator; the browser keeps Rust's
/// (WebAssembly memory is never handed back). The benchmarks choose the same
/// (`benches/support/allocator.rs`), so they time what the command line runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    report_oversized_writes();
    netsentry::cli::main()
}

/// A write past the process's file-size limit (`ulimit -f`, a quota) fails with an error the
/// command reports, as a full disk's does ("nothing was written to …: File too large"), instead
/// of SIGXFSZ killing the process without a word and leaving its file half-written.
fn report_oversized_writes() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to "ignore" at startup, before any thread runs,
    // touches no memory of the program's.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}
