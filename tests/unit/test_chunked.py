"""aws-chunked bodies: AWS's published streaming vectors, framing errors, unsigned trailers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import zlib
from datetime import UTC, datetime

import pytest
from botocore.httpchecksum import AwsChunkedWrapper, Crc32Checksum
from starlette.datastructures import Headers

from emr.errors import AuthFailure, AuthFailureReason
from emr.gateway.chunked import (
    STREAMING_SIGNED_PAYLOAD,
    STREAMING_SIGNED_PAYLOAD_TRAILER,
    STREAMING_UNSIGNED_PAYLOAD_TRAILER,
    AwsChunkedDecoder,
    ChunkSigning,
    decode_aws_chunked,
)
from emr.gateway.http import HttpRequest
from emr.gateway.sigv4 import CredentialScope, authenticate, signing_key

# The example of "Signature Calculations for the Authorization Header: Transferring Payload in
# Multiple Chunks (Chunked Upload)" and of its trailing-headers companion page.
DOC_ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
DOC_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
DOC_TIMESTAMP = "20130524T000000Z"
DOC_SCOPE = CredentialScope(DOC_ACCESS_KEY, "20130524", "us-east-1", "s3")
DOC_NOW = datetime(2013, 5, 24, 0, 0, 30, tzinfo=UTC)
DOC_DATA = b"a" * 66560
DOC_SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
DOC_CHUNK_SIGNATURES = (
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
)
DOC_TRAILER_SEED = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
DOC_TRAILER_CHUNK_SIGNATURES = (
    "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
    "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
    "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
)
DOC_TRAILER = (
    b"x-amz-checksum-crc32c:sOO8/Q==\r\n"
    b"x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n"
)
DOC_HEADERS = {
    "host": "s3.amazonaws.com",
    "x-amz-date": DOC_TIMESTAMP,
    "x-amz-storage-class": "REDUCED_REDUNDANCY",
    "authorization": (
        f"AWS4-HMAC-SHA256 Credential={DOC_ACCESS_KEY}/20130524/us-east-1/s3/aws4_request,"
        "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
        f"x-amz-decoded-content-length;x-amz-storage-class,Signature={DOC_SEED}"
    ),
    "x-amz-content-sha256": STREAMING_SIGNED_PAYLOAD,
    "content-encoding": "aws-chunked",
    "x-amz-decoded-content-length": "66560",
    "content-length": "66824",
}


def doc_body(signatures: tuple[str, ...] = DOC_CHUNK_SIGNATURES, trailer: bytes = b"") -> bytes:
    return (
        f"10000;chunk-signature={signatures[0]}\r\n".encode()
        + DOC_DATA[:65536]
        + f"\r\n400;chunk-signature={signatures[1]}\r\n".encode()
        + DOC_DATA[65536:]
        + f"\r\n0;chunk-signature={signatures[2]}\r\n".encode()
        + trailer
        + b"\r\n"
    )


def doc_signing(seed: str = DOC_SEED) -> ChunkSigning:
    return ChunkSigning(signing_key(DOC_SECRET, DOC_SCOPE), DOC_TIMESTAMP, DOC_SCOPE.scope, seed)


def doc_request(body: bytes, **headers: str) -> HttpRequest:
    merged = {**DOC_HEADERS, **headers}
    return HttpRequest("PUT", "/examplebucket/chunkObject.txt", "", Headers(merged), raw_body=body)


def secrets(access_key_id: str) -> str | None:
    return DOC_SECRET if access_key_id == DOC_ACCESS_KEY else None


def failure(excinfo: pytest.ExceptionInfo[AuthFailure]) -> AuthFailureReason:
    return excinfo.value.reason


def sign_chunks(data: bytes, chunk_size: int, signing: ChunkSigning) -> bytes:
    """Frame `data` per AWS's streaming-signature algorithm (our own chain, as a client does)."""
    empty = hashlib.sha256(b"").hexdigest()
    previous = signing.seed_signature
    out = bytearray()
    pieces = [data[i : i + chunk_size] for i in range(0, len(data), chunk_size)] + [b""]
    for piece in pieces:
        string_to_sign = (
            f"AWS4-HMAC-SHA256-PAYLOAD\n{signing.timestamp}\n{signing.scope}\n{previous}\n"
            f"{empty}\n{hashlib.sha256(piece).hexdigest()}"
        )
        previous = hmac.new(
            signing.signing_key, string_to_sign.encode(), hashlib.sha256
        ).hexdigest()
        out += f"{len(piece):x};chunk-signature={previous}\r\n".encode() + piece + b"\r\n"
    return bytes(out)


