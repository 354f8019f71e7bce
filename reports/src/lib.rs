//! Reports for distsim: turning recorded metrics into summaries, `results.json`, CSV, plots and
//! the HTML report, and comparing against a baseline for CI.
//!
//! Reports write into a writer or directory they are handed; they never run a simulation.
#![deny(missing_docs)]
