//! libCacheSim's oracleGeneral records: decoding (the replay hot path) and writing.
//!
//! Layout (`oracleGeneralBin.h`, packed, little-endian): bytes 0..4 `clock_time` (u32,
//! seconds), 4..12 `obj_id` (u64), 12..16 `obj_size` (u32), 16..24 `next_access_vtime` (i64,
//! the 1-based position of the next request to the object, -1 if none).

use std::collections::HashMap;
use std::io::{Read, Write};

use zstd::bulk::Compressor;
use zstd::zstd_safe::CParameter;

use super::input::Input;
use super::{Compression, KeyId, Op, TraceError, TraceRecord};

/// Bytes per oracleGeneral record.
pub const ORACLE_RECORD_BYTES: usize = 24;

/// Nanoseconds per second: oracleGeneral's clock is in whole seconds.
const NANOS_PER_SEC: u64 = 1_000_000_000;

// Every `u32` second converts to nanoseconds without overflow.
const _: () = assert!((u32::MAX as u64).checked_mul(NANOS_PER_SEC).is_some());

/// The `next_access_vtime` written for "never requested again", as libCacheSim's converter
/// writes it.
const NO_NEXT_ACCESS: i64 = -1;

/// zstd level for written traces: 3, libzstd's default, which compresses a trace at hundreds
/// of MB/s; higher levels shrink it a little and slow writing a lot, and decoding speed barely
/// depends on the level.
const ZSTD_LEVEL: i32 = 3;

/// Records per write, and per zstd frame: 21845 records, just under 512 KiB. A frame's
/// checksum is checked at its end, and the reader holds a frame back until then, so frames
/// must fit the reader's buffer with room to spare for a partial record.
const CHUNK_RECORDS: usize = 21845;

// A frame fits the reader's buffer beside the partial record left before it.
const _: () =
    assert!(CHUNK_RECORDS * ORACLE_RECORD_BYTES + ORACLE_RECORD_BYTES <= super::BUFFER_BYTES);

/// The next record if a whole one is buffered (the hot path: no I/O, no error).
#[inline]
pub(super) fn decode_buffered<R: Read>(input: &mut Input<R>) -> Option<TraceRecord> {
    let record = decode(input.available().first_chunk::<ORACLE_RECORD_BYTES>()?);
    input.consume(ORACLE_RECORD_BYTES);
    Some(record)
}

/// The next record of an oracleGeneral stream, `Ok(None)` at its clean end.
pub(super) fn decode_next<R: Read>(
    input: &mut Input<R>,
) -> Result<Option<TraceRecord>, TraceError> {
    loop {
        if let Some(record) = decode_buffered(input) {
            return Ok(Some(record));
        }
        // Fewer bytes than a record are buffered, so the buffer has room: no byte added means
        // the source is exhausted.
        if !input.refill() {
            return finish(input);
        }
    }
}

/// The end of the stream: the source's error if it had one, else a partial record if bytes
/// are left over, else a clean end.
#[cold]
fn finish<R: Read>(input: &mut Input<R>) -> Result<Option<TraceRecord>, TraceError> {
    if let Some(error) = input.take_pending() {
        return Err(error);
    }
    let n_bytes = input.available().len();
    assert!(n_bytes < ORACLE_RECORD_BYTES);
    if n_bytes == 0 {
        return Ok(None);
    }
    Err(TraceError::PartialRecord {
        offset: input.offset(),
        n_bytes: n_bytes as u32,
        compression: input.compression(),
    })
}

/// One record from its 24 bytes.
#[inline]
fn decode(bytes: &[u8; ORACLE_RECORD_BYTES]) -> TraceRecord {
    let clock_time_s = u32::from_le_bytes(field(bytes, 0));
    let obj_id = u64::from_le_bytes(field(bytes, 4));
    let obj_size = u32::from_le_bytes(field(bytes, 12));
    let next_access_vtime = match i64::from_le_bytes(field(bytes, 16)) {
        // libCacheSim reads both as "no next access" (MAX_REUSE_DISTANCE).
        NO_NEXT_ACCESS | i64::MAX => None,
        vtime => Some(vtime),
    };
    TraceRecord {
        time_ns: u64::from(clock_time_s) * NANOS_PER_SEC,
        key: KeyId(obj_id),
        size_bytes: obj_size,
        op: Op::Read,
        next_access_vtime,
    }
}

/// The `N` bytes of a record starting at `at`.
#[inline]
fn field<const N: usize>(bytes: &[u8; ORACLE_RECORD_BYTES], at: usize) -> [u8; N] {
    bytes[at..at + N]
        .try_into()
        .expect("a field lies inside its 24-byte record")
}

