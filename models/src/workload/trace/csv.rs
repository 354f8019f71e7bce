//! CSV traces: one request per line, columns picked by 1-based index or header name.
//!
//! The column roles follow libCacheSim's CSV reader (`time_col`, `obj_id_col`, `obj_size_col`,
//! `op_col`, `has_header`, `delimiter`; `traceReader/generalReader/csv.c`): only the key is
//! required; a missing time is 0, a missing size is [`CsvConfig::size_default`] and a missing
//! operation is a read.

use std::fmt;
use std::io::Read;
use std::num::NonZeroU32;

use xxhash_rust::xxh3::xxh3_64;

use super::input::Input;
use super::{KeyId, Op, TraceError, TraceRecord, BUFFER_BYTES};

/// A column of a CSV trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CsvColumn {
    /// The column at this 1-based position.
    Index(NonZeroU32),
    /// The column with this header name (ASCII case ignored); needs [`CsvHeader::Present`].
    Name(String),
}

/// Whether a CSV trace's first line names its columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsvHeader {
    /// The first line is a header, not a request.
    Present,
    /// Every line is a request.
    Absent,
}

/// The unit of a CSV trace's time column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeUnit {
    /// Seconds.
    Seconds,
    /// Milliseconds.
    Millis,
    /// Microseconds.
    Micros,
    /// Nanoseconds.
    Nanos,
}

impl TimeUnit {
    /// Nanoseconds per unit.
    pub const fn nanos(self) -> u64 {
        match self {
            TimeUnit::Seconds => 1_000_000_000,
            TimeUnit::Millis => 1_000_000,
            TimeUnit::Micros => 1_000,
            TimeUnit::Nanos => 1,
        }
    }

    /// Decimal digits after the point that still count (finer ones are below a nanosecond).
    const fn fraction_digits(self) -> u32 {
        match self {
            TimeUnit::Seconds => 9,
            TimeUnit::Millis => 6,
            TimeUnit::Micros => 3,
            TimeUnit::Nanos => 0,
        }
    }
}

/// How a CSV trace writes its keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyFormat {
    /// Unsigned decimal integers, used as the [`KeyId`] directly.
    Integer,
    /// Any non-empty text (a URL, a block id), hashed to a [`KeyId`] with XXH3-64 (seed 0) of
    /// its bytes, so the same text gives the same key on every machine.
    Text,
}

/// How to read a CSV trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvConfig {
    /// The field separator, e.g. `b','`, `b'\t'` or `b' '`.
    pub delimiter: u8,
    /// Whether the first line is a header.
    pub header: CsvHeader,
    /// The request time; without it every request is at time 0.
    pub time: Option<CsvColumn>,
    /// The time column's unit. Times may have a decimal fraction (`12.5`).
    pub time_unit: TimeUnit,
    /// The key (object id).
    pub key: CsvColumn,
    /// How keys are written.
    pub key_format: KeyFormat,
    /// The object size in bytes; without it every request has `size_default`.
    pub size: Option<CsvColumn>,
    /// The size of every request when there is no size column (libCacheSim uses 1).
    pub size_default: u32,
    /// The operation, named as in [`OP_NAMES`]; without it every request is a read.
    pub op: Option<CsvColumn>,
}

/// Operation names a CSV trace may use (ASCII case ignored), and what each means: the
/// memcached, Redis-style and block-trace verbs, reduced to read, write and delete.
pub const OP_NAMES: &[(&str, Op)] = &[
    ("get", Op::Read),
    ("gets", Op::Read),
    ("read", Op::Read),
    ("set", Op::Write),
    ("put", Op::Write),
    ("write", Op::Write),
    ("add", Op::Write),
    ("replace", Op::Write),
    ("cas", Op::Write),
    ("append", Op::Write),
    ("prepend", Op::Write),
    ("update", Op::Write),
    ("insert", Op::Write),
    ("incr", Op::Write),
    ("decr", Op::Write),
    ("delete", Op::Delete),
    ("del", Op::Delete),
    ("remove", Op::Delete),
];

