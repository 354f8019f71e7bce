//! Request traces: replaying recorded (or generated) requests instead of sampling them.
//!
//! A trace is a stream of [`TraceRecord`]s: when a request arrived, which key it touched, how
//! big the object was and what it did. Two formats are read, each streamed through a fixed
//! buffer (never loaded whole) from any [`Read`] the caller hands in; the caller opens files,
//! this module only decodes bytes.
//!
//! - **oracleGeneral**, libCacheSim's binary format (Juncheng Yang et al., libCacheSim,
//!   `traceReader/customizedReader/oracle/oracleGeneralBin.h`): packed little-endian 24-byte
//!   records `{u32 clock_time (s), u64 obj_id, u32 obj_size, i64 next_access_vtime}`.
//!   `next_access_vtime` is the 1-based position in the trace of the next request to the same
//!   object, or -1 if there is none (`bin/traceUtils/traceConvOracleGeneral.cpp`); libCacheSim
//!   also reads `i64::MAX` as "none". The format has no operation: every record is a
//!   [`Op::Read`]. Published traces are usually zstd-compressed (`.oracleGeneral.zst`, the
//!   Zstandard format of RFC 8878), which is decoded on the fly.
//! - **CSV**, one request per line, with the columns ([`CsvConfig`]) picked by 1-based index or
//!   header name, as libCacheSim's CSV reader does (`time_col`, `obj_id_col`, `obj_size_col`,
//!   `op_col`, `has_header`, `delimiter`). Keys are integers or arbitrary strings hashed with
//!   XXH3-64; times are integers or decimals in s, ms, us or ns. CSV may be zstd-compressed too.
//!
//! [`TraceReader`] decodes records one at a time without allocating; [`trace_format_of`]
//! picks the format from a file name. [`write_oracle_general`] writes oracleGeneral (plain or
//! zstd), and [`set_next_access_vtime`] fills in the oracle column of a generated trace.
//!
//! Bad input stops the reader cleanly: every record decoded before the fault is delivered,
//! then one [`TraceError`] naming the byte offset (binary) or line (CSV), then nothing.
//!
//! ```
//! use models::workload::trace::{
//!     write_oracle_general, Compression, TraceConfig, TraceFormat, TraceReader, TraceRecord,
//!     ZeroSize,
//! };
//! use models::workload::{KeyId, Op};
//!
//! let records = [TraceRecord {
//!     time_ns: 3_000_000_000,
//!     key: KeyId(42),
//!     size_bytes: 512,
//!     op: Op::Read,
//!     next_access_vtime: None,
//! }];
//! let mut bytes = Vec::new();
//! write_oracle_general(&mut bytes, records, Compression::Zstd)?;
//! let config = TraceConfig {
//!     format: TraceFormat::OracleGeneral,
//!     compression: Compression::Zstd,
//!     zero_size: ZeroSize::Keep,
//! };
//! let mut reader = TraceReader::new(bytes.as_slice(), config)?;
//! assert_eq!(reader.next_record()?, Some(records[0]));
//! assert_eq!(reader.next_record()?, None);
//! # Ok::<(), models::workload::trace::TraceError>(())
//! ```
//!
//! **Limitations:**
//! - oracleGeneral times are whole seconds (`u32`); [`write_oracle_general`] floors times to
//!   the second and drops the operation. Times are delivered as the trace has them, in the
//!   trace's own clock (often Unix time): they are not rebased to zero nor checked to be
//!   non-decreasing; the replaying caller decides.
//! - libCacheSim's simulator skips requests of size 0 by default (`ignore_size_zero_req`);
//!   this reader does so only with [`ZeroSize::Skip`].
//! - CSV fields are split on the delimiter and trimmed of ASCII whitespace, nothing more:
//!   quoted fields (RFC 4180) are not understood, so a quoted key containing the delimiter is
//!   misread. Lines are limited to [`BUFFER_BYTES`].
//! - CSV decimal times keep nanoseconds and drop finer digits (truncation, not rounding).
//! - String keys become 64-bit hashes: two distinct strings can collide (for 10^9 distinct
//!   keys, with probability about 3%), merging their requests.
//! - zstd checks a frame's checksum only at the frame's end. The reader holds each frame's
//!   records back until then, but only if the frame fits its buffer: [`write_oracle_general`]
//!   writes frames of under 512 KiB, while the `zstd` tool writes one frame per file, whose
//!   records are released unchecked. There, damage that still decodes delivers wrong records
//!   before the checksum error.
//! - A corrupt zstd stream is reported at the compressed offset where the failing decode step
//!   began, which can be up to 128 KiB (one input chunk) before the damaged byte.
//! - zstd frames needing a window above libzstd's default limit (128 MiB, as made by
//!   `zstd --long=28` and up) are rejected, as in libCacheSim. Memory is the 1 MiB buffer, a
//!   128 KiB input chunk and the frame's window (8 MiB at most for levels up to 19).

