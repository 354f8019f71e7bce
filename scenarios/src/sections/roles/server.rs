//! The `server` role: serves every request through its group's service model and answers,
//! after its rate `limit` if it has one.

use models::msg::Msg;
use models::ratelimit::RateLimit;
use models::roles::Server;
use sim_core::registry::Param;
use sim_core::Node;

use super::{RoleBuilder, RoleRow, RoleSpec, RunContext, ServiceUse};

/// `server`.
pub(super) const ROW: RoleRow = sim_core::registry::Row {
    name: "server",
    aliases: &[],
    description: "serves requests through its service model and answers",
    params: &[
        super::limit::PARAM,
        Param::optional(
            "optimistic",
            "false",
            "writes commit optimistically: one whose key another write committed during its service is answered busy (a conflict)",
        ),
    ],
    value: RoleSpec {
        histograms: &[],
        service: ServiceUse::Optional,
        serves_requests: true,
        parse: |context, params| {
            let limit = super::limit::parse_limit(context, params, false)?;
            let optimistic = params
                .take::<bool>("optimistic")?
                .is_some_and(|b| *b.get_ref());
            Ok(Box::new(ServerBuilder { limit, optimistic }))
        },
    },
};

struct ServerBuilder {
    limit: Option<RateLimit>,
    optimistic: bool,
}

impl RoleBuilder for ServerBuilder {
    fn build_node(&self, _: u32, _: &RunContext<'_>) -> Box<dyn Node<Msg = Msg>> {
        let server = match self.limit {
            Some(limit) => Server::limited(limit),
            None => Server::default(),
        };
        Box::new(if self.optimistic {
            server.optimistic()
        } else {
            server
        })
    }
}
