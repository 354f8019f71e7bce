//! A check's outputs: the terminal verdict table, `check.md` (for a pull-request comment) and
//! `check.junit.xml` (for CI test reporters).
//!
//! All three are pure functions of the [`CheckReport`]: rows in the report's order, no
//! timestamps, no durations, so the same check gives the same bytes.

use std::path::{Path, PathBuf};

use super::report::{CheckReport, CheckRow, RowKind, Verdict};
use crate::error::ReportError;
use crate::output;

/// The columns of the verdict tables.
const HEADER: [&str; 5] = [
    "check",
    "metric",
    "threshold / baseline",
    "value",
    "verdict",
];

/// Whether a row belongs in the short tables: every assertion and run, and baseline metrics
/// that moved or are missing (the rest are counted, and listed in full in `check.md`).
fn notable(row: &CheckRow) -> bool {
    row.kind != RowKind::Baseline || row.verdict != Verdict::Within
}

fn cells(row: &CheckRow) -> [String; 5] {
    [
        row.kind.label().to_string(),
        row.metric.clone(),
        row.expected.clone(),
        row.value.clone(),
        row.verdict.label().to_string(),
    ]
}

/// Lays out rows as left-aligned columns two spaces apart, without trailing spaces.
fn align_left(rows: &[Vec<String>]) -> String {
    crate::table::align_columns(rows, usize::MAX)
}

/// Baseline rows within tolerance, which the short tables leave out.
fn n_within(report: &CheckReport) -> usize {
    report.rows.iter().filter(|r| !notable(r)).count()
}

/// The terminal output: the verdict table, one line per failure or oddity saying why, the
/// notes, and the summary line. Ends in a newline.
pub fn check_table(report: &CheckReport) -> String {
    let mut out = String::new();
    let shown: Vec<&CheckRow> = report.rows.iter().filter(|r| notable(r)).collect();
    if !shown.is_empty() {
        let mut rows = vec![HEADER.map(String::from).to_vec()];
        rows.extend(shown.iter().map(|row| cells(row).to_vec()));
        out.push_str(&align_left(&rows));
    }
    let within = n_within(report);
    if within > 0 {
        out.push_str(&format!(
            "({within} more baseline metrics within tolerance; all are listed in check.md)\n"
        ));
    }
    for row in report.rows.iter().filter(|r| !r.message.is_empty()) {
        out.push_str(&format!("{}: {}\n", row.verdict.label(), row.message));
    }
    for note in &report.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    out.push_str(&report.summary());
    out.push('\n');
    out
}

/// `text` safe in a Markdown table cell: pipes escaped, angle brackets and ampersands as
/// entities (so `< 25ms` is never read as HTML), line breaks as spaces.
fn md_cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// A metric name as inline code (backticks cannot occur in metric names; pipes are escaped,
/// which GitHub honours inside code in tables).
fn md_code(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!("`{}`", text.replace('|', "\\|").replace('`', "'"))
    }
}

fn md_row(row: &CheckRow) -> String {
    let verdict = if row.verdict.is_failure() {
        format!("**{}**", row.verdict.label())
    } else {
        row.verdict.label().to_string()
    };
    format!(
        "| {} | {} | {} | {} | {verdict} |\n",
        row.kind.label(),
        md_code(&row.metric),
        md_cell(&row.expected),
        md_cell(&row.value),
    )
}

