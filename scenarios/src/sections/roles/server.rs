//! The `server` role: serves every request through its group's service model and answers.

use models::msg::Msg;
use models::roles::Server;
use sim_core::Node;

use super::{RoleBuilder, RoleRow, RoleSpec, RunContext, ServiceUse};

/// `server`.
pub(super) const ROW: RoleRow = sim_core::registry::Row {
    name: "server",
    aliases: &[],
    description: "serves requests through its service model and answers",
    params: &[],
    value: RoleSpec {
        histograms: &[],
        service: ServiceUse::Optional,
        serves_requests: true,
        parse: |_, _| Ok(Box::new(ServerBuilder)),
    },
};

struct ServerBuilder;

impl RoleBuilder for ServerBuilder {
    fn build_node(&self, _: u32, _: &RunContext<'_>) -> Box<dyn Node<Msg = Msg>> {
        Box::new(Server)
    }
}