# --- AWS's published example -------------------------------------------------------------


def test_aws_documented_chunked_upload_is_accepted_end_to_end() -> None:
    body = doc_body()
    assert len(body) == 66824  # the documented Content-Length

    result = authenticate(doc_request(body), secrets, now=DOC_NOW)

    assert result.body == DOC_DATA
    assert result.trailers == {}
    assert result.scope == DOC_SCOPE
    assert not result.presigned


@pytest.mark.parametrize("index", [0, 1, 2])
def test_any_documented_chunk_signature_changed_is_a_mismatch(index: int) -> None:
    signatures = list(DOC_CHUNK_SIGNATURES)
    signatures[index] = signatures[index][:-1] + ("0" if signatures[index][-1] != "0" else "1")

    with pytest.raises(AuthFailure) as excinfo:
        authenticate(doc_request(doc_body(tuple(signatures))), secrets, now=DOC_NOW)

    assert failure(excinfo) is AuthFailureReason.SIGNATURE_MISMATCH


def test_tampered_chunk_data_is_a_mismatch() -> None:
    body = bytearray(doc_body())
    body[1000] = ord("b")

    with pytest.raises(AuthFailure) as excinfo:
        authenticate(doc_request(bytes(body)), secrets, now=DOC_NOW)

    assert failure(excinfo) is AuthFailureReason.SIGNATURE_MISMATCH


def test_swapped_chunks_break_the_chain() -> None:
    signing = doc_signing()
    body = sign_chunks(b"x" * 100 + b"y" * 100, 100, signing)
    first_end = body.index(b"\r\n", body.index(b"\r\n") + 2) + 2
    second_end = body.index(b"\r\n", body.index(b"\r\n", first_end) + 2) + 2
    swapped = body[first_end:second_end] + body[:first_end] + body[second_end:]

    with pytest.raises(AuthFailure) as excinfo:
        decode_aws_chunked(swapped, STREAMING_SIGNED_PAYLOAD, signing=signing)

    assert failure(excinfo) is AuthFailureReason.SIGNATURE_MISMATCH


def test_wrong_decoded_length_is_a_bad_chunk() -> None:
    for length in ("66559", "66561"):
        with pytest.raises(AuthFailure) as excinfo:
            authenticate(
                doc_request(doc_body(), **{"x-amz-decoded-content-length": length}),
                secrets,
                now=DOC_NOW,
            )
        # The length header is signed, so changing it breaks the seed signature first.
        assert failure(excinfo) is AuthFailureReason.SIGNATURE_MISMATCH

    for length in (66559, 66561):
        with pytest.raises(AuthFailure) as excinfo:
            decode_aws_chunked(
                doc_body(), STREAMING_SIGNED_PAYLOAD, signing=doc_signing(), decoded_length=length
            )
        assert failure(excinfo) is AuthFailureReason.BAD_CHUNK


@pytest.mark.parametrize("cut", [10, 65600, 66700, 66822, 66823])
def test_truncated_body_is_a_bad_chunk(cut: int) -> None:
    with pytest.raises(AuthFailure) as excinfo:
        authenticate(doc_request(doc_body()[:cut]), secrets, now=DOC_NOW)

    assert failure(excinfo) is AuthFailureReason.BAD_CHUNK


def test_aws_documented_signed_trailer_decodes() -> None:
    body = doc_body(DOC_TRAILER_CHUNK_SIGNATURES, DOC_TRAILER)

    payload, trailers = decode_aws_chunked(
        body,
        STREAMING_SIGNED_PAYLOAD_TRAILER,
        signing=doc_signing(DOC_TRAILER_SEED),
        decoded_length=66560,
        declared_trailers=["x-amz-checksum-crc32c"],
    )

    assert payload == DOC_DATA
    assert trailers == {"x-amz-checksum-crc32c": "sOO8/Q=="}


