//! `distsim list`: every registry's rows, with their parameters and defaults, read from the
//! same rows the loader uses (a user's own rows included).

use crate::registry::Registries;

/// The text of `distsim list`: per kind, where it is written, then one line per row (name,
/// aliases, description) and one per parameter (name, default, meaning).
pub fn list_text(registries: &Registries) -> String {
    let mut text = String::new();
    for listing in registries.listings() {
        text.push_str(&format!("{} ({}):\n", listing.title, listing.written));
        for row in &listing.rows {
            text.push_str(&format!("  {:<20} {}\n", row.name, row.description));
            for alias in row.aliases {
                text.push_str(&format!("  {alias:<20} the same as `{}`\n", row.name));
            }
            for param in row.params {
                let default = match param.default {
                    Some(default) => format!("default {default}"),
                    None => "required".to_string(),
                };
                text.push_str(&format!(
                    "      {:<22} {default}: {}\n",
                    param.name, param.description
                ));
            }
        }
        text.push('\n');
    }
    text.push_str("routing (client routing = ...):\n");
    for (name, description) in models::roles::client::ROUTINGS {
        text.push_str(&format!("  {name:<20} {description}\n"));
    }
    text.push_str(
        "  <balancer policy>    client-side balancing with any balancer policy above\n\n",
    );
    text.push_str("random faults ([[fault_process]] tables):\n");
    text.push_str(
        "  fault_process        random crashes and repairs per node (exponential `mtbf` / `mttr`)\n",
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: every row of every kind, each alias and every parameter appears in the list.
    #[test]
    fn lists_every_row_and_parameter() {
        let registries = Registries::builtin();
        let text = list_text(&registries);
        for listing in registries.listings() {
            assert!(text.contains(listing.title), "{}", listing.title);
            for row in &listing.rows {
                assert!(
                    text.contains(&format!("  {:<20} ", row.name)),
                    "{}",
                    row.name
                );
                for alias in row.aliases {
                    assert!(
                        text.contains(&format!("  {alias:<20} the same as `{}`", row.name)),
                        "{alias}"
                    );
                }
                for param in row.params {
                    assert!(
                        text.contains(&format!("      {:<22} ", param.name)),
                        "{}",
                        param.name
                    );
                }
            }
        }
    }
}
