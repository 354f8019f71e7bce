//! Scenario files for distsim: the TOML schema, validation with precise errors, building a
//! simulation from a scenario, sweeps, and the `distsim` command-line program.
