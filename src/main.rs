//! The `cfingress` binary: parse the command line and dispatch.

fn main() -> std::process::ExitCode {
    cfingress::cli::run()
}
