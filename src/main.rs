//! The `goodhart` binary: all logic lives in the library; this only hands
//! over to the CLI layer, which maps errors to exit codes.

fn main() -> std::process::ExitCode {
    goodhart::cli::main()
}