mod csv;
mod input;
mod oracle;
#[cfg(test)]
mod tests;

pub use csv::{CsvColumn, CsvConfig, CsvHeader, FieldProblem, KeyFormat, TimeUnit, OP_NAMES};
pub use oracle::{set_next_access_vtime, write_oracle_general, ORACLE_RECORD_BYTES};

use std::io::{self, Read};
use std::path::Path;

use super::{KeyId, Op};
use csv::CsvState;
use input::Input;

/// Bytes the reader buffers: 1 MiB, large enough that refills (a few `read` calls or zstd
/// decode steps each) cost next to nothing per record, and about the size of an L2 cache. It
/// also bounds a CSV line's length.
pub const BUFFER_BYTES: usize = 1 << 20;

/// One request of a trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceRecord {
    /// When the request arrived, in nanoseconds on the trace's own clock (not rebased).
    pub time_ns: u64,
    /// The object requested. CSV string keys are their XXH3-64 hash.
    pub key: KeyId,
    /// The object's size in bytes (the value size for a key-value trace).
    pub size_bytes: u32,
    /// What the request does; [`Op::Read`] when the trace does not say.
    pub op: Op,
    /// oracleGeneral only: the 1-based position in the trace of the next request to the same
    /// key, or `None` if there is none (stored as -1 or `i64::MAX`).
    pub next_access_vtime: Option<i64>,
}

/// A trace's record layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TraceFormat {
    /// Text, one request per line, with the given columns.
    Csv(CsvConfig),
    /// libCacheSim's 24-byte binary records.
    OracleGeneral,
}

/// Whether the trace's bytes are compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// The bytes are the records.
    None,
    /// The bytes are a Zstandard stream (one or more frames) of the records.
    Zstd,
}

/// What to do with requests whose size is 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZeroSize {
    /// Deliver them like any other request.
    Keep,
    /// Skip them (counted by [`TraceReader::n_skipped_zero_size`]), as libCacheSim's
    /// simulator does by default.
    Skip,
}

/// How to read a trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceConfig {
    /// The record layout.
    pub format: TraceFormat,
    /// Whether the bytes are compressed.
    pub compression: Compression,
    /// What to do with size-0 requests.
    pub zero_size: ZeroSize,
}

/// Picks a trace's format from its file name (no I/O): `.csv` is CSV read with `csv`,
/// `.oracleGeneral` (or any name containing `oracleGeneral`) is oracleGeneral, and a final
/// `.zst` means zstd-compressed; a bare `.zst` is oracleGeneral, as libCacheSim's published
/// traces are. Matching ignores ASCII case.
///
/// ```
/// use models::workload::trace::{
///     trace_format_of, Compression, CsvColumn, CsvConfig, CsvHeader, KeyFormat, TimeUnit,
///     TraceFormat,
/// };
/// use std::path::Path;
///
/// // Used only if the name says CSV: `timestamp,obj_id,size` with string ids.
/// let csv = CsvConfig {
///     delimiter: b',',
///     header: CsvHeader::Present,
///     time: Some(CsvColumn::Name("timestamp".into())),
///     time_unit: TimeUnit::Millis,
///     key: CsvColumn::Name("obj_id".into()),
///     key_format: KeyFormat::Text,
///     size: Some(CsvColumn::Name("size".into())),
///     size_default: 1,
///     op: None,
/// };
/// let (format, compression) =
///     trace_format_of(Path::new("traces/cluster52.oracleGeneral.zst"), csv.clone())?;
/// assert_eq!((format, compression), (TraceFormat::OracleGeneral, Compression::Zstd));
/// let (format, compression) = trace_format_of(Path::new("cdn.csv"), csv.clone())?;
/// assert_eq!((format, compression), (TraceFormat::Csv(csv), Compression::None));
/// # Ok::<(), models::workload::trace::TraceError>(())
/// ```
pub fn trace_format_of(
    path: &Path,
    csv: CsvConfig,
) -> Result<(TraceFormat, Compression), TraceError> {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let (stem, compression) = match name.strip_suffix(".zst") {
        Some(stem) => (stem, Compression::Zstd),
        None => (name.as_str(), Compression::None),
    };
    let format = if stem.ends_with(".csv") {
        TraceFormat::Csv(csv)
    } else if stem.contains("oraclegeneral") || compression == Compression::Zstd {
        TraceFormat::OracleGeneral
    } else {
        return Err(TraceError::UnknownFormat {
            name: path.display().to_string(),
        });
    };
    Ok((format, compression))
}