def test_changed_signed_trailer_value_is_a_mismatch() -> None:
    body = doc_body(DOC_TRAILER_CHUNK_SIGNATURES, DOC_TRAILER.replace(b"sOO8/Q==", b"sOO8/A=="))

    with pytest.raises(AuthFailure) as excinfo:
        decode_aws_chunked(
            body, STREAMING_SIGNED_PAYLOAD_TRAILER, signing=doc_signing(DOC_TRAILER_SEED)
        )

    assert failure(excinfo) is AuthFailureReason.SIGNATURE_MISMATCH


def test_signed_trailer_without_its_signature_is_a_bad_chunk() -> None:
    body = doc_body(DOC_TRAILER_CHUNK_SIGNATURES, DOC_TRAILER.split(b"\r\n")[0] + b"\r\n")

    with pytest.raises(AuthFailure) as excinfo:
        decode_aws_chunked(
            body, STREAMING_SIGNED_PAYLOAD_TRAILER, signing=doc_signing(DOC_TRAILER_SEED)
        )

    assert failure(excinfo) is AuthFailureReason.BAD_CHUNK


# --- framing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"zz;chunk-signature=" + b"0" * 64 + b"\r\n",  # size is not hex
        b"5\r\nhello\r\n0\r\n\r\n",  # signed body without chunk-signature
        b"5;chunk-signature=abc\r\nhello\r\n",  # signature is not 64 hex digits
        b"5;chunk-signature=" + b"0" * 64 + b"\nhello\r\n",  # bare LF after the chunk header
        b"1" * 5000 + b"\r\n",  # endless header line
    ],
)
def test_malformed_signed_framing_is_a_bad_chunk(body: bytes) -> None:
    with pytest.raises(AuthFailure) as excinfo:
        decode_aws_chunked(body, STREAMING_SIGNED_PAYLOAD, signing=doc_signing())

    assert failure(excinfo) is AuthFailureReason.BAD_CHUNK


def test_data_not_followed_by_crlf_is_a_bad_chunk() -> None:
    good = sign_chunks(b"hello", 5, doc_signing())
    broken = good.replace(b"hello\r\n", b"helloXY", 1)

    with pytest.raises(AuthFailure) as excinfo:
        decode_aws_chunked(broken, STREAMING_SIGNED_PAYLOAD, signing=doc_signing())

    assert failure(excinfo) is AuthFailureReason.BAD_CHUNK


def test_bytes_after_the_last_chunk_are_a_bad_chunk() -> None:
    with pytest.raises(AuthFailure) as excinfo:
        decode_aws_chunked(doc_body() + b"extra", STREAMING_SIGNED_PAYLOAD, signing=doc_signing())

    assert failure(excinfo) is AuthFailureReason.BAD_CHUNK


def test_unsigned_trailers_in_a_signed_body_are_refused() -> None:
    body = doc_body(trailer=b"x-amz-checksum-crc32:AAAAAA==\r\n")

    with pytest.raises(AuthFailure) as excinfo:
        decode_aws_chunked(body, STREAMING_SIGNED_PAYLOAD, signing=doc_signing())

    assert failure(excinfo) is AuthFailureReason.BAD_CHUNK


def test_unknown_streaming_mode_is_a_bad_chunk() -> None:
    with pytest.raises(AuthFailure) as excinfo:
        AwsChunkedDecoder("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD")

    assert failure(excinfo) is AuthFailureReason.BAD_CHUNK


# --- incremental decoding ---------------------------------------------------------------


def test_decoder_fed_byte_by_byte_yields_the_payload() -> None:
    body = doc_body()
    decoder = AwsChunkedDecoder(
        STREAMING_SIGNED_PAYLOAD, signing=doc_signing(), decoded_length=len(DOC_DATA)
    )

    payload = b"".join(decoder.feed(body[i : i + 1]) for i in range(len(body)))

    assert payload == DOC_DATA
    assert decoder.finish() == {}


@pytest.mark.parametrize("piece", [1, 7, 4096, 70000])
def test_signed_trailer_decodes_at_any_split(piece: int) -> None:
    body = doc_body(DOC_TRAILER_CHUNK_SIGNATURES, DOC_TRAILER)
    decoder = AwsChunkedDecoder(
        STREAMING_SIGNED_PAYLOAD_TRAILER, signing=doc_signing(DOC_TRAILER_SEED)
    )

    payload = b"".join(decoder.feed(body[i : i + piece]) for i in range(0, len(body), piece))

    assert payload == DOC_DATA
    assert decoder.finish() == {"x-amz-checksum-crc32c": "sOO8/Q=="}


