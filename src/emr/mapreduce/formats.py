"""Input and output formats of streaming jobs: what the mapper reads from a split, and how task
output files are written.

Input (`SplitReader`), by JobSpec.input_format, as streaming's TextInputWriter feeds the mapper:
    text      TextInputFormat + LineRecordReader: the lines of the byte range; a split with
              start != 0 drops everything up to and including the first line terminator at or
              after `start`; a line is read while its start is <= start + length. \\n, \\r\\n
              and \\r end lines. `.gz` (multi-member), `.bz2`, `.deflate` files are read whole
              by the split that starts at 0 (they are not splittable).
    keyvalue  KeyValueTextInputFormat: key and value split at the first
              mapreduce.input.keyvaluelinerecordreader.key.value.separator byte, handed over
              as key + stream.map.input.field.separator + value (a line without the separator
              becomes `line<sep>`, as in Hadoop).
    nline     NLineInputFormat (old API): LineRecordReader's records, but streaming only drops
              the key for TextInputFormat, so the mapper sees `<byte offset>\\t<line>`
              (stream.map.input.ignoreKey=true gives the bare line).
    sequence, sequence_as_text
              SequenceFile records after the first sync marker at or after `start`, up to the
              first sync marker at or after start + length: `key<sep>value`. Text as its bytes,
              numbers in decimal; BytesWritable raw for `sequence` (TextInputWriter writes its
              bytes) and as toString hex `xx xx` for `sequence_as_text`.

Output (`RecordWriter`), by JobSpec.output_format: `text` (TextOutputFormat: key + separator +
value + \\n; value None: the key alone), compressed with mapreduce.output.fileoutputformat.
compress.codec (GzipCodec .gz, BZip2Codec .bz2, DefaultCodec/DeflateCodec .deflate); `sequence`
(SequenceFileOutputFormat, Text/Text, RECORD or BLOCK compressed when compression is on).

LIMITATIONS: `bytes_read` counts the bytes of the records read (Hadoop counts its buffered
reads); nline on a compressed file gives offsets into the uncompressed text; Snappy, LZ4 and
other native codecs are refused with Hadoop's "codec … was not found" message.
"""

from __future__ import annotations

import bz2
import zlib
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from emr.hdfs.shell.filesystem import FileSystem
from emr.mapreduce._streams import (
    DECOMPRESSORS,
    ByteCursor,
    CorruptInputError,
    decompress,
    iter_line_blocks,
    iter_lines_with_ends,
    line_end_from,
    normalise_lines,
)
from emr.mapreduce.job import InputSplit, JobSpec
from emr.mapreduce.seqfile import SequenceFileWriter, read_header, read_records, writable_text

__all__ = [
    "CorruptInputError",
    "RecordWriter",
    "SplitReader",
    "output_codec",
    "output_file_name",
]

_CODEC_EXTENSIONS = {
    "org.apache.hadoop.io.compress.GzipCodec": ".gz",
    "org.apache.hadoop.io.compress.BZip2Codec": ".bz2",
    "org.apache.hadoop.io.compress.DefaultCodec": ".deflate",
    "org.apache.hadoop.io.compress.DeflateCodec": ".deflate",
}


def _conf(spec: JobSpec, key: str, *old: str) -> str:
    """A key by its current name, else a deprecated name, else the default."""
    for name in (key, *old):
        if name in spec.conf:
            return spec.conf[name]
    return spec.get(key)


def output_codec(spec: JobSpec) -> str:
    """The output codec class when output compression is on, else ""."""
    compress = _conf(spec, "mapreduce.output.fileoutputformat.compress", "mapred.output.compress")
    if compress.strip().lower() != "true":
        return ""
    codec = _conf(
        spec,
        "mapreduce.output.fileoutputformat.compress.codec",
        "mapred.output.compression.codec",
    ).strip()
    if codec not in _CODEC_EXTENSIONS:
        raise ValueError(f"Compression codec {codec} was not found.")
    return codec


def output_file_name(index: int, spec: JobSpec, kind: str = "r") -> str:
    """`part-00000` (+ the codec's extension for compressed text); maps and reduces alike, as
    streaming's old-API output formats name them."""
    name = f"part-{index:05d}"
    codec = output_codec(spec)
    if codec and spec.output_format == "text":
        name += _CODEC_EXTENSIONS[codec]
    return name


