"""Checking a request body against what its signature declared, whole or as it streams."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator, Iterable

from emr.errors import AuthFailure, AuthFailureReason, ServiceError
from emr.gateway.chunked import STREAMING_UNSIGNED_PAYLOAD_TRAILER, AwsChunkedDecoder, ChunkSigning
from emr.gateway.http import BodyStream

__all__ = ["UNSIGNED_PAYLOAD", "IncompleteBody", "PayloadVerifier", "VerifiedBodyStream"]

UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"


class PayloadVerifier:
    """Feed wire bytes, get payload bytes; `finish` raises if the body is not what was signed.

    `payload_hash` is the canonical request's payload line: a hex SHA-256 (checked at the
    end), UNSIGNED-PAYLOAD (nothing to check), or a STREAMING-* value (aws-chunked framing
    removed and each chunk signature checked as it completes).
    """

    def __init__(
        self,
        payload_hash: str,
        *,
        signing: ChunkSigning | None = None,
        decoded_length: int | None = None,
        declared_trailers: Iterable[str] | None = None,
    ) -> None:
        self._expected = payload_hash.lower()
        self._decoder: AwsChunkedDecoder | None = None
        self._sha256: hashlib._Hash | None = None
        if payload_hash.startswith("STREAMING-"):
            unsigned = payload_hash == STREAMING_UNSIGNED_PAYLOAD_TRAILER
            self._decoder = AwsChunkedDecoder(
                payload_hash,
                signing=None if unsigned else signing,
                decoded_length=decoded_length,
                declared_trailers=declared_trailers,
            )
        elif payload_hash != UNSIGNED_PAYLOAD:
            self._sha256 = hashlib.sha256()

    def feed(self, data: bytes) -> bytes:
        if self._decoder is not None:
            return self._decoder.feed(data)
        if self._sha256 is not None:
            self._sha256.update(data)
        return data

    def finish(self) -> dict[str, str]:
        """Trailing headers of an aws-chunked body (else empty) once everything checked out."""
        if self._decoder is not None:
            return self._decoder.finish()
        if self._sha256 is not None:
            computed = self._sha256.hexdigest()
            if not hmac.compare_digest(computed, self._expected):
                raise AuthFailure(
                    AuthFailureReason.PAYLOAD_HASH_MISMATCH,
                    "The provided 'x-amz-content-sha256' header does not match what was computed.",
                    fields={
                        "ClientComputedContentSHA256": self._expected,
                        "S3ComputedContentSHA256": computed,
                    },
                )
        return {}

    def verify_whole(self, body: bytes) -> tuple[bytes, dict[str, str]]:
        """The payload and trailers of a body received in full."""
        payload = self.feed(body)
        return payload, self.finish()


class IncompleteBody(ServiceError):
    """The body ended before its declared length or the client went away."""

    code = "IncompleteBody"
    status_code = 400


class VerifiedBodyStream(BodyStream):
    """A streamed request body passed through its `PayloadVerifier`."""

    def __init__(
        self, wire: AsyncIterator[bytes], verifier: PayloadVerifier, length: int | None
    ) -> None:
        super().__init__()
        self._wire = wire
        self._verifier = verifier
        self._received = 0
        self._ended = False
        self.length = length

    async def __anext__(self) -> bytes:
        while not self._ended:
            try:
                data = await self._wire.__anext__()
            except StopAsyncIteration:
                self._ended = True
                self.trailers = self._verifier.finish()
                if self.length is not None and self._received != self.length:
                    raise IncompleteBody(
                        "You did not provide the number of bytes specified by the "
                        "Content-Length HTTP header."
                    ) from None
                break
            payload = self._verifier.feed(data)
            if payload:
                self._received += len(payload)
                return payload
        raise StopAsyncIteration
