//! Keeps `docs/scenario-format.md` and the README in step with the code.
//!
//! Every ```` ```toml ```` block in them must be a complete scenario that loads; every
//! ```` ```toml-fragment ```` block must at least be valid TOML. And every name the schema,
//! the role registry and the workload models accept must be documented, so adding a section,
//! fault kind, role, parameter or distribution without documenting it fails here.

use std::path::Path;

/// A fenced code block: its info string, its text and the line of its opening fence.
struct Block {
    info: String,
    text: String,
    line: usize,
}

/// The fenced code blocks of a Markdown text (``` fences only; the docs use no other kind).
fn fenced_blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    for (index, line) in markdown.lines().enumerate() {
        let trimmed = line.trim_start();
        match open.as_mut() {
            None => {
                if let Some(info) = trimmed.strip_prefix("```") {
                    open = Some(Block {
                        info: info.trim().to_string(),
                        text: String::new(),
                        line: index + 1,
                    });
                }
            }
            Some(block) => {
                if trimmed.starts_with("```") {
                    blocks.extend(open.take());
                } else {
                    block.text.push_str(line);
                    block.text.push('\n');
                }
            }
        }
    }
    assert!(
        open.is_none(),
        "a code fence opened at line {} is never closed",
        open.map_or(0, |b| b.line)
    );
    blocks
}

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

const FORMAT_DOC: &str = "../docs/scenario-format.md";
const README: &str = "../README.md";

/// Loads every `toml` block of `file` as a scenario and parses every `toml-fragment` block as
/// TOML; returns how many complete scenarios it loaded.
#[track_caller]
fn check_examples(file: &str) -> usize {
    let markdown = read(file);
    let mut failures = Vec::new();
    let mut n_scenarios = 0;
    for block in fenced_blocks(&markdown) {
        let name = format!("{file}:{}", block.line);
        match block.info.as_str() {
            "toml" => {
                n_scenarios += 1;
                if let Err(error) = scenarios::load_text(&name, &block.text, &[]) {
                    failures.push(format!(
                        "the ```toml block at line {} is not a valid scenario (mark it \
                         ```toml-fragment if it is not meant to be complete):\n{error}",
                        block.line
                    ));
                }
            }
            "toml-fragment" => {
                if let Err(error) = block.text.parse::<toml::Table>() {
                    failures.push(format!(
                        "the ```toml-fragment block at line {} is not valid TOML:\n{error}",
                        block.line
                    ));
                }
            }
            info if info.starts_with("toml") => failures.push(format!(
                "the block at line {} is marked ```{info}; use ```toml for a complete \
                 scenario or ```toml-fragment for a fragment",
                block.line
            )),
            _ => {}
        }
    }
    assert!(failures.is_empty(), "{file}:\n\n{}", failures.join("\n\n"));
    n_scenarios
}

// Goal: every complete scenario in the format reference loads, and every fragment is TOML.
// Method: extract the fenced blocks and load each `toml` one with no overrides.
#[test]
fn format_doc_examples_load() {
    let n_scenarios = check_examples(FORMAT_DOC);
    assert!(
        n_scenarios >= 3,
        "expected several complete scenarios in {FORMAT_DOC}, found {n_scenarios}"
    );
}

// Goal: the README's scenario examples load too.
#[test]
fn readme_examples_load() {
    let n_scenarios = check_examples(README);
    assert!(n_scenarios >= 1, "expected a scenario example in {README}");
}

/// The names in `names` that `is_documented` does not find in the format reference.
fn undocumented<'a>(
    names: impl IntoIterator<Item = &'a str>,
    is_documented: impl Fn(&str, &str) -> bool,
) -> Vec<&'a str> {
    let doc = read(FORMAT_DOC);
    names
        .into_iter()
        .filter(|name| !is_documented(&doc, name))
        .collect()
}

/// `name` appears in code spans, e.g. `` `zipf` ``.
fn in_code(doc: &str, name: &str) -> bool {
    doc.contains(&format!("`{name}`"))
}

/// `name` starts a row of a Markdown table, e.g. `` | `target` | ``.
fn in_table_row(doc: &str, name: &str) -> bool {
    doc.lines()
        .any(|line| line.starts_with(&format!("| `{name}`")))
}

/// `name` is in a heading, e.g. `` #### `crash` ``.
fn in_heading(doc: &str, name: &str) -> bool {
    doc.lines()
        .any(|line| line.starts_with('#') && line.contains(&format!("`{name}`")))
}

// Goal: each top-level section is documented under its own heading, as `[name]` or `[[name]]`.
#[test]
fn every_section_is_documented() {
    let missing = undocumented(scenarios::format::schema::TOP_LEVEL_KEYS, |doc, name| {
        in_heading(doc, &format!("[{name}]")) || in_heading(doc, &format!("[[{name}]]"))
    });
    assert!(
        missing.is_empty(),
        "sections without a heading in {FORMAT_DOC}: {missing:?}"
    );
}

