//! `[sweep]`: which variants a scenario sweeps and how many replications each gets.
//!
//! The section names dotted paths (as `--set` takes them) and their values; `grid` makes every
//! combination, the last axis varying fastest; `zip` takes the i-th value of every axis
//! together. Replication `r` of variant `v` runs with seed [`replication_seed`]`(base, v, r)`,
//! a fixed function of the indices, so a run's seed never depends on how a sweep is split or
//! scheduled. Running the sweep is `commands::sweep`'s.

use reports::SweepAxis;
use serde::{Deserialize, Serialize};
use sim_core::rng::derive_seed;

/// Most replications per variant: 10 000 (the interval shrinks as 1/√R; beyond this a sweep is
/// better spent on longer runs).
pub const REPLICATIONS_MAX: u32 = 10_000;
/// Most variants one sweep may have: 2^20 (a variant index must fit in 32 bits of the seed
/// derivation, and a million variants is far beyond any report).
pub const VARIANTS_MAX: usize = 1 << 20;
/// How axes combine into variants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SweepMode {
    /// Every combination; the last axis varies fastest.
    Grid,
    /// The i-th value of every axis together (all axes equally long).
    Zip,
}

impl SweepMode {
    /// `grid` or `zip`.
    pub fn name(self) -> &'static str {
        match self {
            SweepMode::Grid => "grid",
            SweepMode::Zip => "zip",
        }
    }
}

/// A validated sweep plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepPlan {
    /// Runs per variant, 1..=[`REPLICATIONS_MAX`].
    pub replications: u32,
    /// How axes combine.
    pub mode: SweepMode,
    /// The varied fields (values are TOML literals).
    pub axes: Vec<SweepAxis>,
    /// The metric the terminal table sorts by, if given.
    pub sort_by: Option<String>,
}

impl Default for SweepPlan {
    /// One variant (the scenario as written), one replication.
    fn default() -> Self {
        SweepPlan {
            replications: 1,
            mode: SweepMode::Grid,
            axes: Vec::new(),
            sort_by: None,
        }
    }
}

impl SweepPlan {
    /// Checks the plan's shape: values non-empty, paths distinct, zip axes equally long, the
    /// variant count within [`VARIANTS_MAX`].
    pub fn check(&self) -> Result<(), String> {
        if !(1..=REPLICATIONS_MAX).contains(&self.replications) {
            return Err(format!(
                "replications must be from 1 to {REPLICATIONS_MAX}, got {}",
                self.replications
            ));
        }
        for (i, axis) in self.axes.iter().enumerate() {
            if axis.path.trim().is_empty() {
                return Err("a varied path is empty".into());
            }
            if axis.values.is_empty() {
                return Err(format!("`{}` has no values", axis.path));
            }
            if self.axes[..i].iter().any(|a| a.path == axis.path) {
                return Err(format!("`{}` is varied twice", axis.path));
            }
        }
        if self.mode == SweepMode::Zip {
            if let Some(first) = self.axes.first() {
                for axis in &self.axes[1..] {
                    if axis.values.len() != first.values.len() {
                        return Err(format!(
                            "mode = \"zip\" needs equally long value lists: `{}` has {}, `{}` has {}",
                            first.path,
                            first.values.len(),
                            axis.path,
                            axis.values.len()
                        ));
                    }
                }
            }
        }
        let n = self.n_variants();
        if n > VARIANTS_MAX {
            return Err(format!(
                "the sweep has {n} variants, at most {VARIANTS_MAX} are allowed"
            ));
        }
        Ok(())
    }

    /// Number of variants.
    pub fn n_variants(&self) -> usize {
        match (self.mode, self.axes.first()) {
            (_, None) => 1,
            (SweepMode::Zip, Some(first)) => first.values.len(),
            (SweepMode::Grid, Some(_)) => self
                .axes
                .iter()
                .map(|a| a.values.len())
                .fold(1usize, |n, k| n.saturating_mul(k)),
        }
    }

    /// Each variant's `(path, value)` settings, in variant order.
    pub fn variants(&self) -> Vec<Vec<(String, String)>> {
        let n = self.n_variants();
        (0..n)
            .map(|v| match self.mode {
                SweepMode::Zip => self
                    .axes
                    .iter()
                    .map(|a| (a.path.clone(), a.values[v].clone()))
                    .collect(),
                SweepMode::Grid => {
                    // Mixed radix, the last axis fastest.
                    let mut rest = v;
                    let mut settings: Vec<(String, String)> = self
                        .axes
                        .iter()
                        .rev()
                        .map(|a| {
                            let k = rest % a.values.len();
                            rest /= a.values.len();
                            (a.path.clone(), a.values[k].clone())
                        })
                        .collect();
                    settings.reverse();
                    settings
                }
            })
            .collect()
    }
}

/// The seed of replication `replication` of variant `variant`: a fixed function of the base
/// seed and the two indices (never of scheduling, sharding or thread count).
pub fn replication_seed(base: u64, variant: u64, replication: u32) -> u64 {
    assert!(variant < 1 << 32, "variant index fits 32 bits");
    derive_seed(base, (variant << 32) | u64::from(replication))
}

