//! The `distsim` binary: distsim's own registries, and the whole command line.

fn main() -> std::process::ExitCode {
    distsim_cli::main_with(scenarios::Registries::builtin())
}