/// What is wrong with a CSV field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldProblem {
    /// Not an unsigned decimal number.
    NotANumber,
    /// A number above the column's maximum.
    TooLarge {
        /// The largest value accepted, in the column's unit.
        max: u64,
    },
    /// An empty text key.
    Empty,
    /// An operation name not in [`OP_NAMES`].
    UnknownOp,
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldProblem::NotANumber => write!(f, "is not a number"),
            FieldProblem::TooLarge { max } => write!(f, "is larger than the maximum, {max}"),
            FieldProblem::Empty => write!(f, "is empty"),
            FieldProblem::UnknownOp => {
                write!(f, "is not a known operation (expected one of")?;
                for (index, (name, _)) in OP_NAMES.iter().enumerate() {
                    let separator = if index == 0 { ": " } else { ", " };
                    write!(f, "{separator}{name}")?;
                }
                write!(f, ")")
            }
        }
    }
}

/// Column roles, as errors name them.
const TIME: &str = "time";
const KEY: &str = "key";
const SIZE: &str = "size";
const OP: &str = "op";

/// Columns resolved to 0-based field positions.
#[derive(Debug)]
struct Positions {
    time: Option<usize>,
    key: usize,
    size: Option<usize>,
    op: Option<usize>,
    /// Fields a line needs: one past the largest position.
    n_needed: usize,
}

/// A CSV trace being read: the resolved columns and the current line number.
#[derive(Debug)]
pub(super) struct CsvState {
    positions: Positions,
    delimiter: u8,
    time_unit: TimeUnit,
    key_format: KeyFormat,
    size_default: u32,
    /// The number of the last line taken from the input (1-based; 0 before the first).
    line: u64,
}

impl CsvState {
    /// Reads the header (if any) from `input` and resolves the configured columns.
    pub(super) fn new<R: Read>(
        config: CsvConfig,
        input: &mut Input<R>,
    ) -> Result<Self, TraceError> {
        let mut line = 0;
        let header = match config.header {
            CsvHeader::Absent => None,
            CsvHeader::Present => {
                line += 1;
                let Some((content_len, line_len)) = next_line(input, line)? else {
                    return Err(TraceError::CsvNoHeader);
                };
                let text = strip_bom(&input.available()[..content_len]);
                let names: Vec<String> = text
                    .split(|&byte| byte == config.delimiter)
                    .map(|name| String::from_utf8_lossy(name.trim_ascii()).into_owned())
                    .collect();
                input.consume(line_len);
                Some(names)
            }
        };
        let header = header.as_deref();
        let resolve_optional = |column: &Option<CsvColumn>, role| {
            column
                .as_ref()
                .map(|column| resolve(column, role, header))
                .transpose()
        };
        let time = resolve_optional(&config.time, TIME)?;
        let key = resolve(&config.key, KEY, header)?;
        let size = resolve_optional(&config.size, SIZE)?;
        let op = resolve_optional(&config.op, OP)?;
        let n_needed = [time, Some(key), size, op].into_iter().flatten().max();
        let n_needed = n_needed.expect("the key column is always set") + 1;
        Ok(CsvState {
            positions: Positions {
                time,
                key,
                size,
                op,
                n_needed,
            },
            delimiter: config.delimiter,
            time_unit: config.time_unit,
            key_format: config.key_format,
            size_default: config.size_default,
            line,
        })
    }

    /// The next request, skipping blank lines; `Ok(None)` at the end.
    pub(super) fn decode_next<R: Read>(
        &mut self,
        input: &mut Input<R>,
    ) -> Result<Option<TraceRecord>, TraceError> {
        loop {
            self.line += 1;
            let Some((content_len, line_len)) = next_line(input, self.line)? else {
                return Ok(None);
            };
            let mut text = &input.available()[..content_len];
            if self.line == 1 {
                text = strip_bom(text);
            }
            if text.trim_ascii().is_empty() {
                input.consume(line_len);
                continue;
            }
            let record = self.parse(text);
            input.consume(line_len);
            return record.map(Some);
        }
    }

