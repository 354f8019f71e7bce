//! Keeps `docs/architecture.md` true where it can be checked mechanically:
//!
//! - the "How to add X" table: every path it names exists, every registry it names is
//!   defined in the file it names, and every kind of `Registries` has a row (so a new kind
//!   cannot land without its recipe);
//! - the layers of this crate: `format` imports nothing above it, and no section imports a
//!   command.

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate sits in the repository")
        .to_path_buf()
}

fn architecture() -> String {
    std::fs::read_to_string(repo().join("docs/architecture.md")).expect("docs/architecture.md")
}

/// The "How to add X" table's rows, as their cells.
fn how_to_add_rows(doc: &str) -> Vec<Vec<String>> {
    let section = doc
        .split("\n## How to add X\n")
        .nth(1)
        .expect("a `## How to add X` section");
    let section = section.split("\n## ").next().unwrap();
    let rows: Vec<Vec<String>> = section
        .lines()
        .filter(|line| line.starts_with('|'))
        .skip(2) // The header and its rule.
        .map(|line| {
            line.trim_matches('|')
                .split(" | ")
                .map(|cell| cell.trim().to_string())
                .collect()
        })
        .collect();
    assert!(rows.len() >= 10, "{} rows", rows.len());
    for row in &rows {
        assert_eq!(
            row.len(),
            4,
            "kind | new code | row goes in | checked by: {row:?}"
        );
    }
    rows
}

/// The code spans of a cell.
fn spans(cell: &str) -> Vec<&str> {
    cell.split('`').skip(1).step_by(2).collect()
}

/// A span naming a repository path (with a `/`, and no spaces or placeholders).
fn is_path(span: &str) -> bool {
    span.contains('/') && !span.contains(' ') && !span.contains('<') && !span.contains("::")
}

#[test]
fn every_path_in_the_how_to_add_table_exists() {
    let doc = architecture();
    let mut missing = Vec::new();
    let mut n_paths = 0;
    for row in how_to_add_rows(&doc) {
        for span in row.iter().skip(1).flat_map(|cell| spans(cell)) {
            if is_path(span) {
                n_paths += 1;
                if !repo().join(span).exists() {
                    missing.push(format!("{}: {span}", row[0]));
                }
            }
        }
    }
    assert!(missing.is_empty(), "paths that do not exist: {missing:?}");
    assert!(n_paths >= 30, "only {n_paths} paths checked");
}

// Each "Its row goes in" cell reads `LIST` in `file`: the list must be defined in that file.
#[test]
fn every_registry_the_table_names_is_where_it_says() {
    let doc = architecture();
    let mut wrong = Vec::new();
    for row in how_to_add_rows(&doc) {
        let cell = &row[2];
        let spans = spans(cell);
        let files: Vec<&str> = spans.iter().copied().filter(|s| is_path(s)).collect();
        let lists = spans
            .iter()
            .copied()
            .filter(|s| s.chars().all(|c| c.is_ascii_uppercase() || c == '_') && s.len() > 2);
        for list in lists {
            let defined = files.iter().any(|file| {
                let text = std::fs::read_to_string(repo().join(file)).unwrap_or_default();
                text.contains(&format!("const {list}:"))
            });
            if !defined {
                wrong.push(format!("{}: `{list}` is not defined in {files:?}", row[0]));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn every_registry_kind_has_a_how_to_add_row() {
    let doc = architecture();
    let kinds: Vec<String> = how_to_add_rows(&doc)
        .into_iter()
        .map(|row| row[0].clone())
        .collect();
    let registries = scenarios::Registries::builtin();
    let missing: Vec<&str> = registries
        .listings()
        .iter()
        .map(|listing| listing.title)
        .filter(|title| !kinds.iter().any(|kind| kind == title))
        .collect();
    assert!(
        missing.is_empty(),
        "kinds without a How to add row: {missing:?}"
    );
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

#[test]
fn lower_layers_never_import_higher_ones() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let rules: [(&str, &[&str]); 2] = [
        (
            "format",
            &[
                "crate::sections",
                "crate::commands",
                "crate::scenario",
                "crate::run",
            ],
        ),
        ("sections", &["crate::commands"]),
    ];
    let mut breaks = Vec::new();
    for (layer, forbidden) in rules {
        let files = sources(&src.join(layer));
        assert!(!files.is_empty(), "{layer} has sources");
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for import in forbidden {
                if text.contains(import) {
                    breaks.push(format!("{} uses {import}", file.display()));
                }
            }
        }
    }
    assert!(breaks.is_empty(), "{breaks:#?}");
}
