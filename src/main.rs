//! The `netsentry` command line; see `netsentry --help`.

fn main() -> std::process::ExitCode {
    netsentry::cli::main()
}
