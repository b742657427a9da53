"""The gateway: every AWS-style request goes through this chain, top to bottom.

    assign_request_id   x-amz-request-id / x-amzn-RequestId for every answer, errors included
    route_service       which service (cbor path, X-Amz-Target, credential scope, SigV2, S3)
    receive_body        the whole body, except for S3, whose signature covers only the
                        declared payload hash, so its body can wait for the operation
    authenticate        SigV4 / SigV2 verification; decodes aws-chunked bodies
    decompress_body     `Content-Encoding: gzip` bodies (botocore compresses large
                        CloudWatch PutMetricData calls), after the signature that covers them
    select_protocol     which of the service's protocols the request speaks (CloudWatch's
                        awsquery form is told from its body, so the body comes first)
    address_bucket      virtual-hosted S3 (Host: <bucket>.<endpoint>) → path-style
    match_operation     the model's operation the request names
    receive_payload     S3: streamed through the verifier for uploads (bounded memory for any
                        size), else read whole and verified
    parse_input         members parsed and validated against the botocore model
    invoke_provider     the service provider's handler, off the event loop when synchronous
    serialize_result    output members → HTTP in the request's protocol

Any `ServiceError` stops the chain and is serialized in the request's protocol; any other
exception becomes InternalFailure carrying the request id, with the traceback in the log only.
Finalizers run for every request: request id headers and one log line.

The service is known before authentication (the issue's order has routing after it) because
an authentication failure must be answered in the protocol family of the service addressed:
SignatureDoesNotMatch in XML for S3 and STS, InvalidSignatureException in JSON for EMR.
Routing only reads; nothing it reads is trusted until `authenticate` has verified it.
"""

from __future__ import annotations

import inspect
import json
import logging
import time
import uuid
import zlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.model import OperationModel, ServiceModel
from starlette.concurrency import run_in_threadpool

from emr.errors import (
    AuthFailure,
    InternalFailure,
    NotImplementedOperation,
    RequestParseError,
    ServiceError,
)
from emr.gateway.auth_errors import translate_auth_failure
from emr.gateway.http import HttpRequest, HttpResponse
from emr.gateway.payload import VerifiedBodyStream
from emr.gateway.protocols import select_protocol
from emr.gateway.protocols.base import Protocol
from emr.gateway.routing import ServiceCatalog, resolve_service
from emr.gateway.sigv4 import AuthResult, authenticate, credential_scope
from emr.identity import AccessKeyStore, SigningIdentity
from emr.services.provider import CallContext, OperationHandler, OperationResult, Provider

__all__ = ["Gateway", "RequestContext"]

log = logging.getLogger("emr.gateway")

#: Bodies that are not streamed (everything but S3 object uploads) are held in memory whole.
MAX_WHOLE_BODY_BYTES = 64 * 1024 * 1024


@dataclass
class RequestContext:
    """What the chain learns about one request as it goes."""

    request: HttpRequest
    started: float = field(default_factory=time.monotonic)
    request_id: str = ""
    service_name: str | None = None
    service: ServiceModel | None = None
    protocol: Protocol | None = None
    auth: AuthResult | None = None
    identity: SigningIdentity | None = None
    operation: OperationModel | None = None
    params: dict[str, Any] = field(default_factory=dict)
    result: Mapping[str, Any] | None = None
    result_status: int | None = None
    result_headers: Mapping[str, str] | None = None
    response: HttpResponse | None = None
    error: ServiceError | None = None


Handler = Callable[[RequestContext], Awaitable[None] | None]