/// `check.md`: a heading with the verdict, the summary line, the table of assertions and of
/// baseline metrics that moved, the reasons, every baseline metric in a collapsed section,
/// the notes, and the command that reproduces the check. GitHub-flavoured Markdown.
pub fn check_markdown(report: &CheckReport) -> String {
    let verdict = if report.passed() { "PASS" } else { "FAIL" };
    let mut md = format!(
        "### distsim check: {} — {verdict}\n\n{}\n\n",
        md_code(&report.scenario),
        md_cell(&report.summary())
    );
    let shown: Vec<&CheckRow> = report.rows.iter().filter(|r| notable(r)).collect();
    if !shown.is_empty() {
        md.push_str("| check | metric | threshold / baseline | value | verdict |\n");
        md.push_str("|---|---|---|---|---|\n");
        for row in shown {
            md.push_str(&md_row(row));
        }
        md.push('\n');
    }
    let reasons: Vec<&CheckRow> = report
        .rows
        .iter()
        .filter(|r| !r.message.is_empty())
        .collect();
    if !reasons.is_empty() {
        for row in reasons {
            md.push_str(&format!(
                "- **{}** {}: {}\n",
                md_cell(row.verdict.label()),
                md_code(&row.name),
                md_cell(&row.message)
            ));
        }
        md.push('\n');
    }
    let baseline_rows: Vec<&CheckRow> = report
        .rows
        .iter()
        .filter(|r| r.kind == RowKind::Baseline)
        .collect();
    if let Some(file) = &report.baseline_file {
        md.push_str(&format!(
            "<details><summary>All {} metrics compared with {} (tolerance {}%)</summary>\n\n",
            baseline_rows.len(),
            md_cell(file),
            report.tolerance_percent
        ));
        md.push_str("| metric | baseline | value | verdict |\n|---|---|---|---|\n");
        for row in baseline_rows {
            md.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                md_code(&row.metric),
                md_cell(&row.expected),
                md_cell(&row.value),
                row.verdict.label()
            ));
        }
        md.push_str("\n</details>\n\n");
    }
    for note in &report.notes {
        md.push_str(&format!("Note: {}\n\n", md_cell(note)));
    }
    let seeds: Vec<String> = report.seeds.iter().map(u64::to_string).collect();
    if report.seeds.len() == 1 {
        md.push_str(&format!("Seed: {}.\n\n", seeds[0]));
    } else {
        md.push_str(&format!(
            "Seeds: {} ({} runs; `a ± b` is a mean and the half-width of its 95% confidence \
             interval over the runs).\n\n",
            seeds.join(", "),
            report.seeds.len()
        ));
    }
    md.push_str(&format!(
        "Reproduce:\n\n```sh\n{}\n```\n",
        report.command.replace('`', "'")
    ));
    md
}

/// `text` for XML 1.0 content and double-quoted attributes: the five special characters as
/// entities, and characters XML 1.0 cannot hold at all (control characters other than tab and
/// line breaks) as U+FFFD.
fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// `check.junit.xml`: one `<testsuite>` named after the scenario, one `<testcase>` per row
/// (assertions, runs, baseline metrics), a `<failure>` with the reason for each failure, and
/// `<skipped>` for baseline metrics this run does not record. No timestamps or durations.
pub fn check_junit(report: &CheckReport) -> String {
    // Informational rows (error ratios) judge nothing: they are properties, not test cases.
    let tests = report
        .rows
        .iter()
        .filter(|r| r.verdict != Verdict::Info)
        .count();
    let failures = report.n_failures();
    let skipped = report
        .rows
        .iter()
        .filter(|r| r.verdict == Verdict::Missing)
        .count();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.push_str(&format!(
        "<testsuites name=\"distsim check\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n"
    ));
    xml.push_str(&format!(
        "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n",
        xml_escape(&report.scenario)
    ));
    xml.push_str("    <properties>\n");
    let seeds: Vec<String> = report.seeds.iter().map(u64::to_string).collect();
    let mut properties = vec![
        ("seeds", seeds.join(",")),
        ("reproduce", report.command.clone()),
    ];
    if let Some(file) = &report.baseline_file {
        properties.push(("baseline", file.clone()));
        properties.push(("tolerance", format!("{}%", report.tolerance_percent)));
    }
    for row in report.rows.iter().filter(|r| r.verdict == Verdict::Info) {
        properties.push((row.metric.as_str(), row.value.clone()));
    }
    for (name, value) in properties {
        xml.push_str(&format!(
            "      <property name=\"{name}\" value=\"{}\"/>\n",
            xml_escape(&value)
        ));
    }
    xml.push_str("    </properties>\n");
    for row in report.rows.iter().filter(|r| r.verdict != Verdict::Info) {
        xml.push_str(&junit_testcase(row));
    }
    xml.push_str("  </testsuite>\n</testsuites>\n");
    xml
}