/// One record's 24 bytes.
fn encode(record: &TraceRecord, index: u64) -> Result<[u8; ORACLE_RECORD_BYTES], TraceError> {
    let clock_time_s =
        u32::try_from(record.time_ns / NANOS_PER_SEC).map_err(|_| TraceError::TimeTooLarge {
            index,
            time_ns: record.time_ns,
        })?;
    let next_access_vtime = record.next_access_vtime.unwrap_or(NO_NEXT_ACCESS);
    let mut bytes = [0; ORACLE_RECORD_BYTES];
    bytes[0..4].copy_from_slice(&clock_time_s.to_le_bytes());
    bytes[4..12].copy_from_slice(&record.key.0.to_le_bytes());
    bytes[12..16].copy_from_slice(&record.size_bytes.to_le_bytes());
    bytes[16..24].copy_from_slice(&next_access_vtime.to_le_bytes());
    Ok(bytes)
}

/// Writes `records` to `writer` as an oracleGeneral trace, then flushes it. Returns the number
/// of records written. With [`Compression::Zstd`], the trace is a series of independent zstd
/// frames (level 3, with content checksums) of under 512 KiB of records each, so a reader can
/// check each frame before delivering its records; any zstd decoder reads it as one stream.
///
/// Lossy where the format is narrower than [`TraceRecord`]: times are floored to whole
/// seconds and the operation is dropped (everything reads back as [`Op::Read`]). A time past
/// `u32::MAX` seconds is an error, reported after the records before it have been written.
pub fn write_oracle_general<W: Write>(
    writer: W,
    records: impl IntoIterator<Item = TraceRecord>,
    compression: Compression,
) -> Result<u64, TraceError> {
    let compressor = match compression {
        Compression::None => None,
        Compression::Zstd => {
            let mut compressor = Compressor::new(ZSTD_LEVEL).map_err(write_error)?;
            compressor
                .set_parameter(CParameter::ChecksumFlag(true))
                .map_err(write_error)?;
            Some(Box::new(compressor))
        }
    };
    let mut sink = Sink {
        writer,
        compressor,
        n_chunks: 0,
    };
    let mut chunk = Vec::with_capacity(CHUNK_RECORDS * ORACLE_RECORD_BYTES);
    let mut n_records = 0_u64;
    for record in records {
        let bytes = match encode(&record, n_records) {
            Ok(bytes) => bytes,
            Err(error) => {
                // Keep what came before the bad record, as a reader would.
                sink.write_chunk(&chunk)?;
                sink.finish()?;
                return Err(error);
            }
        };
        chunk.extend_from_slice(&bytes);
        n_records += 1;
        if chunk.len() == chunk.capacity() {
            sink.write_chunk(&chunk)?;
            chunk.clear();
        }
    }
    sink.write_chunk(&chunk)?;
    sink.finish()?;
    Ok(n_records)
}

/// Where [`write_oracle_general`] puts chunks of encoded records: the writer, through a zstd
/// compressor if compressing.
struct Sink<'a, W> {
    writer: W,
    compressor: Option<Box<Compressor<'a>>>,
    n_chunks: u64,
}

impl<W: Write> Sink<'_, W> {
    /// Writes one chunk (one zstd frame); nothing for an empty chunk.
    fn write_chunk(&mut self, chunk: &[u8]) -> Result<(), TraceError> {
        assert!(chunk.len() <= CHUNK_RECORDS * ORACLE_RECORD_BYTES);
        if chunk.is_empty() {
            return Ok(());
        }
        self.n_chunks += 1;
        self.write_frame(chunk)
    }

    fn write_frame(&mut self, chunk: &[u8]) -> Result<(), TraceError> {
        match &mut self.compressor {
            None => self.writer.write_all(chunk).map_err(write_error),
            Some(compressor) => {
                let frame = compressor.compress(chunk).map_err(write_error)?;
                self.writer.write_all(&frame).map_err(write_error)
            }
        }
    }

    /// Flushes the writer, after writing one empty frame if compressing and nothing was
    /// written: zero bytes are not a valid zstd stream for other decoders.
    fn finish(mut self) -> Result<(), TraceError> {
        if self.n_chunks == 0 && self.compressor.is_some() {
            self.write_frame(&[])?;
        }
        self.writer.flush().map_err(write_error)
    }
}

fn write_error(source: std::io::Error) -> TraceError {
    TraceError::Write { source }
}

/// Fills in every record's `next_access_vtime` as libCacheSim's `traceConv` does: the 1-based
/// position in `records` of the next request to the same key, or `None` if there is none.
/// Needs the whole trace in memory (one pass backwards, a map of keys to positions), so it is
/// for generated traces; oracle-based policies (Belady) read the column.
pub fn set_next_access_vtime(records: &mut [TraceRecord]) {
    // Looked up, never iterated, so its order cannot reach the output.
    let mut next_position: HashMap<KeyId, i64> = HashMap::new();
    for (index, record) in records.iter_mut().enumerate().rev() {
        let position = i64::try_from(index + 1).expect("a slice's length fits in i64");
        record.next_access_vtime = next_position.insert(record.key, position);
        debug_assert!(record.next_access_vtime.is_none_or(|next| next > position));
    }
}