class Gateway:
    """The handler chain around the service providers."""

    def __init__(
        self,
        catalog: ServiceCatalog,
        providers: Mapping[str, Provider],
        keys: AccessKeyStore,
        *,
        region: str,
        max_clock_skew: timedelta = timedelta(minutes=15),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._catalog = catalog
        self._handlers: dict[str, Mapping[str, OperationHandler]] = {
            name: provider.operations() for name, provider in providers.items()
        }
        self._keys = keys
        self._region = region
        self._max_clock_skew = max_clock_skew
        self._clock = clock
        self.request_handlers: list[Handler] = [
            self.assign_request_id,
            self.route_service,
            self.receive_body,
            self.authenticate,
            self.decompress_body,
            self.select_protocol,
            self.address_bucket,
            self.match_operation,
            self.receive_payload,
            self.parse_input,
            self.invoke_provider,
            self.serialize_result,
        ]
        self.finalizers: list[Handler] = [self.add_request_id_headers, self.log_request]

    async def handle(self, request: HttpRequest) -> HttpResponse:
        """Run the chain for one request; always returns a response."""
        context = RequestContext(request)
        try:
            for handler in self.request_handlers:
                outcome = handler(context)
                # Sync handlers return None; skipping isawaitable's slow ABC check for them.
                if outcome is not None and inspect.isawaitable(outcome):
                    await outcome
        except ServiceError as error:
            context.error = error
        except Exception:
            log.exception("request %s failed unexpectedly", context.request_id)
            context.error = InternalFailure(
                f"We encountered an internal error. Please try again. (request {context.request_id})"
            )
        if isinstance(context.error, AuthFailure) and context.service is not None:
            # Authentication only runs once routing found the service: word it in its family.
            context.error = translate_auth_failure(context.error, context.service)
        if context.error is not None:
            context.response = self.serialize_error(context, context.error)
        for finalizer in self.finalizers:
            outcome = finalizer(context)
            if outcome is not None and inspect.isawaitable(outcome):
                await outcome
        assert context.response is not None
        return context.response

    # -- the chain ------------------------------------------------------------------------

    def assign_request_id(self, context: RequestContext) -> None:
        context.request_id = str(uuid.uuid4())

    def route_service(self, context: RequestContext) -> None:
        name = resolve_service(context.request, self._catalog)
        if name is None:
            raise ServiceError(
                "The requested service is not available at this endpoint.",
                code="UnknownServiceException",
                status_code=400,
            )
        context.service_name = name
        context.service = self._catalog.model(name)

    def select_protocol(self, context: RequestContext) -> None:
        assert context.service is not None
        context.protocol = select_protocol(context.request, context.service)

    async def receive_body(self, context: RequestContext) -> None:
        if context.service_name != "s3":
            await _read_whole_body(context.request)

    def authenticate(self, context: RequestContext) -> None:
        request = context.request
        found: dict[str, SigningIdentity] = {}

        def lookup_secret(access_key_id: str) -> str | None:
            identity = self._keys.lookup(access_key_id)
            if identity is None:
                return None
            found[access_key_id] = identity
            return identity.secret_access_key

        auth = authenticate(
            request,
            lookup_secret,
            now=self._clock(),
            max_skew=self._max_clock_skew,
            defer_payload=request.wire is not None,
        )
        context.auth = auth
        context.identity = found[auth.access_key_id]
        request.body = auth.body

    def decompress_body(self, context: RequestContext) -> None:
        request = context.request
        if context.service_name == "s3":  # S3 keeps Content-Encoding as object metadata
            return
        if request.headers.get("content-encoding", "").strip().lower() != "gzip":
            return
        request.body = _gunzip(request.body)

    def address_bucket(self, context: RequestContext) -> None:
        if context.service_name != "s3":
            return
        bucket = _virtual_host_bucket(context.request.host)
        if bucket is not None:
            request = context.request
            request.raw_path = f"/{bucket}{request.raw_path}"
            request.__dict__.pop("path", None)  # drop the cached decoded path

    def match_operation(self, context: RequestContext) -> None:
        assert context.protocol is not None and context.service is not None
        context.operation = context.protocol.match_operation(context.request, context.service)

    async def receive_payload(self, context: RequestContext) -> None:
        request, auth = context.request, context.auth
        if request.wire is None or auth is None:
            return
        assert context.operation is not None
        if _streams_payload(context.operation):
            request.body_stream = VerifiedBodyStream(
                request.wire, auth.payload, _declared_length(request)
            )
            request.wire = None
            return
        await _read_whole_body(request)
        request.body, auth.trailers = auth.payload.verify_whole(request.raw_body)

    def parse_input(self, context: RequestContext) -> None:
        assert context.protocol is not None and context.operation is not None
        context.params = context.protocol.parse_request(context.request, context.operation)

    async def invoke_provider(self, context: RequestContext) -> None:
        assert context.operation is not None and context.identity is not None
        service_name = context.service_name or ""
        operation_name = context.operation.name
        handler = self._handlers.get(service_name, {}).get(operation_name)
        if handler is None:
            raise NotImplementedOperation(
                f"The operation {operation_name} of {service_name} is not implemented by this endpoint yet."
            )
        call = CallContext(
            request_id=context.request_id,
            account_id=context.identity.principal.account_id,
            region=_request_region(context) or self._region,
            principal=context.identity.principal,
            service=service_name,
            operation=operation_name,
        )
        if inspect.iscoroutinefunction(handler):
            result = await handler(call, **context.params)
        else:
            result = await run_in_threadpool(handler, call, **context.params)
        if isinstance(result, OperationResult):
            context.result_status = result.status_code
            context.result_headers = result.headers
            result = result.members
        context.result = result or {}

    def serialize_result(self, context: RequestContext) -> None:
        assert context.protocol is not None and context.operation is not None
        assert context.result is not None
        response = context.protocol.serialize_response(
            context.operation, context.result, context.request_id
        )
        if context.result_status is not None:
            response.status_code = context.result_status
        for name, value in (context.result_headers or {}).items():
            response.set_header(name, value)
        context.response = response

    # -- errors and finalizers ---------------------------------------------------------------

    def serialize_error(self, context: RequestContext, error: ServiceError) -> HttpResponse:
        service = context.service or self._fallback_model(context.request)
        if service is None:
            return _plain_json_error(error)
        protocol = context.protocol or select_protocol(context.request, service)
        try:
            response = protocol.serialize_error(
                error, service, context.operation, context.request_id
            )
        except Exception:
            log.exception("request %s: cannot serialize %s", context.request_id, error.code)
            return _plain_json_error(error)
        for name, value in error.headers.items():
            response.set_header(name, value)
        return response

    def _fallback_model(self, request: HttpRequest) -> ServiceModel | None:
        scope = credential_scope(request)
        return None if scope is None else self._catalog.load_unrouted(scope.service)

    def add_request_id_headers(self, context: RequestContext) -> None:
        assert context.response is not None
        response = context.response
        if context.service_name == "s3":
            response.set_header("x-amz-request-id", context.request_id)
            if response.get_header("x-amz-id-2") is None:  # the protocol sets S3's host id
                response.set_header("x-amz-id-2", context.request_id)
        else:
            response.set_header("x-amzn-RequestId", context.request_id)

    def log_request(self, context: RequestContext) -> None:
        assert context.response is not None
        elapsed_ms = (time.monotonic() - context.started) * 1000
        log.info(
            "%s %s.%s %s%s %.1fms",
            context.request_id,
            context.service_name or "-",
            context.operation.name if context.operation else "-",
            context.response.status_code,
            f" {context.error.code}" if context.error else "",
            elapsed_ms,
        )


async def _read_whole_body(request: HttpRequest) -> None:
    """Read the rest of the body into `raw_body` (and `body`), refusing oversized ones."""
    if request.wire is None:
        return
    received = bytearray()
    async for data in request.wire:
        received += data
        if len(received) > MAX_WHOLE_BODY_BYTES:
            raise ServiceError(
                f"The request body exceeds {MAX_WHOLE_BODY_BYTES} bytes.",
                code="RequestEntityTooLarge",
                status_code=413,
            )
    request.wire = None
    request.raw_body = request.body = bytes(received)


def _gunzip(body: bytes) -> bytes:
    """A gzip body decompressed, refusing one that inflates beyond the whole-body limit."""
    inflater = zlib.decompressobj(wbits=31)
    try:
        plain = inflater.decompress(body, MAX_WHOLE_BODY_BYTES + 1)
    except zlib.error as exc:
        raise RequestParseError("The request body is not valid gzip.") from exc
    if len(plain) > MAX_WHOLE_BODY_BYTES or inflater.unconsumed_tail:
        raise ServiceError(
            f"The decompressed request body exceeds {MAX_WHOLE_BODY_BYTES} bytes.",
            code="RequestEntityTooLarge",
            status_code=413,
        )
    if not inflater.eof:
        raise RequestParseError("The request body is a truncated gzip stream.")
    return plain


def _streams_payload(operation: OperationModel) -> bool:
    shape = operation.input_shape
    payload = shape.serialization.get("payload") if shape is not None else None
    return payload is not None and bool(shape.members[payload].serialization.get("streaming"))


def _declared_length(request: HttpRequest) -> int | None:
    """The payload length the client declared; an aws-chunked body's Content-Length counts
    its framing, so only x-amz-decoded-content-length tells its payload length."""
    chunked = request.headers.get("x-amz-content-sha256", "").startswith("STREAMING-")
    chunked = chunked or "aws-chunked" in request.headers.get("content-encoding", "")
    names = ("x-amz-decoded-content-length",) if chunked else ("content-length",)
    for name in names:
        value = request.headers.get(name, "").strip()
        if value.isdigit():
            return int(value)
    return None


def _request_region(context: RequestContext) -> str | None:
    auth = context.auth
    return auth.scope.region if auth is not None and auth.scope is not None else None


def _virtual_host_bucket(host: str) -> str | None:
    # <bucket>.localhost:port or <bucket>.s3.<anything>; an IP or bare name is path-style.
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else ""
    if not name or name.replace(".", "").isdigit():
        return None
    for marker in (".s3.", ".localhost"):
        index = name.find(marker)
        if index > 0:
            return name[:index]
    return None


def _plain_json_error(error: ServiceError) -> HttpResponse:
    body = json.dumps({"__type": error.code, "message": error.message}).encode()
    return HttpResponse(
        status_code=error.status_code,
        headers=[("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", error.code)],
        body=body,
    )