    /// One line (without its newline) as a request.
    fn parse(&self, text: &[u8]) -> Result<TraceRecord, TraceError> {
        let [time, key, size, op] = self.split(text)?;
        let key = key.expect("the key column is always set, so split found its field");
        let error = |role, value: &[u8], problem| field_error(self.line, role, value, problem);
        let time_ns = match time {
            Some(value) => parse_time(value, self.time_unit).map_err(|e| error(TIME, value, e))?,
            None => 0,
        };
        let key = parse_key(key, self.key_format).map_err(|e| error(KEY, key, e))?;
        let size_bytes = match size {
            Some(value) => parse_size(value).map_err(|e| error(SIZE, value, e))?,
            None => self.size_default,
        };
        let op = match op {
            Some(value) => parse_op(value).map_err(|e| error(OP, value, e))?,
            None => Op::Read,
        };
        Ok(TraceRecord {
            time_ns,
            key,
            size_bytes,
            op,
            next_access_vtime: None,
        })
    }

    /// The trimmed fields of the time, key, size and op columns (`None` for a column not
    /// configured); an error if the line is too short for a configured one.
    fn split<'a>(&self, text: &'a [u8]) -> Result<[Option<&'a [u8]>; 4], TraceError> {
        let positions = &self.positions;
        let roles = [
            (TIME, positions.time),
            (KEY, Some(positions.key)),
            (SIZE, positions.size),
            (OP, positions.op),
        ];
        let mut fields: [Option<&[u8]>; 4] = [None; 4];
        let mut n_fields = 0;
        for (index, field) in text.split(|&byte| byte == self.delimiter).enumerate() {
            n_fields = index + 1;
            for (slot, (_, position)) in fields.iter_mut().zip(roles) {
                if position == Some(index) {
                    *slot = Some(field.trim_ascii());
                }
            }
            if n_fields == positions.n_needed {
                break;
            }
        }
        for (slot, (role, position)) in fields.iter().zip(roles) {
            if let (None, Some(position)) = (slot, position) {
                return Err(TraceError::CsvMissingField {
                    line: self.line,
                    column: role,
                    index: position as u32 + 1,
                    n_fields: n_fields as u32,
                    delimiter: char::from(self.delimiter),
                });
            }
        }
        Ok(fields)
    }
}

/// A column's 0-based position, looking names up in the header.
fn resolve(
    column: &CsvColumn,
    role: &'static str,
    header: Option<&[String]>,
) -> Result<usize, TraceError> {
    match column {
        CsvColumn::Index(index) => Ok(index.get() as usize - 1),
        CsvColumn::Name(name) => {
            let Some(header) = header else {
                return Err(TraceError::CsvNameWithoutHeader {
                    column: role,
                    name: name.clone(),
                });
            };
            let position = header
                .iter()
                .position(|column_name| column_name.eq_ignore_ascii_case(name));
            position.ok_or_else(|| TraceError::CsvUnknownColumn {
                column: role,
                name: name.clone(),
                header: header.join(", "),
            })
        }
    }
}

/// Makes the input start with a whole line: returns its length without and with its newline
/// (`\n`; a `\r` before it is trimmed with the fields' whitespace), or `Ok(None)` at the end.
/// The last line may lack a newline. A source error ends the trace without its partial
/// last line, which is likely cut short.
fn next_line<R: Read>(
    input: &mut Input<R>,
    line: u64,
) -> Result<Option<(usize, usize)>, TraceError> {
    loop {
        if let Some(newline) = input.available().iter().position(|&byte| byte == b'\n') {
            return Ok(Some((newline, newline + 1)));
        }
        if input.is_full() {
            return Err(TraceError::CsvLineTooLong {
                line,
                len_max: BUFFER_BYTES,
            });
        }
        if !input.refill() {
            if let Some(error) = input.take_pending() {
                return Err(error);
            }
            let len = input.available().len();
            return Ok((len > 0).then_some((len, len)));
        }
    }
}