/// Why a trace could not be read or written. Binary faults name the byte offset, CSV faults
/// the line (1-based, counting the header) and the column's role.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// The reader handed in failed.
    #[error("cannot read the trace at byte offset {offset}: {source}")]
    Read {
        /// Bytes of the (compressed, if zstd) stream read before the failure.
        offset: u64,
        /// The reader's error.
        source: io::Error,
    },
    /// The zstd stream is corrupt.
    #[error(
        "bad zstd data at or after compressed byte offset {compressed_offset} \
         ({decompressed_offset} bytes decompressed before it): {reason}"
    )]
    ZstdCorrupt {
        /// Where the failing decode step began in the compressed stream.
        compressed_offset: u64,
        /// Bytes decompressed before the failure.
        decompressed_offset: u64,
        /// libzstd's description.
        reason: String,
    },
    /// The zstd stream ends inside a frame.
    #[error(
        "zstd stream ends inside a frame at compressed byte offset {compressed_offset} \
         ({decompressed_offset} bytes decompressed); the file may be truncated"
    )]
    ZstdTruncated {
        /// The compressed stream's length.
        compressed_offset: u64,
        /// Bytes decompressed in all.
        decompressed_offset: u64,
    },
    /// An oracleGeneral trace ends inside a record.
    #[error(
        "trace ends {n_bytes} bytes into the record at {}byte offset {offset} \
         (oracleGeneral records are 24 bytes)",
        if *.compression == Compression::Zstd { "decompressed " } else { "" }
    )]
    PartialRecord {
        /// Where the partial record starts (in the decompressed stream, if zstd).
        offset: u64,
        /// How many of its bytes exist.
        n_bytes: u32,
        /// Whether the offset is into decompressed bytes.
        compression: Compression,
    },
    /// A CSV field could not be parsed.
    #[error("line {line}: column {column}: \"{value}\" {problem}")]
    CsvField {
        /// The line, 1-based.
        line: u64,
        /// The column's role: `"time"`, `"key"`, `"size"` or `"op"`.
        column: &'static str,
        /// The field as written (lossily decoded if not UTF-8).
        value: String,
        /// What is wrong with it.
        problem: FieldProblem,
    },
    /// A CSV line has fewer fields than a configured column needs.
    #[error(
        "line {line}: column {column} is field {index}, but the line has only {n_fields} \
         field{} (split on {delimiter:?})",
        if *.n_fields == 1 { "" } else { "s" }
    )]
    CsvMissingField {
        /// The line, 1-based.
        line: u64,
        /// The column's role.
        column: &'static str,
        /// The column's 1-based field index.
        index: u32,
        /// The fields the line has.
        n_fields: u32,
        /// The delimiter the line was split on.
        delimiter: char,
    },
    /// A CSV line does not fit the reader's buffer.
    #[error("line {line} is longer than {len_max} bytes; is this really a CSV trace?")]
    CsvLineTooLong {
        /// The line, 1-based.
        line: u64,
        /// [`BUFFER_BYTES`].
        len_max: usize,
    },
    /// A header was expected but the trace is empty.
    #[error("the trace is empty, but its first line should be a header")]
    CsvNoHeader,
    /// A column is named, but the CSV has no header to look the name up in.
    #[error(
        "column {column} is named \"{name}\", but the CSV has no header (name columns by \
         1-based index instead, or set header = present)"
    )]
    CsvNameWithoutHeader {
        /// The column's role.
        column: &'static str,
        /// The name given.
        name: String,
    },
    /// A named column is not in the header.
    #[error("column {column}: the header has no column named \"{name}\" (it has: {header})")]
    CsvUnknownColumn {
        /// The column's role.
        column: &'static str,
        /// The name given.
        name: String,
        /// The header's names, comma-separated.
        header: String,
    },
    /// [`trace_format_of`] does not recognise the file name.
    #[error(
        "cannot tell the trace format of \"{name}\" from its name (expected .csv, \
         .oracleGeneral or .zst, optionally followed by .zst)"
    )]
    UnknownFormat {
        /// The path given.
        name: String,
    },
    /// The writer handed to [`write_oracle_general`] failed.
    #[error("cannot write the trace: {source}")]
    Write {
        /// The writer's error.
        source: io::Error,
    },
    /// A record's time does not fit oracleGeneral's 32-bit seconds.
    #[error(
        "record {index}: time {time_ns} ns is past oracleGeneral's last second, {} s \
         (rebase the trace's times to start near 0)",
        u32::MAX
    )]
    TimeTooLarge {
        /// The record's 0-based position in the written trace.
        index: u64,
        /// Its time.
        time_ns: u64,
    },
}

