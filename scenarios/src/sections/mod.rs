//! The middle layer: one module per scenario section, each turning what the file says into a
//! validated piece of a [`Scenario`](crate::Scenario) — `simulation`, `topology` (regions,
//! zones and where each group's nodes go), `network`, `service`, `roles` (each group by its
//! role), `placement` (and the membership timeline), `faults`, `report`, `checks`,
//! `sweep_plan` and `warnings` — plus the vocabularies the sections' values name
//! (`distributions`, `workload`, `vocabulary`). Sections use the format layer below and never
//! a command above.

pub mod budget;
pub mod checks;
pub mod distributions;
pub mod faults;
pub mod network;
pub mod placement;
pub mod report;
pub mod roles;
pub mod service;
pub mod simulation;
pub mod sweep_plan;
pub mod topology;
pub mod vocabulary;
pub mod warnings;
pub mod workload;
