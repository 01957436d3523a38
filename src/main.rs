use std::process::ExitCode;

fn main() -> ExitCode {
    agent_install::main().into()
}