// Goal: each fault kind's key has its own heading, its parameters and the engine's names it
// is logged under (what `distsim list` and results.json show) are explained too.
#[test]
fn every_fault_kind_is_documented() {
    let registries = scenarios::Registries::builtin();
    let kinds = registries.fault_kinds.rows();
    let missing = undocumented(kinds.iter().map(|row| row.name), in_heading);
    assert!(
        missing.is_empty(),
        "fault kinds without a heading in {FORMAT_DOC}: {missing:?}"
    );
    let logged = kinds
        .iter()
        .flat_map(|row| row.value.logged_as.iter().copied());
    let missing = undocumented(logged, in_code);
    assert!(
        missing.is_empty(),
        "logged fault kinds not mentioned in {FORMAT_DOC}: {missing:?}"
    );
    let params = kinds
        .iter()
        .flat_map(|row| row.params.iter().map(|p| p.name));
    let missing = undocumented(params, in_code);
    assert!(
        missing.is_empty(),
        "fault parameters not mentioned in {FORMAT_DOC}: {missing:?}"
    );
}

// Goal: each role has a heading and each of its parameters a table row; the keys every group
// shares have rows too.
#[test]
fn every_role_and_parameter_is_documented() {
    let registries = scenarios::Registries::builtin();
    let roles = registries.roles.rows();
    let missing = undocumented(roles.iter().map(|role| role.name), in_heading);
    assert!(
        missing.is_empty(),
        "roles without a heading in {FORMAT_DOC}: {missing:?}"
    );
    for role in roles {
        let missing = undocumented(role.params.iter().map(|p| p.name), in_table_row);
        assert!(
            missing.is_empty(),
            "parameters of role `{}` without a table row in {FORMAT_DOC}: {missing:?}",
            role.name
        );
    }
    let missing = undocumented(scenarios::format::schema::GROUP_COMMON_KEYS, in_table_row);
    assert!(
        missing.is_empty(),
        "[[group]] keys without a table row in {FORMAT_DOC}: {missing:?}"
    );
    // The `role` key's own row names every role.
    let doc = read(FORMAT_DOC);
    let row = doc
        .lines()
        .find(|line| line.starts_with("| `role` |"))
        .expect("the [[group]] table has a `role` row");
    let unnamed: Vec<&str> = roles
        .iter()
        .map(|role| role.name)
        .filter(|name| !row.contains(&format!("`{name}`")))
        .collect();
    assert!(
        unnamed.is_empty(),
        "the `role` row of {FORMAT_DOC} does not name {unnamed:?}"
    );
    let readme = read(README);
    let unnamed: Vec<&str> = roles
        .iter()
        .map(|role| role.name)
        .filter(|name| !readme.contains(&format!("`{name}`")))
        .collect();
    assert!(unnamed.is_empty(), "{README} does not name {unnamed:?}");
}

// Goal: every row of every other kind (distributions, arrival processes, key distributions,
// balancer policies, placement schemes, cache policies, plots, metric tables), every alias
// and every parameter is named in the format reference, so `distsim list` and the docs never
// disagree; arrival processes, key distributions and routing rules have table rows.
#[test]
fn every_kind_is_documented() {
    let registries = scenarios::Registries::builtin();
    // Every gap at once, so one run of the test lists everything to write.
    let mut gaps = Vec::new();
    for listing in registries.listings() {
        if matches!(listing.title, "roles" | "fault kinds") {
            continue; // Checked above, with headings.
        }
        let names = listing
            .rows
            .iter()
            .flat_map(|row| std::iter::once(row.name).chain(row.aliases.iter().copied()));
        let missing = undocumented(names, in_code);
        if !missing.is_empty() {
            gaps.push(format!("{} not mentioned: {missing:?}", listing.title));
        }
        let params = listing
            .rows
            .iter()
            .flat_map(|row| row.params.iter().map(|p| p.name));
        let missing = undocumented(params, in_code);
        if !missing.is_empty() {
            gaps.push(format!(
                "parameters of {} not mentioned: {missing:?}",
                listing.title
            ));
        }
    }
    assert!(gaps.is_empty(), "in {FORMAT_DOC}:\n{}", gaps.join("\n"));
    let vocabulary = &registries.vocabulary;
    for (what, rows) in [
        (
            "arrival processes",
            vocabulary.arrivals.names().collect::<Vec<_>>(),
        ),
        (
            "key distributions",
            vocabulary.keys.names().collect::<Vec<_>>(),
        ),
    ] {
        let missing = undocumented(rows, in_table_row);
        assert!(
            missing.is_empty(),
            "{what} without a table row in {FORMAT_DOC}: {missing:?}"
        );
    }
    let routings = models::roles::client::ROUTINGS
        .iter()
        .map(|(name, _)| *name);
    let missing = undocumented(routings, in_table_row);
    assert!(
        missing.is_empty(),
        "routing rules without a table row in {FORMAT_DOC}: {missing:?}"
    );
}

// Goal: the extractor itself finds fences, their info strings and their line numbers, so the
// tests above cannot pass by finding nothing.
#[test]
fn fenced_blocks_reports_lines() {
    let blocks = fenced_blocks("text\n```toml\na = 1\n```\n\n  ```toml-fragment\nb = 2\n  ```\n");
    let summary: Vec<(&str, &str, usize)> = blocks
        .iter()
        .map(|b| (b.info.as_str(), b.text.as_str(), b.line))
        .collect();
    assert_eq!(
        summary,
        [("toml", "a = 1\n", 2), ("toml-fragment", "b = 2\n", 6)]
    );
}