/// `text` without a leading UTF-8 byte order mark (spreadsheet exports add one).
fn strip_bom(text: &[u8]) -> &[u8] {
    text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text)
}

/// A field error, quoting the field.
fn field_error(line: u64, column: &'static str, value: &[u8], problem: FieldProblem) -> TraceError {
    TraceError::CsvField {
        line,
        column,
        value: String::from_utf8_lossy(value).into_owned(),
        problem,
    }
}

/// Unsigned decimal digits as a number; `max` is reported if it overflows `u64`.
fn parse_digits(text: &[u8], max: u64) -> Result<u64, FieldProblem> {
    if text.is_empty() || !text.iter().all(u8::is_ascii_digit) {
        return Err(FieldProblem::NotANumber);
    }
    text.iter().try_fold(0_u64, |value, &digit| {
        value
            .checked_mul(10)
            .and_then(|value| value.checked_add(u64::from(digit - b'0')))
            .ok_or(FieldProblem::TooLarge { max })
    })
}

/// A time such as `12` or `12.5` in `unit`, as nanoseconds, exactly; digits below a
/// nanosecond are dropped.
fn parse_time(text: &[u8], unit: TimeUnit) -> Result<u64, FieldProblem> {
    let max = u64::MAX / unit.nanos();
    let too_large = FieldProblem::TooLarge { max };
    let (whole, fraction) = match text.iter().position(|&byte| byte == b'.') {
        Some(point) => (&text[..point], &text[point + 1..]),
        None => (text, &[][..]),
    };
    if whole.is_empty() && fraction.is_empty() {
        return Err(FieldProblem::NotANumber);
    }
    let whole = if whole.is_empty() {
        0
    } else {
        parse_digits(whole, max)?
    };
    if !fraction.iter().all(u8::is_ascii_digit) {
        return Err(FieldProblem::NotANumber);
    }
    // At most 9 digits are kept, so their value fits easily.
    let kept_digits = unit.fraction_digits() as usize;
    let kept = &fraction[..fraction.len().min(kept_digits)];
    let kept_value = kept
        .iter()
        .fold(0_u64, |value, &digit| value * 10 + u64::from(digit - b'0'));
    let fraction_nanos = kept_value * 10_u64.pow((kept_digits - kept.len()) as u32);
    whole
        .checked_mul(unit.nanos())
        .and_then(|nanos| nanos.checked_add(fraction_nanos))
        .ok_or(too_large)
}

/// A key in `format`.
fn parse_key(text: &[u8], format: KeyFormat) -> Result<KeyId, FieldProblem> {
    match format {
        KeyFormat::Integer => parse_digits(text, u64::MAX).map(KeyId),
        KeyFormat::Text if text.is_empty() => Err(FieldProblem::Empty),
        KeyFormat::Text => Ok(KeyId(xxh3_64(text))),
    }
}

/// A size in bytes, at most `u32::MAX` (oracleGeneral's limit, and libCacheSim's).
fn parse_size(text: &[u8]) -> Result<u32, FieldProblem> {
    let max = u64::from(u32::MAX);
    let size = parse_digits(text, max)?;
    u32::try_from(size).map_err(|_| FieldProblem::TooLarge { max })
}

/// An operation name from [`OP_NAMES`].
fn parse_op(text: &[u8]) -> Result<Op, FieldProblem> {
    OP_NAMES
        .iter()
        .find(|(name, _)| name.as_bytes().eq_ignore_ascii_case(text))
        .map(|&(_, op)| op)
        .ok_or(FieldProblem::UnknownOp)
}