def test_decoder_reports_a_bad_chunk_signature_as_soon_as_the_chunk_ends() -> None:
    signatures = ("0" * 64, *DOC_CHUNK_SIGNATURES[1:])
    body = doc_body(signatures)
    decoder = AwsChunkedDecoder(STREAMING_SIGNED_PAYLOAD, signing=doc_signing())
    decoder.feed(body[:65000])

    with pytest.raises(AuthFailure) as excinfo:
        decoder.feed(body[65000:65700])

    assert failure(excinfo) is AuthFailureReason.SIGNATURE_MISMATCH


def test_finish_before_the_last_chunk_is_a_bad_chunk() -> None:
    decoder = AwsChunkedDecoder(STREAMING_SIGNED_PAYLOAD, signing=doc_signing())
    decoder.feed(doc_body()[:66000])

    with pytest.raises(AuthFailure) as excinfo:
        decoder.finish()

    assert failure(excinfo) is AuthFailureReason.BAD_CHUNK


# --- STREAMING-UNSIGNED-PAYLOAD-TRAILER, as botocore frames it ----------------------------


def crc32_b64(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def botocore_framed(data: bytes, chunk_size: int) -> bytes:
    wrapper = AwsChunkedWrapper(
        io.BytesIO(data),
        checksum_cls=Crc32Checksum,
        checksum_name="x-amz-checksum-crc32",
        chunk_size=chunk_size,
    )
    return bytes(wrapper.read())


def test_unsigned_trailer_with_crc32_decodes() -> None:
    data = bytes(range(256)) * 40
    body = botocore_framed(data, 1000)

    payload, trailers = decode_aws_chunked(
        body,
        STREAMING_UNSIGNED_PAYLOAD_TRAILER,
        decoded_length=len(data),
        declared_trailers=["x-amz-checksum-crc32"],
    )

    assert payload == data
    assert trailers == {"x-amz-checksum-crc32": crc32_b64(data)}


def test_unsigned_trailer_fed_byte_by_byte() -> None:
    data = b"hello, world\n" * 50
    body = botocore_framed(data, 64)
    decoder = AwsChunkedDecoder(STREAMING_UNSIGNED_PAYLOAD_TRAILER, decoded_length=len(data))

    payload = b"".join(decoder.feed(body[i : i + 1]) for i in range(len(body)))

    assert payload == data
    assert decoder.finish() == {"x-amz-checksum-crc32": crc32_b64(data)}


def test_unsigned_empty_body_and_bare_last_chunk() -> None:
    assert decode_aws_chunked(botocore_framed(b"", 64), STREAMING_UNSIGNED_PAYLOAD_TRAILER) == (
        b"",
        {"x-amz-checksum-crc32": crc32_b64(b"")},
    )
    # `0\r\n` and nothing more, as the AWS SDK for JavaScript sends without a checksum.
    assert decode_aws_chunked(b"3\r\nabc\r\n0\r\n", STREAMING_UNSIGNED_PAYLOAD_TRAILER) == (
        b"abc",
        {},
    )


def test_declared_trailer_missing_or_undeclared_trailer_is_a_bad_chunk() -> None:
    body = botocore_framed(b"abc", 64)
    for declared in (["x-amz-checksum-crc32c"], ["x-amz-checksum-crc32", "x-amz-checksum-sha1"]):
        with pytest.raises(AuthFailure) as excinfo:
            decode_aws_chunked(body, STREAMING_UNSIGNED_PAYLOAD_TRAILER, declared_trailers=declared)
        assert failure(excinfo) is AuthFailureReason.BAD_CHUNK


@pytest.mark.parametrize(
    "body",
    [
        b"3\r\nabc\r\n0\r\nx-amz-checksum-crc32\r\n\r\n",  # trailer without a colon
        b"3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAA\r\n",  # no blank line after the trailers
        b"3\r\nabc\r\n",  # no last chunk
        b"4\r\nabc\r\n0\r\n\r\n",  # size larger than the data
    ],
)
def test_malformed_unsigned_framing_is_a_bad_chunk(body: bytes) -> None:
    with pytest.raises(AuthFailure) as excinfo:
        decode_aws_chunked(body, STREAMING_UNSIGNED_PAYLOAD_TRAILER)

    assert failure(excinfo) is AuthFailureReason.BAD_CHUNK
