//! How to read a CSV trace, as one line: `key=2,size=3,time=1,op=4,header,delimiter=tab,...`.
//! The same syntax serves `distsim cache --csv` and a scenario's `workload = { csv = ... }`.

use models::workload::trace::{CsvColumn, CsvConfig, CsvHeader, KeyFormat, TimeUnit};

use super::diag::suggest;

/// Parses `--csv`: comma-separated `role=column` pairs (`time`, `key`, `size`, `op`; a column
/// is a 1-based index or, with `header`, a name) and options `header`, `delimiter=tab|space|,|;`,
/// `time_unit=s|ms|us|ns`, `text_keys`, `size_default=N`. Default: `key=1`, no header,
/// comma-separated, integer keys, size 1, times in seconds.
pub fn parse_csv_spec(spec: &str) -> Result<CsvConfig, String> {
    let mut config = CsvConfig {
        delimiter: b',',
        header: CsvHeader::Absent,
        time: None,
        time_unit: TimeUnit::Seconds,
        key: CsvColumn::Index(std::num::NonZeroU32::MIN),
        key_format: KeyFormat::Integer,
        size: None,
        size_default: 1,
        op: None,
    };
    let bad = |item: &str, why: String| format!("invalid --csv item {item:?}: {why}");
    for item in spec.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (name, value) = match item.split_once('=') {
            Some((name, value)) => (name.trim(), Some(value.trim())),
            None => (item, None),
        };
        let column = || -> Result<CsvColumn, String> {
            let value = value.ok_or_else(|| bad(item, "give a column: index or name".into()))?;
            Ok(match value.parse::<u32>() {
                Ok(index) => CsvColumn::Index(
                    std::num::NonZeroU32::new(index)
                        .ok_or_else(|| bad(item, "columns count from 1".into()))?,
                ),
                Err(_) => CsvColumn::Name(value.to_string()),
            })
        };
        match (name, value) {
            ("key", _) => config.key = column()?,
            ("time", _) => config.time = Some(column()?),
            ("size", _) => config.size = Some(column()?),
            ("op", _) => config.op = Some(column()?),
            ("header", None) => config.header = CsvHeader::Present,
            ("text_keys", None) => config.key_format = KeyFormat::Text,
            ("delimiter", Some(d)) => {
                config.delimiter = match d {
                    "tab" => b'\t',
                    "space" => b' ',
                    one if one.len() == 1 => one.as_bytes()[0],
                    _ => return Err(bad(item, "tab, space or one character".into())),
                }
            }
            ("time_unit", Some(unit)) => {
                config.time_unit = match unit {
                    "s" => TimeUnit::Seconds,
                    "ms" => TimeUnit::Millis,
                    "us" => TimeUnit::Micros,
                    "ns" => TimeUnit::Nanos,
                    _ => return Err(bad(item, "one of s, ms, us, ns".into())),
                }
            }
            ("size_default", Some(n)) => {
                config.size_default = n.parse().map_err(|_| bad(item, "a whole number".into()))?
            }
            _ => {
                let known = [
                    "key",
                    "time",
                    "size",
                    "op",
                    "header",
                    "text_keys",
                    "delimiter",
                    "time_unit",
                    "size_default",
                ];
                return Err(bad(item, suggest(name, known)));
            }
        }
    }
    Ok(config)
}
