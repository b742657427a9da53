"""aws-chunked request bodies: de-framing, chunk-signature chaining and trailing headers.

S3 clients that stream an upload (the AWS SDKs for Java and Go, botocore over TLS when it sends
a trailing checksum) frame the payload as `hex-size[;chunk-signature=sig]\\r\\n<data>\\r\\n`,
end with a 0-size chunk and may append trailing headers. The decoder is incremental, so an S3
upload can stream a large object through it; it keeps only the current line in memory.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from emr.errors import AuthFailure, AuthFailureReason

__all__ = [
    "STREAMING_SIGNED_PAYLOAD",
    "STREAMING_SIGNED_PAYLOAD_TRAILER",
    "STREAMING_UNSIGNED_PAYLOAD_TRAILER",
    "AwsChunkedDecoder",
    "ChunkSigning",
    "decode_aws_chunked",
]

STREAMING_SIGNED_PAYLOAD = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_SIGNED_PAYLOAD_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
STREAMING_UNSIGNED_PAYLOAD_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"

_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_TRAILER_SIGNATURE = "x-amz-trailer-signature"
# A chunk header is `hex-size;chunk-signature=<64 hex>`: far below this. The limits keep a
# malicious client from making us buffer an endless line.
_MAX_LINE = 4096
_MAX_TRAILER_BYTES = 16 * 1024
_MAX_SIZE_DIGITS = 16
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation "
    "for details."
)


@dataclass(frozen=True)
class ChunkSigning:
    """What chains chunk signatures: the SigV4 signing key, request time, scope and seed.

    `scope` is `yyyymmdd/region/service/aws4_request`; `seed_signature` is the signature of the
    request headers, which the first chunk's signature covers.
    """

    signing_key: bytes
    timestamp: str
    scope: str
    seed_signature: str


class _State(Enum):
    CHUNK_HEADER = "chunk_header"
    CHUNK_DATA = "chunk_data"
    CHUNK_END = "chunk_end"
    TRAILER = "trailer"
    DONE = "done"


def _bad_chunk(message: str) -> AuthFailure:
    return AuthFailure(AuthFailureReason.BAD_CHUNK, message)


class AwsChunkedDecoder:
    """Incremental aws-chunked decoder: `feed` wire bytes, get payload bytes; `finish` at the end.

    Bytes returned by `feed` belong to a chunk whose signature is checked when the chunk ends,
    so a consumer must not make them visible before `finish` returns (as with any payload whose
    hash is only known at the end). Every framing error raises AuthFailure(BAD_CHUNK); a chunk or
    trailer signature that does not verify raises AuthFailure(SIGNATURE_MISMATCH).
    """

    def __init__(
        self,
        content_sha256: str,
        *,
        signing: ChunkSigning | None = None,
        decoded_length: int | None = None,
        declared_trailers: Iterable[str] | None = None,
    ) -> None:
        if content_sha256 not in (
            STREAMING_SIGNED_PAYLOAD,
            STREAMING_SIGNED_PAYLOAD_TRAILER,
            STREAMING_UNSIGNED_PAYLOAD_TRAILER,
        ):
            raise _bad_chunk(f"Unsupported streaming payload type: {content_sha256}")
        self._signed = content_sha256 != STREAMING_UNSIGNED_PAYLOAD_TRAILER
        self._signed_trailer = content_sha256 == STREAMING_SIGNED_PAYLOAD_TRAILER
        if self._signed and signing is None:
            raise ValueError("a signed aws-chunked payload needs its ChunkSigning")
        self._signing = signing
        self._previous = signing.seed_signature if signing is not None else ""
        self._decoded_length = decoded_length
        self._declared = (
            None
            if declared_trailers is None
            else {name.strip().lower() for name in declared_trailers if name.strip()}
        )
        self._state = _State.CHUNK_HEADER
        self._line = bytearray()
        self._remaining = 0
        self._chunk_signature = ""
        self._chunk_hash = hashlib.sha256()
        self._total = 0
        self._trailers: dict[str, str] = {}
        self._trailer_lines: list[tuple[str, str]] = []
        self._trailer_bytes = 0
        self._trailer_signature: str | None = None

    def feed(self, data: bytes) -> bytes:
        """Consume wire bytes; return the payload bytes they carried (possibly empty)."""
        out = bytearray()
        view = memoryview(data)
        position = 0
        while position < len(view):
            if self._state is _State.DONE:
                raise _bad_chunk("Unexpected data after the end of the aws-chunked body.")
            if self._state is _State.CHUNK_DATA:
                take = min(self._remaining, len(view) - position)
                piece = view[position : position + take]
                self._chunk_hash.update(piece)
                out += piece
                self._remaining -= take
                position += take
                if self._remaining == 0:
                    self._state = _State.CHUNK_END
                continue
            if self._state is _State.CHUNK_END:
                needed = 2 - len(self._line)
                self._line += view[position : position + needed]
                position += min(needed, len(view) - position)
                if len(self._line) == 2:
                    if self._line != b"\r\n":
                        raise _bad_chunk("A chunk's data is not followed by CRLF.")
                    self._line.clear()
                    self._end_chunk()
                continue
            position = self._feed_line(view, position)
        return bytes(out)

    def finish(self) -> dict[str, str]:
        """Check the body is complete; return its trailing headers (lower-case names)."""
        # `0\r\n` and nothing more: what the AWS SDK for JavaScript sends without a checksum.
        if (
            self._state is _State.TRAILER
            and not self._line
            and not self._trailer_lines
            and not self._signed
        ):
            self._state = _State.DONE
        if self._state is not _State.DONE:
            raise _bad_chunk(
                "The aws-chunked body ended before its last chunk and trailers were complete."
            )
        if self._decoded_length is not None and self._total != self._decoded_length:
            raise _bad_chunk(
                f"The decoded body has {self._total} bytes; x-amz-decoded-content-length "
                f"says {self._decoded_length}."
            )
        if self._declared is not None:
            missing = sorted(self._declared - set(self._trailers))
            if missing:
                raise _bad_chunk(f"The trailing header {missing[0]} was declared but not sent.")
        return dict(self._trailers)

    def _feed_line(self, view: memoryview, position: int) -> int:
        """Accumulate a header or trailer line; process it once its LF arrives."""
        end = bytes(view[position : position + _MAX_LINE + 1]).find(b"\n")
        if end < 0:
            self._line += view[position:]
            next_position = len(view)
        else:
            self._line += view[position : position + end + 1]
            next_position = position + end + 1
        if len(self._line) > _MAX_LINE:
            raise _bad_chunk("An aws-chunked header line is too long.")
        if end >= 0:
            line = bytes(self._line)
            self._line.clear()
            if self._state is _State.CHUNK_HEADER:
                self._start_chunk(line)
            else:
                self._trailer_line(line)
        return next_position

    def _start_chunk(self, line: bytes) -> None:
        if not line.endswith(b"\r\n"):
            raise _bad_chunk("An aws-chunked chunk header does not end with CRLF.")
        try:
            text = line[:-2].decode("ascii")
        except UnicodeDecodeError:
            raise _bad_chunk("An aws-chunked chunk header is not ASCII.") from None
        size_text, _, extensions = text.partition(";")
        size_text = size_text.strip()
        if not size_text or len(size_text) > _MAX_SIZE_DIGITS or set(size_text) - _HEX_DIGITS:
            raise _bad_chunk(f"Invalid aws-chunked chunk size: {size_text[:32]!r}.")
        size = int(size_text, 16)
        signature = ""
        for extension in extensions.split(";") if extensions else ():
            name, _, value = extension.partition("=")
            if name.strip() == "chunk-signature":
                signature = value.strip()
        if self._signed and not _is_signature(signature):
            raise _bad_chunk("A chunk of a signed aws-chunked body has no valid chunk-signature.")
        if self._decoded_length is not None and self._total + size > self._decoded_length:
            raise _bad_chunk(
                "The aws-chunked body is longer than x-amz-decoded-content-length "
                f"({self._decoded_length})."
            )
        self._chunk_signature = signature
        self._chunk_hash = hashlib.sha256()
        self._remaining = size
        self._total += size
        if size == 0:
            self._verify_chunk(last=True)
            self._state = _State.TRAILER
        else:
            self._state = _State.CHUNK_DATA

    def _end_chunk(self) -> None:
        self._verify_chunk(last=False)
        self._state = _State.CHUNK_HEADER

    def _verify_chunk(self, *, last: bool) -> None:
        if not self._signed or self._signing is None:
            return
        chunk_hash = _EMPTY_SHA256 if last else self._chunk_hash.hexdigest()
        expected = self._sign(
            "AWS4-HMAC-SHA256-PAYLOAD", f"{self._previous}\n{_EMPTY_SHA256}\n{chunk_hash}"
        )
        if not hmac.compare_digest(expected, self._chunk_signature.lower()):
            raise AuthFailure(AuthFailureReason.SIGNATURE_MISMATCH, _SIGNATURE_MISMATCH)
        self._previous = expected

    def _trailer_line(self, line: bytes) -> None:
        self._trailer_bytes += len(line)
        if self._trailer_bytes > _MAX_TRAILER_BYTES:
            raise _bad_chunk("The aws-chunked trailing headers are too long.")
        # Trailer lines end in CRLF; some clients end checksum lines with a bare LF and put the
        # CRLF before the trailer signature, so a bare LF is accepted here.
        try:
            text = line.rstrip(b"\n").rstrip(b"\r").decode("utf-8")
        except UnicodeDecodeError:
            raise _bad_chunk("An aws-chunked trailing header is not UTF-8.") from None
        if not text:
            if self._signed_trailer and self._trailer_signature is None:
                if self._trailer_lines:
                    return
                raise _bad_chunk("The trailing headers of the body have no trailer signature.")
            self._end_trailers()
            return
        name, colon, value = text.partition(":")
        name = name.strip().lower()
        if not colon or not name:
            raise _bad_chunk(f"Malformed aws-chunked trailing header: {text[:64]!r}.")
        value = value.strip()
        if self._signed and not self._signed_trailer:
            raise _bad_chunk("A signed aws-chunked body without a trailer has trailing headers.")
        if name == _TRAILER_SIGNATURE:
            if not self._signed_trailer or self._trailer_signature is not None:
                raise _bad_chunk("Unexpected x-amz-trailer-signature.")
            self._trailer_signature = value
            return
        if self._trailer_signature is not None:
            raise _bad_chunk("A trailing header follows the trailer signature.")
        if self._declared is not None and name not in self._declared:
            raise _bad_chunk(f"The trailing header {name} was not declared in x-amz-trailer.")
        self._trailer_lines.append((name, value))
        self._trailers[name] = value

    def _end_trailers(self) -> None:
        if self._signed_trailer:
            canonical = "".join(f"{name}:{value}\n" for name, value in self._trailer_lines)
            digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
            expected = self._sign("AWS4-HMAC-SHA256-TRAILER", f"{self._previous}\n{digest}")
            provided = (self._trailer_signature or "").lower().encode("utf-8")
            if not hmac.compare_digest(expected.encode("ascii"), provided):
                raise AuthFailure(AuthFailureReason.SIGNATURE_MISMATCH, _SIGNATURE_MISMATCH)
        self._state = _State.DONE

    def _sign(self, algorithm: str, tail: str) -> str:
        assert self._signing is not None
        string_to_sign = f"{algorithm}\n{self._signing.timestamp}\n{self._signing.scope}\n{tail}"
        return hmac.new(
            self._signing.signing_key,
            string_to_sign.encode("utf-8", "surrogateescape"),
            hashlib.sha256,
        ).hexdigest()


def _is_signature(value: str) -> bool:
    return len(value) == 64 and not set(value) - _HEX_DIGITS


def decode_aws_chunked(
    body: bytes,
    content_sha256: str,
    *,
    signing: ChunkSigning | None = None,
    decoded_length: int | None = None,
    declared_trailers: Iterable[str] | None = None,
) -> tuple[bytes, dict[str, str]]:
    """Decode a whole aws-chunked body; return (payload, trailing headers)."""
    decoder = AwsChunkedDecoder(
        content_sha256,
        signing=signing,
        decoded_length=decoded_length,
        declared_trailers=declared_trailers,
    )
    payload = decoder.feed(body)
    return payload, decoder.finish()