/// Splits `path=v1,v2,...` at top-level commas (not inside quotes, brackets or braces).
pub fn parse_vary(given: &str) -> Result<SweepAxis, String> {
    let (path, values) = given
        .split_once('=')
        .ok_or_else(|| format!("invalid --vary {given:?}: expected path=v1,v2,..."))?;
    let mut parts = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None::<char>, 0usize);
    for (i, c) in values.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth -= 1,
            (None, ',') if depth == 0 => {
                parts.push(values[start..i].trim().to_string());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(values[start..].trim().to_string());
    if parts.iter().any(String::is_empty) {
        return Err(format!("invalid --vary {given:?}: an empty value"));
    }
    Ok(SweepAxis {
        path: path.trim().to_string(),
        values: parts,
    })
}

/// A TOML value as the literal `--set` takes: strings quoted and escaped, floats keeping their
/// point, arrays and tables inline.
fn toml_literal(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => toml_edit::Value::from(s.as_str()).to_string(),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => toml_edit::Value::from(*f).to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Datetime(d) => d.to_string(),
        toml::Value::Array(items) => {
            let items: Vec<String> = items.iter().map(toml_literal).collect();
            format!("[{}]", items.join(", "))
        }
        toml::Value::Table(table) => {
            let entries: Vec<String> = table
                .iter()
                .map(|(k, v)| format!("{} = {}", toml_edit::Key::new(k.as_str()), toml_literal(v)))
                .collect();
            format!("{{ {} }}", entries.join(", "))
        }
    }
}

/// The `[sweep]` section as a plan (no section: one variant, one replication).
pub(crate) fn plan_from_file(
    source: &crate::diag::Source,
    section: Option<&toml::Spanned<crate::format::schema::SweepSection>>,
) -> Result<SweepPlan, crate::diag::Diagnostic> {
    use crate::diag::Diagnostic;
    let Some(section) = section else {
        return Ok(SweepPlan::default());
    };
    let sweep = section.get_ref();
    let replications = match &sweep.replications {
        None => 1,
        Some(r) => match u32::try_from(*r.get_ref()) {
            Ok(n) if (1..=REPLICATIONS_MAX).contains(&n) => n,
            _ => {
                return Err(Diagnostic::error(
                    source,
                    r.span(),
                    format!(
                        "replications must be from 1 to {REPLICATIONS_MAX}, got {}",
                        r.get_ref()
                    ),
                ))
            }
        },
    };
    let mode = match sweep
        .mode
        .as_ref()
        .map(|m| (m.get_ref().as_str(), m.span()))
    {
        None | Some(("grid", _)) => SweepMode::Grid,
        Some(("zip", _)) => SweepMode::Zip,
        Some((other, span)) => {
            return Err(
                Diagnostic::error(source, span, format!("unknown sweep mode {other:?}"))
                    .with_help(crate::diag::suggest(other, ["grid", "zip"])),
            )
        }
    };
    let axes = sweep
        .vary
        .iter()
        .map(|v| SweepAxis {
            path: v.get_ref().path.get_ref().trim().to_string(),
            values: v
                .get_ref()
                .values
                .get_ref()
                .iter()
                .map(toml_literal)
                .collect(),
        })
        .collect();
    let plan = SweepPlan {
        replications,
        mode,
        axes,
        sort_by: sweep.sort_by.as_ref().map(|s| s.get_ref().clone()),
    };
    plan.check()
        .map_err(|message| Diagnostic::error(source, section.span(), message))?;
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(path: &str, values: &[&str]) -> SweepAxis {
        SweepAxis {
            path: path.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    // Goal: grid expansion is every combination with the last axis fastest; zip pairs values;
    // zip with unequal lengths, empty values and repeated paths are refused.
    #[test]
    fn grid_and_zip_expansion() {
        let mut plan = SweepPlan {
            axes: vec![axis("a", &["1", "2"]), axis("b", &["x", "y", "z"])],
            ..SweepPlan::default()
        };
        let grid: Vec<String> = plan
            .variants()
            .iter()
            .map(|s| {
                s.iter()
                    .map(|(_, v)| v.as_str())
                    .collect::<Vec<_>>()
                    .join("")
            })
            .collect();
        assert_eq!(grid, ["1x", "1y", "1z", "2x", "2y", "2z"]);
        plan.mode = SweepMode::Zip;
        assert!(plan.check().unwrap_err().contains("equally long"));
        plan.axes[1].values.pop();
        assert_eq!(plan.n_variants(), 2);
        assert_eq!(
            plan.variants()[1],
            [("a".into(), "2".into()), ("b".into(), "y".into())]
        );
        plan.axes[1] = axis("a", &["3", "4"]);
        assert!(plan.check().unwrap_err().contains("varied twice"));
        plan.axes[1] = axis("b", &[]);
        assert!(plan.check().unwrap_err().contains("no values"));
        assert_eq!(SweepPlan::default().variants(), vec![Vec::new()]);
    }

    // Goal: --vary splits values at top-level commas only.
    #[test]
    fn vary_splits_at_top_level_commas() {
        let a = parse_vary("group.c.policy=lru,\"s3-fifo\"").unwrap();
        assert_eq!(a.values, ["lru", "\"s3-fifo\""]);
        let b = parse_vary("group.c.service={ workers = 1, time = \"1ms\" },[1, 2]").unwrap();
        assert_eq!(b.values, ["{ workers = 1, time = \"1ms\" }", "[1, 2]"]);
        assert!(parse_vary("nopath").is_err());
        assert!(parse_vary("a=1,,2").is_err());
    }
}