/// One `<testcase>`: a `<failure>` for a failure, `<skipped>` for a missing metric,
/// `<system-out>` with the reason for anything else worth a sentence.
fn junit_testcase(row: &CheckRow) -> String {
    let open = format!(
        "    <testcase classname=\"distsim.check.{}\" name=\"{}\"",
        row.kind.label(),
        xml_escape(&row.name)
    );
    let message = xml_escape(&row.message);
    if row.verdict.is_failure() {
        let detail = xml_escape(&format!(
            "{} {} (expected {}): {}",
            row.metric,
            row.value,
            row.expected,
            row.verdict.label()
        ));
        let kind = match row.kind {
            RowKind::Assertion => "assertion",
            RowKind::Baseline => "regression",
            RowKind::Run => "stopped",
            RowKind::Outcome => "outcome",
        };
        format!(
            "{open}>\n      <failure message=\"{message}\" type=\"{kind}\">{detail}</failure>\n    </testcase>\n"
        )
    } else if row.verdict == Verdict::Missing {
        format!("{open}>\n      <skipped message=\"{message}\"/>\n    </testcase>\n")
    } else if !row.message.is_empty() {
        format!("{open}>\n      <system-out>{message}</system-out>\n    </testcase>\n")
    } else {
        format!("{open}/>\n")
    }
}

/// The paths [`write_check`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckFiles {
    /// `check.md`.
    pub markdown: PathBuf,
    /// `check.junit.xml`.
    pub junit: PathBuf,
}