class SplitReader:
    """The mapper's input lines of one split (context manager: it holds the open file)."""

    def __init__(self, fs: FileSystem, path: str, split: InputSplit, spec: JobSpec) -> None:
        self._fs = fs
        self._path = path
        self._split = split
        self._spec = spec
        self._stack = ExitStack()
        self.bytes_read = 0
        self.records = 0
        self._separator = spec.get("stream.map.input.field.separator").encode()

    def __enter__(self) -> SplitReader:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stack.close()

    def _open(self, offset: int) -> Iterator[bytes]:
        chunks = self._stack.enter_context(self._fs.open(self._path, offset))
        return self._count(chunks)

    def _count(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self.bytes_read += len(chunk)
            yield chunk

    def lines(self) -> Iterator[bytes]:
        """The mapper's stdin lines, without their newline."""
        kind = self._spec.input_format
        if kind in ("sequence", "sequence_as_text"):
            return self._sequence_lines(raw_bytes=kind == "sequence")
        if kind == "keyvalue":
            return self._keyvalue_lines()
        ignore = "true" if kind == "text" else "false"
        if self._spec.conf.get("stream.map.input.ignoreKey", ignore).lower() == "true":
            return (line for _, line in self._records())
        return (b"%d%s%s" % (pos, self._separator, line) for pos, line in self._records())

    def text_blocks(self) -> Iterator[bytes] | None:
        """The mapper's stdin as blocks of whole \\n-ended lines, for TextInputFormat with
        the key dropped (what `lines` gives, joined, without a Python call per line); None
        for the other formats. `records` counts the lines handed out."""
        if self._spec.input_format != "text":
            return None
        if self._spec.conf.get("stream.map.input.ignoreKey", "true").lower() != "true":
            return None
        return self._text_blocks()

    def _text_blocks(self) -> Iterator[bytes]:
        split = self._split
        suffix = "." + self._path.rsplit(".", 1)[-1] if "." in self._path else ""
        new = DECOMPRESSORS.get(suffix)
        if new is not None:
            if split.start != 0:
                return  # not splittable: the split at 0 reads the whole file
            for block in iter_line_blocks(decompress(self._open(0), new)):
                lines = normalise_lines(block)
                self.records += lines.count(b"\n")
                yield lines
            return
        end = split.start + split.length
        position = split.start  # of the block's first byte
        skip_first = split.start != 0
        for block in iter_line_blocks(self._open(split.start)):
            if skip_first:  # the previous split reads the line `start` falls in
                cut = line_end_from(block, 0)
                position += cut
                block = block[cut:]
                skip_first = False
            if not block:
                continue
            last = end - position  # a line is read while its start is <= end
            if last < 0:
                return
            if last < len(block):
                block = block[: line_end_from(block, last)]
            lines = normalise_lines(block)
            self.records += lines.count(b"\n")
            yield lines
            if last < len(block) or position + len(block) > end:
                return
            position += len(block)

    def _records(self) -> Iterator[tuple[int, bytes]]:
        """LineRecordReader: (byte offset, line) of the split."""
        split = self._split
        suffix = "." + self._path.rsplit(".", 1)[-1] if "." in self._path else ""
        new = DECOMPRESSORS.get(suffix)
        if new is not None:
            if split.start != 0:
                return  # not splittable: the split at 0 reads the whole file
            position = 0
            for piece in iter_lines_with_ends(decompress(self._open(0), new)):
                yield position, piece.rstrip(b"\r\n")
                position += len(piece)
            return
        end = split.start + split.length
        position = split.start
        pieces = iter_lines_with_ends(self._open(split.start))
        if split.start != 0:
            first = next(pieces, None)
            if first is None:
                return
            position += len(first)
        for piece in pieces:
            if position > end:
                break
            yield position, piece.rstrip(b"\r\n")
            position += len(piece)

    def _keyvalue_lines(self) -> Iterator[bytes]:
        option = _conf(
            self._spec,
            "mapreduce.input.keyvaluelinerecordreader.key.value.separator",
            "key.value.separator.in.input.line",
        )
        cut = option.encode()[:1] or b"\t"
        for _, line in self._records():
            key, _, value = line.partition(cut)
            yield key + self._separator + value

    def _sequence_lines(self, *, raw_bytes: bool) -> Iterator[bytes]:
        split = self._split
        with self._fs.open(self._path, 0) as chunks:
            header = read_header(ByteCursor(self._count(chunks)), self._path)
        end = split.start + split.length
        synced = -1
        if split.start <= header.end:
            cursor = ByteCursor(self._open(header.end), header.end)
        else:
            # SequenceFile.Reader.sync: the first marker whose escape starts at/after `start`
            cursor = ByteCursor(self._open(split.start + 4), split.start + 4)
            found = cursor.find(header.sync)
            if found < 0:
                return
            synced = found - 4
        for key, value in read_records(cursor, header, end, synced):
            key_text = writable_text(header.key_class, key, raw_bytes=raw_bytes)
            value_text = writable_text(header.value_class, value, raw_bytes=raw_bytes)
            yield key_text + self._separator + value_text


class _Compressed:
    """A file object compressing what is written to it; counts the compressed bytes."""

    def __init__(self, out: BinaryIO, codec: str) -> None:
        self._out = out
        self.bytes_written = 0
        self._compressor: zlib._Compress | bz2.BZ2Compressor | None
        if codec.endswith("GzipCodec"):
            self._compressor = zlib.compressobj(wbits=16 + zlib.MAX_WBITS)
        elif codec.endswith("BZip2Codec"):
            self._compressor = bz2.BZ2Compressor()
        elif codec:
            self._compressor = zlib.compressobj()
        else:
            self._compressor = None

    def write(self, data: bytes) -> None:
        if self._compressor is not None:
            data = self._compressor.compress(data)
        if data:
            self._out.write(data)
            self.bytes_written += len(data)

    def finish(self) -> None:
        if self._compressor is not None:
            tail = self._compressor.flush()
            self._out.write(tail)
            self.bytes_written += len(tail)


class RecordWriter:
    """Writes task output records to a local file in the job's output format."""

    _FLUSH = 1 << 20

    def __init__(self, local_path: Path, spec: JobSpec) -> None:
        self._file: BinaryIO = open(local_path, "wb")  # noqa: SIM115 (closed in close())
        self.records = 0
        codec = output_codec(spec)
        self._separator = _conf(
            spec, "mapreduce.output.textoutputformat.separator", "mapred.textoutputformat.separator"
        ).encode()
        if not self._separator and "mapreduce.output.textoutputformat.separator" not in spec.conf:
            self._separator = b"\t"
        self._sequence: SequenceFileWriter | None = None
        self._text: _Compressed | None = None
        if spec.output_format == "sequence":
            kind = _conf(
                spec,
                "mapreduce.output.fileoutputformat.compress.type",
                "mapred.output.compression.type",
            )
            compression = (kind or "RECORD").upper() if codec else "NONE"
            self._sequence = SequenceFileWriter(self._file, codec, compression)
        else:
            self._text = _Compressed(self._file, codec)
        self._buffer: list[bytes] = []
        self._buffered = 0

    def __enter__(self) -> RecordWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def bytes_written(self) -> int:
        if self._sequence is not None:
            return self._sequence.bytes_written
        assert self._text is not None
        return self._text.bytes_written

    def write(self, key: bytes, value: bytes | None) -> None:
        """One record (value None: the key alone, for text output)."""
        self.records += 1
        if self._sequence is not None:
            self._sequence.append(key, value or b"")
            return
        line = key + b"\n" if value is None else key + self._separator + value + b"\n"
        self._buffer.append(line)
        self._buffered += len(line)
        if self._buffered >= self._FLUSH:
            self._flush()

    def write_many(self, records: list[tuple[bytes, bytes]]) -> None:
        """`write` each record, in one go for text output."""
        if self._sequence is not None:
            for key, value in records:
                self.write(key, value)
            return
        self.records += len(records)
        separator = self._separator
        block = b"".join([key + separator + value + b"\n" for key, value in records])
        self._buffer.append(block)
        self._buffered += len(block)
        if self._buffered >= self._FLUSH:
            self._flush()

    def _flush(self) -> None:
        if self._text is not None and self._buffer:
            self._text.write(b"".join(self._buffer))
        self._buffer, self._buffered = [], 0

    def close(self) -> None:
        """Flush, finish compression and close the file (idempotent)."""
        if self._file.closed:
            return
        try:
            self._flush()
            if self._text is not None:
                self._text.finish()
            if self._sequence is not None:
                self._sequence.close()
        finally:
            self._file.close()
