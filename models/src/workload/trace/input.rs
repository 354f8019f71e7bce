//! The byte stream under a trace reader: a fixed buffer filled from the caller's reader,
//! through libzstd when the trace is compressed, with the offsets errors need.
//!
//! zstd checks a frame's content checksum only at the frame's end, so decompressed bytes are
//! held back until their frame has ended (and so been checked): damage is reported before any
//! record made from damaged bytes. A frame that does not fit the buffer is released unchecked,
//! since holding it would need unbounded memory; [`write_oracle_general`](super::write_oracle_general)
//! writes frames that fit.

use std::io::{self, Read};

use zstd::stream::raw::{Decoder as ZstdDecoder, InBuffer, Operation, OutBuffer};

use super::{Compression, TraceError, BUFFER_BYTES};

/// Compressed bytes read per call to the caller's reader: 128 KiB, about libzstd's
/// recommended input size (`ZSTD_DStreamInSize`, one full block plus its header).
const ZSTD_INPUT_BYTES: usize = 128 << 10;

/// What one read from a [`Source`] gave.
enum Fill {
    /// `n_bytes` more bytes (possibly 0 when a zstd frame's last step only checked it);
    /// `checked` says whether every byte so far has been checked (always, for plain bytes;
    /// at the end of each frame, for zstd).
    Bytes { n_bytes: usize, checked: bool },
    /// The source's clean end.
    End,
}

/// Where the bytes come from.
enum Source<R> {
    Plain(R),
    Zstd(Box<ZstdSource<R>>),
}

/// A zstd stream decoded step by step, so a failure's compressed offset is known exactly up
/// to one step.
struct ZstdSource<R> {
    inner: R,
    decoder: ZstdDecoder<'static>,
    /// Compressed bytes read but not yet consumed are `input[start..end]`.
    input: Box<[u8]>,
    start: usize,
    end: usize,
    /// Compressed bytes consumed by the decoder (the offset of `input[start]`).
    compressed_offset: u64,
    /// Bytes decompressed so far.
    decompressed_offset: u64,
    /// The inner reader returned 0.
    inner_eof: bool,
    /// The decoder is inside a frame (its last step did not end one).
    in_frame: bool,
}

/// A trace's bytes: `buf[start..checked_end]` are checked and not yet consumed,
/// `buf[checked_end..end]` wait for the end of their zstd frame, and `offset` is the stream
/// offset (decompressed, for zstd) of `buf[start]`.
pub(super) struct Input<R> {
    source: Source<R>,
    buf: Box<[u8]>,
    start: usize,
    checked_end: usize,
    end: usize,
    offset: u64,
    /// The source has nothing more (its end, or an error now in `pending`).
    exhausted: bool,
    /// A source error, reported once the bytes before it are consumed.
    pending: Option<TraceError>,
    compression: Compression,
}

impl<R: Read> Input<R> {
    /// An empty buffer over `reader`.
    pub(super) fn new(reader: R, compression: Compression) -> Self {
        let source = match compression {
            Compression::None => Source::Plain(reader),
            Compression::Zstd => Source::Zstd(Box::new(ZstdSource::new(reader))),
        };
        Input {
            source,
            buf: vec![0; BUFFER_BYTES].into_boxed_slice(),
            start: 0,
            checked_end: 0,
            end: 0,
            offset: 0,
            exhausted: false,
            pending: None,
            compression,
        }
    }

    /// The checked, unconsumed bytes.
    #[inline]
    pub(super) fn available(&self) -> &[u8] {
        &self.buf[self.start..self.checked_end]
    }

    /// Marks the first `n_bytes` of [`Input::available`] as consumed.
    #[inline]
    pub(super) fn consume(&mut self, n_bytes: usize) {
        assert!(n_bytes <= self.checked_end - self.start);
        self.start += n_bytes;
        self.offset += n_bytes as u64;
    }

    /// The stream offset of the first unconsumed byte.
    pub(super) fn offset(&self) -> u64 {
        self.offset
    }

    /// Whether the trace is compressed (for error messages).
    pub(super) fn compression(&self) -> Compression {
        self.compression
    }

    /// True if [`Input::available`] fills the buffer: a refill can't add bytes until some
    /// are consumed.
    pub(super) fn is_full(&self) -> bool {
        self.start == 0 && self.checked_end == self.buf.len()
    }

