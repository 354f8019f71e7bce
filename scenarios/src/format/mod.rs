//! The bottom layer: the scenario file format and its diagnostics. Serde types that mirror
//! the TOML with spans (`schema`), diagnostics that point at file, line and column (`diag`),
//! units (`units`, `quantity`), node selectors (`select`), parameters handed out by name
//! (`params`), values at their spans (`values`), `--set` overrides (`overrides`) and the CSV
//! trace options (`csv_spec`). Nothing here knows a section's meaning or any command.

pub mod csv_spec;
pub mod diag;
pub mod overrides;
pub mod params;
pub mod quantity;
pub mod schema;
pub mod select;
pub mod units;
pub mod values;