/// Writes `check.md` and `check.junit.xml` into `dir` (created if missing), each through a
/// temporary file and a rename.
pub fn write_check(dir: &Path, report: &CheckReport) -> Result<CheckFiles, ReportError> {
    let markdown = check_markdown(report);
    let junit = check_junit(report);
    output::create_dir(dir)?;
    Ok(CheckFiles {
        markdown: output::write_atomic(dir, "check.md", markdown.as_bytes())?,
        junit: output::write_atomic(dir, "check.junit.xml", junit.as_bytes())?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::tests::results_with;
    use crate::check::{build_baseline, evaluate_check, Assertion, CheckInput, Comparison};

    /// A report with a passing and a failing assertion (whose text needs escaping), a regressed
    /// baseline metric, and a command with quotes.
    fn report() -> CheckReport {
        let before = [results_with(&[("client.timeouts", 0)], 2_000_000)];
        let after = [results_with(&[("client.timeouts", 2)], 3_000_000)];
        let baseline = build_baseline(&before);
        let assertions = [
            Assertion {
                metric: "latency.read.p99".into(),
                comparison: Comparison::Less,
                threshold: 25e6,
                threshold_text: "25ms".into(),
            },
            Assertion {
                metric: "client.timeouts".into(),
                comparison: Comparison::Equal,
                threshold: 0.0,
                threshold_text: "0".into(),
            },
        ];
        evaluate_check(&CheckInput {
            results: &after,
            assertions: &assertions,
            baseline: Some(("ci & \"base\".json", &baseline)),
            tolerance_percent: 5.0,
            command: "distsim check 'a b.toml' --seed 1 --set 'x=\"<y>\"'",
        })
        .expect("same scenario")
    }

    /// The elements of an XML text, as (name, attributes) of each start tag, after checking
    /// it is well-formed in the ways a writer could break: every tag closed in order, every
    /// `&` an entity, no `<` inside attribute values, quoted attributes.
    fn parse_xml(xml: &str) -> Vec<(String, Vec<(String, String)>)> {
        let body = xml
            .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
            .expect("an XML declaration");
        let mut stack: Vec<String> = Vec::new();
        let mut elements = Vec::new();
        let mut rest = body;
        while let Some(start) = rest.find('<') {
            let text = &rest[..start];
            check_entities(text);
            assert!(!text.contains('>'), "a bare > in text: {text:?}");
            let end = rest[start..].find('>').expect("a closed tag") + start;
            let tag = &rest[start + 1..end];
            rest = &rest[end + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop().as_deref(), Some(name), "tags close in order");
                continue;
            }
            let self_closing = tag.ends_with('/');
            let tag = tag.trim_end_matches('/');
            let (name, mut attributes_text) = tag.split_once(' ').unwrap_or((tag, ""));
            let mut attributes = Vec::new();
            while let Some((key, after)) = attributes_text.split_once("=\"") {
                let close = after.find('"').expect("a quoted attribute");
                let value = &after[..close];
                assert!(!value.contains('<'), "a < inside an attribute: {value:?}");
                check_entities(value);
                attributes.push((key.trim().to_string(), value.to_string()));
                attributes_text = &after[close + 1..];
            }
            elements.push((name.to_string(), attributes));
            if !self_closing {
                stack.push(name.to_string());
            }
        }
        assert!(stack.is_empty(), "unclosed: {stack:?}");
        assert!(rest.trim().is_empty());
        elements
    }

    fn check_entities(text: &str) {
        for (at, _) in text.match_indices('&') {
            let entity = &text[at..];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                    .iter()
                    .any(|e| entity.starts_with(e)),
                "a bare & in {text:?}"
            );
        }
    }

    // Goal: check.junit.xml is well-formed XML that CI reporters can count: one testsuite, one
    // testcase per row, failures where the check fails, and names with `<`, `&` and quotes
    // escaped. Method: a minimal XML parser over the output of a report with a failing
    // assertion, a regression, and a baseline file name and command full of special characters.
    #[test]
    fn junit_is_well_formed_and_counts() {
        let report = report();
        let xml = check_junit(&report);
        let elements = parse_xml(&xml);
        let count = |name: &str| elements.iter().filter(|(n, _)| n == name).count();
        assert_eq!(count("testsuites"), 1);
        assert_eq!(count("testsuite"), 1);
        assert_eq!(count("testcase"), report.rows.len());
        assert_eq!(count("failure"), report.n_failures());
        assert!(report.n_failures() >= 3, "{:#?}", report.rows);
        let suite = &elements[1].1;
        assert!(suite.contains(&("failures".to_string(), report.n_failures().to_string())));
        assert!(xml.contains("name=\"client.timeouts == 0\""), "{xml}");
        assert!(xml.contains("name=\"latency.read.p99 &lt; 25ms\""), "{xml}");
        assert!(
            xml.contains("value=\"ci &amp; &quot;base&quot;.json\""),
            "{xml}"
        );
        assert!(
            xml.contains("--set &apos;x=&quot;&lt;y&gt;&quot;&apos;"),
            "{xml}"
        );
        assert_eq!(xml_escape("a\u{1}b"), "a\u{fffd}b");
    }

    // Goal: the Markdown and terminal outputs carry the verdict, the failing rows with their
    // reasons, and the reproduce command; table cells cannot break the table. Method: render
    // the report and look for each piece.
    #[test]
    fn markdown_and_table_show_failures() {
        let report = report();
        let md = check_markdown(&report);
        assert!(
            md.starts_with("### distsim check: `demo` — FAIL\n\nFAIL: 1 of 2"),
            "{md}"
        );
        assert!(
            md.contains("| assert | `latency.read.p99` | &lt; 25ms | 3.00ms | pass |"),
            "{md}"
        );
        assert!(
            md.contains("| assert | `client.timeouts` | == 0 | 2 | **FAIL** |"),
            "{md}"
        );
        assert!(
            md.contains(
                "| baseline | `latency.read.p99` | 2.00ms | 3.00ms (+50.0%) | **REGRESSED** |"
            ),
            "{md}"
        );
        assert!(md.contains("<details><summary>All "), "{md}");
        assert!(
            md.contains("```sh\ndistsim check 'a b.toml' --seed 1"),
            "{md}"
        );
        assert_eq!(md_cell("a|b<c"), "a\\|b&lt;c");

        let table = check_table(&report);
        assert!(table.starts_with("check "), "{table}");
        assert!(
            table.contains("FAIL: client.timeouts is 2, want == 0\n"),
            "{table}"
        );
        assert!(
            table.contains("REGRESSED: latency.read.p99 rose from 2.00ms to 3.00ms"),
            "{table}"
        );
        assert!(
            table.contains("more baseline metrics within tolerance"),
            "{table}"
        );
        assert!(
            table.ends_with(&format!("{}\n", report.summary())),
            "{table}"
        );
    }

    // Goal: the same report renders to the same bytes (no clock, no hash order).
    #[test]
    fn rendering_is_deterministic() {
        assert_eq!(check_junit(&report()), check_junit(&report()));
        assert_eq!(check_markdown(&report()), check_markdown(&report()));
    }
}
