//! `distsim-mutex`: the whole `distsim` command line, with the token-ring mutex role added.
//! `distsim-mutex run mutex.toml` runs a scenario that uses `role = "mutex"`.

fn main() -> std::process::ExitCode {
    distsim_cli::main_with(distsim_example_mutex::registries())
}