/// Where a reader is in its stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Records may follow.
    Open,
    /// The end or an error was reported; nothing more is read.
    Done,
}

/// How the bytes become records.
enum Decoder {
    OracleGeneral,
    Csv(Box<CsvState>),
}

/// Streams [`TraceRecord`]s out of a reader, through one [`BUFFER_BYTES`] buffer (plus
/// libzstd's window for zstd), without allocating per record.
///
/// Budget (oracleGeneral from memory, release build): 100M records/s, so at most 10 ns per
/// record.
pub struct TraceReader<R: Read> {
    input: Input<R>,
    decoder: Decoder,
    zero_size: ZeroSize,
    state: State,
    n_records: u64,
    n_skipped_zero_size: u64,
}

impl<R: Read> TraceReader<R> {
    /// A reader of `reader`'s bytes in the given format. For CSV with a header, reads the
    /// header line and resolves named columns now, so a bad column name fails here.
    pub fn new(reader: R, config: TraceConfig) -> Result<Self, TraceError> {
        let mut input = Input::new(reader, config.compression);
        let decoder = match config.format {
            TraceFormat::OracleGeneral => Decoder::OracleGeneral,
            TraceFormat::Csv(csv) => Decoder::Csv(Box::new(CsvState::new(csv, &mut input)?)),
        };
        Ok(TraceReader {
            input,
            decoder,
            zero_size: config.zero_size,
            state: State::Open,
            n_records: 0,
            n_skipped_zero_size: 0,
        })
    }

    /// The next record; `Ok(None)` at the end. After an error, or the end, every later call
    /// returns `Ok(None)`: the records delivered before an error stand.
    #[inline]
    pub fn next_record(&mut self) -> Result<Option<TraceRecord>, TraceError> {
        // Fast path, inlined into the caller's loop: a whole oracleGeneral record is buffered.
        if let (Decoder::OracleGeneral, State::Open) = (&self.decoder, self.state) {
            if let Some(record) = oracle::decode_buffered(&mut self.input) {
                if !(record.size_bytes == 0 && self.zero_size == ZeroSize::Skip) {
                    self.n_records += 1;
                    return Ok(Some(record));
                }
                self.n_skipped_zero_size += 1;
            }
        }
        self.next_record_slow()
    }

    /// [`TraceReader::next_record`] when the fast path can't serve: refills, CSV, skips, the
    /// end and errors.
    #[inline(never)]
    fn next_record_slow(&mut self) -> Result<Option<TraceRecord>, TraceError> {
        while self.state == State::Open {
            let decoded = match &mut self.decoder {
                Decoder::OracleGeneral => oracle::decode_next(&mut self.input),
                Decoder::Csv(csv) => csv.decode_next(&mut self.input),
            };
            match decoded {
                Ok(Some(record)) if record.size_bytes == 0 && self.zero_size == ZeroSize::Skip => {
                    self.n_skipped_zero_size += 1;
                }
                Ok(Some(record)) => {
                    self.n_records += 1;
                    return Ok(Some(record));
                }
                Ok(None) => self.state = State::Done,
                Err(error) => {
                    self.state = State::Done;
                    return Err(error);
                }
            }
        }
        Ok(None)
    }

    /// Records delivered so far.
    pub fn n_records(&self) -> u64 {
        self.n_records
    }

    /// Size-0 records skipped so far (always 0 with [`ZeroSize::Keep`]).
    pub fn n_skipped_zero_size(&self) -> u64 {
        self.n_skipped_zero_size
    }
}

impl<R: Read> Iterator for TraceReader<R> {
    type Item = Result<TraceRecord, TraceError>;

    /// [`TraceReader::next_record`] as an iterator: ends after the last record or the first
    /// error.
    fn next(&mut self) -> Option<Self::Item> {
        self.next_record().transpose()
    }
}

impl<R: Read> std::iter::FusedIterator for TraceReader<R> {}