    /// Moves the unconsumed bytes to the front and reads until the buffer is full or the
    /// source is exhausted. Returns false if no checked byte was added: the source is exhausted
    /// (see [`Input::take_pending`]) or [`Input::is_full`].
    pub(super) fn refill(&mut self) -> bool {
        if self.exhausted {
            return false;
        }
        self.buf.copy_within(self.start..self.end, 0);
        self.checked_end -= self.start;
        self.end -= self.start;
        self.start = 0;
        let checked_before = self.checked_end;
        while self.end < self.buf.len() {
            let offset = self.offset + (self.end as u64);
            match self.source.read(&mut self.buf[self.end..], offset) {
                Ok(Fill::Bytes { n_bytes, checked }) => {
                    self.end += n_bytes;
                    if checked {
                        self.checked_end = self.end;
                    }
                }
                Ok(Fill::End) => {
                    // A clean end is at a frame's end, so everything is checked.
                    assert_eq!(self.checked_end, self.end);
                    self.exhausted = true;
                    break;
                }
                Err(error) => {
                    // The unchecked bytes (of the frame that failed) are never delivered.
                    self.exhausted = true;
                    self.pending = Some(error);
                    break;
                }
            }
        }
        if self.end == self.buf.len() && self.checked_end == checked_before {
            // No frame ended in a full buffer: release the frame unchecked rather than stall.
            self.checked_end = self.end;
        }
        assert!(self.start <= self.checked_end);
        assert!(self.checked_end <= self.end);
        let grew = self.checked_end > checked_before;
        assert!(grew || self.exhausted || self.is_full());
        grew
    }

    /// The source's error, once: the caller reports it when it has consumed every byte that
    /// came before it.
    pub(super) fn take_pending(&mut self) -> Option<TraceError> {
        self.pending.take()
    }
}

impl<R: Read> Source<R> {
    /// Reads up to `out.len()` bytes. `offset` is the stream offset `out` starts at, for
    /// plain read errors.
    fn read(&mut self, out: &mut [u8], offset: u64) -> Result<Fill, TraceError> {
        match self {
            Source::Plain(reader) => match read_retrying(reader, out) {
                Ok(0) => Ok(Fill::End),
                Ok(n_bytes) => Ok(Fill::Bytes {
                    n_bytes,
                    checked: true,
                }),
                Err(source) => Err(TraceError::Read { offset, source }),
            },
            Source::Zstd(zstd) => zstd.read(out),
        }
    }
}

/// One `read`, retried while it is interrupted.
fn read_retrying(reader: &mut impl Read, out: &mut [u8]) -> io::Result<usize> {
    loop {
        match reader.read(out) {
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            result => return result,
        }
    }
}

impl<R: Read> ZstdSource<R> {
    fn new(inner: R) -> Self {
        ZstdSource {
            inner,
            // Creating a decompression context fails only if libzstd cannot allocate it.
            decoder: ZstdDecoder::new().expect("libzstd allocates a decompression context"),
            input: vec![0; ZSTD_INPUT_BYTES].into_boxed_slice(),
            start: 0,
            end: 0,
            compressed_offset: 0,
            decompressed_offset: 0,
            inner_eof: false,
            in_frame: false,
        }
    }

    /// Decompresses up to `out.len()` bytes: at least 1, or the end of a frame, or the end.
    fn read(&mut self, out: &mut [u8]) -> Result<Fill, TraceError> {
        assert!(!out.is_empty());
        loop {
            if self.start == self.end && !self.inner_eof {
                self.fill_input()?;
            }
            let at_eof = self.start == self.end && self.inner_eof;
            if at_eof && !self.in_frame {
                return Ok(Fill::End);
            }
            // At the end of the input the decoder may still hold output: the step with no
            // input flushes it.
            let mut in_buffer = InBuffer::around(&self.input[self.start..self.end]);
            let mut out_buffer = OutBuffer::around(&mut *out);
            let step = self.decoder.run(&mut in_buffer, &mut out_buffer);
            let (n_consumed, n_written) = (in_buffer.pos(), out_buffer.pos());
            let hint = step.map_err(|error| TraceError::ZstdCorrupt {
                compressed_offset: self.compressed_offset + n_consumed as u64,
                decompressed_offset: self.decompressed_offset + n_written as u64,
                reason: lowercase_first(&error.to_string()),
            })?;
            self.in_frame = hint != 0;
            self.start += n_consumed;
            self.compressed_offset += n_consumed as u64;
            self.decompressed_offset += n_written as u64;
            // The step that ends a frame has checked its checksum.
            if n_written > 0 || !self.in_frame {
                return Ok(Fill::Bytes {
                    n_bytes: n_written,
                    checked: !self.in_frame,
                });
            }
            if at_eof {
                return Err(TraceError::ZstdTruncated {
                    compressed_offset: self.compressed_offset,
                    decompressed_offset: self.decompressed_offset,
                });
            }
            // A step with input and room for output always consumes or writes something;
            // otherwise this loop would spin.
            assert!(n_consumed > 0, "libzstd made no progress");
        }
    }

    /// Reads the next chunk of compressed bytes (all previous ones are consumed).
    fn fill_input(&mut self) -> Result<(), TraceError> {
        assert_eq!(self.start, self.end);
        let n_bytes = read_retrying(&mut self.inner, &mut self.input[..]).map_err(|source| {
            TraceError::Read {
                offset: self.compressed_offset,
                source,
            }
        })?;
        self.start = 0;
        self.end = n_bytes;
        self.inner_eof = n_bytes == 0;
        Ok(())
    }
}

/// `text` with its first character lowercased: libzstd's messages are capitalised, ours
/// aren't.
fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
