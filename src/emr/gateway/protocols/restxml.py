"""The rest-xml protocol (S3, Route 53, CloudFront): REST routing, XML bodies.

Requests are path-style: the gateway rewrites virtual-hosted S3 requests
(`Host: bucket.s3…`) to `/bucket/…` before they reach this protocol.

Responses put the output's non-bound members under one root element. The model rarely
names it, so the name is, in order: the `locationName` of the output shape; for S3, the
name S3 itself answers with (`ListBucketResult`, `ListAllMyBucketsResult`, …, see
`_S3_RESULT_ELEMENTS`); else the output shape's name, with a trailing `Output` turned into
`Result` (`FooOutput` → `FooResult`). Route 53 names its shapes `…Response`, which is
exactly the root element it answers with, so those names are kept as they are. botocore
ignores the root name; other SDKs and hand-written clients do not.

Errors: S3 answers `<Error><Code/><Message/>…fields…<RequestId/><HostId/></Error>` with
`x-amz-request-id`/`x-amz-id-2` headers and no body at all for HEAD requests (botocore then
reports the status code, "404", as the code, which is what boto3 users test for) nor for a
304 Not Modified; the
other rest-xml services answer `<ErrorResponse><Error><Type/><Code/><Message/></Error>
<RequestId/></ErrorResponse>` with `x-amzn-RequestId`. A request no operation matches is,
for S3, `405 MethodNotAllowed` (S3's answer to a method a resource does not support: every
path names a bucket or an object); for the others `404 UnknownOperationException`.
"""

from __future__ import annotations

import base64
import hashlib
import weakref
from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape

from botocore.model import OperationModel, ServiceModel, Shape

from emr.errors import RequestParseError, ServiceError, UnknownOperation
from emr.gateway.http import HttpRequest, HttpResponse
from emr.gateway.protocols.base import Protocol
from emr.gateway.protocols.rest import (
    body_members,
    parse_bound_members,
    payload_member,
    router_for,
    write_bound_members,
    write_raw_payload,
)
from emr.gateway.protocols.validate import validate_input
from emr.gateway.protocols.xmlcodec import (
    MALFORMED_XML_MESSAGE,
    decode_xml,
    encode_xml,
    parse_xml_document,
)

__all__ = ["RestXmlProtocol"]

#: Root elements S3 answers with where the model's shape names differ (from the S3 API
#: reference's response syntax).
_S3_RESULT_ELEMENTS = {
    "CompleteMultipartUpload": "CompleteMultipartUploadResult",
    "CreateMultipartUpload": "InitiateMultipartUploadResult",
    "CreateSession": "CreateSessionResult",
    "DeleteObjects": "DeleteResult",
    "GetBucketAccelerateConfiguration": "AccelerateConfiguration",
    "GetBucketAcl": "AccessControlPolicy",
    "GetBucketCors": "CORSConfiguration",
    "GetBucketLifecycle": "LifecycleConfiguration",
    "GetBucketLifecycleConfiguration": "LifecycleConfiguration",
    "GetBucketLocation": "LocationConstraint",
    "GetBucketLogging": "BucketLoggingStatus",
    "GetBucketNotification": "NotificationConfiguration",
    "GetBucketNotificationConfiguration": "NotificationConfiguration",
    "GetBucketRequestPayment": "RequestPaymentConfiguration",
    "GetBucketTagging": "Tagging",
    "GetBucketVersioning": "VersioningConfiguration",
    "GetBucketWebsite": "WebsiteConfiguration",
    "GetObjectAcl": "AccessControlPolicy",
    "GetObjectAttributes": "GetObjectAttributesResponse",
    "GetObjectTagging": "Tagging",
    "ListBucketAnalyticsConfigurations": "ListBucketAnalyticsConfigurationResult",
    "ListBucketIntelligentTieringConfigurations": "ListBucketIntelligentTieringConfigurationsOutput",
    "ListBucketInventoryConfigurations": "ListInventoryConfigurationsResult",
    "ListBucketMetricsConfigurations": "ListMetricsConfigurationsResult",
    "ListBuckets": "ListAllMyBucketsResult",
    "ListDirectoryBuckets": "ListAllMyDirectoryBucketsResult",
    "ListMultipartUploads": "ListMultipartUploadsResult",
    "ListObjectVersions": "ListVersionsResult",
    "ListObjects": "ListBucketResult",
    "ListObjectsV2": "ListBucketResult",
    "ListParts": "ListPartsResult",
}
_S3_METHOD_NOT_ALLOWED = "The specified method is not allowed against this resource."
_NAMESPACES: weakref.WeakKeyDictionary[ServiceModel, str | None] = weakref.WeakKeyDictionary()


def _is_s3(service: ServiceModel) -> bool:
    return bool(service.endpoint_prefix == "s3")


def _service_namespace(service: ServiceModel) -> str | None:
    """The XML namespace the service's request bodies declare (S3's
    `http://s3.amazonaws.com/doc/2006-03-01/`), used as the default for responses too."""
    if service in _NAMESPACES:
        return _NAMESPACES[service]
    found: str | None = None
    for name in service.operation_names:
        shape = service.operation_model(name).input_shape
        if shape is None:
            continue
        candidates = [shape, *shape.members.values()]
        for candidate in candidates:
            declared = candidate.serialization.get("xmlNamespace")
            uri = declared.get("uri") if isinstance(declared, Mapping) else declared
            if isinstance(uri, str) and "XMLSchema-instance" not in uri:
                found = uri
                break
        if found:
            break
    _NAMESPACES[service] = found
    return found


def _root_name(operation: OperationModel, shape: Shape) -> str:
    named = shape.serialization.get("name")
    if isinstance(named, str):
        return named
    if _is_s3(operation.service_model) and operation.name in _S3_RESULT_ELEMENTS:
        return _S3_RESULT_ELEMENTS[operation.name]
    name = str(shape.name)
    return name[: -len("Output")] + "Result" if name.endswith("Output") else name


def _host_id(request_id: str) -> str:
    """A stable stand-in for S3's `x-amz-id-2` (an opaque base64 token)."""
    return base64.b64encode(hashlib.sha256(request_id.encode()).digest()).decode()


class RestXmlProtocol(Protocol):
    """rest-xml for any service model; S3's error form and request-id headers for S3."""

    name = "rest-xml"

    def accepts(self, request: HttpRequest, service: ServiceModel) -> bool:
        """Always: a rest-xml service speaks nothing else."""
        return True

    def match_operation(self, request: HttpRequest, service: ServiceModel) -> OperationModel:
        found = router_for(service).match(request)
        if found is not None:
            return found[0].operation
        if _is_s3(service):
            raise UnknownOperation(
                _S3_METHOD_NOT_ALLOWED,
                code="MethodNotAllowed",
                status_code=405,
                fields={"Method": request.method.upper(), "ResourceType": _resource_type(request)},
            )
        raise UnknownOperation(
            f"No operation matches {request.method.upper()} {request.path}",
            code="UnknownOperationException",
            status_code=404,
        )

    def parse_request(self, request: HttpRequest, operation: OperationModel) -> dict[str, Any]:
        service = operation.service_model
        _check_content_md5(request)
        route = router_for(service).routes[operation.name]
        labels = route.match_labels(request.raw_path) or {}
        bad_value = "InvalidArgument" if _is_s3(service) else "InvalidInput"
        params = parse_bound_members(request, route, labels, error_code=bad_value)
        try:
            params.update(self._body_members(request, operation))
        except ValueError as exc:
            raise RequestParseError(MALFORMED_XML_MESSAGE, code="MalformedXML") from exc
        # S3 has no ValidationException: a value it refuses is an InvalidArgument.
        invalid = "InvalidArgument" if _is_s3(service) else self.validation_error_code
        validate_input(params, operation.input_shape, code=invalid, enums=not _is_s3(service))
        return params

    def _body_members(self, request: HttpRequest, operation: OperationModel) -> dict[str, Any]:
        shape = operation.input_shape
        payload = payload_member(shape)
        body = request.body
        if payload is not None:
            name, member = payload
            if member.type_name == "blob":
                # A streaming body is always there, if empty (PutObject of a zero-byte object).
                streaming = bool(member.serialization.get("streaming"))
                if streaming and request.body_stream is not None:
                    return {name: request.body_stream}
                return {name: body} if body or streaming else {}
            if member.type_name == "string":
                return {name: body.decode("utf-8")} if body else {}
            if not body.strip():
                return {}
            return {name: decode_xml(parse_xml_document(body), member)}
        if not body_members(shape) or not body.strip():
            return {}
        decoded = decode_xml(parse_xml_document(body), shape)
        return dict(decoded)

    def serialize_response(
        self, operation: OperationModel, result: Mapping[str, Any], request_id: str
    ) -> HttpResponse:
        response = HttpResponse()
        write_bound_members(response, operation, result)
        self._request_id_headers(response, operation.service_model, request_id)
        shape = operation.output_shape
        namespace = _service_namespace(operation.service_model)
        payload = payload_member(shape)
        if payload is not None:
            name, member = payload
            value = result.get(name)
            if value is None:
                pass
            elif member.type_name in ("blob", "string"):
                write_raw_payload(response, value)
            else:
                root = member.serialization.get("name", name)
                response.body = encode_xml(root, member, value, namespace=namespace)
        elif shape is not None and body_members(shape):
            response.body = self._result_document(operation, shape, result, namespace)
        if response.body and response.body.startswith(b"<?xml"):
            response.set_header("Content-Type", "application/xml")
        if response.status_code == 204:
            response.body = b""
        return response

    def _result_document(
        self,
        operation: OperationModel,
        shape: Shape,
        result: Mapping[str, Any],
        namespace: str | None,
    ) -> bytes:
        members = body_members(shape)
        values = {k: v for k, v in result.items() if k in members and v is not None}
        root = _root_name(operation, shape)
        if len(members) == 1:
            # S3's GetBucketLocation answers `<LocationConstraint>eu-west-1</…>`: a lone
            # scalar member named like the root is the root's text.
            ((member_name, member),) = members.items()
            wire = member.serialization.get("name", member_name)
            if wire == root and member.type_name not in ("structure", "list", "map"):
                text = values.get(member_name)
                ns = f' xmlns="{namespace}"' if namespace else ""
                inner = "" if text is None else escape(str(text))
                document = f'<?xml version="1.0" encoding="UTF-8"?>\n<{root}{ns}>{inner}</{root}>'
                return document.encode("utf-8")
        return encode_xml(root, shape, values, namespace=namespace)

    def serialize_error(
        self,
        error: ServiceError,
        service: ServiceModel,
        operation: OperationModel | None,
        request_id: str,
    ) -> HttpResponse:
        response = HttpResponse(status_code=error.status_code)
        self._request_id_headers(response, service, request_id)
        for header, value in error.headers.items():
            response.set_header(header, value)
        head = operation is not None and operation.http.get("method", "").upper() == "HEAD"
        if _is_s3(service):
            if head or error.status_code == 304:  # HTTP allows no body on either
                return response
            parts = [
                f"<Code>{escape(error.code)}</Code>",
                f"<Message>{escape(error.message)}</Message>",
            ]
            parts.extend(_field_elements(error.fields))
            parts.append(f"<RequestId>{escape(request_id)}</RequestId>")
            parts.append(f"<HostId>{_host_id(request_id)}</HostId>")
            body = f"<Error>{''.join(parts)}</Error>"
        else:
            namespace = _service_namespace(service)
            ns = f' xmlns="{namespace}"' if namespace else ""
            fault = "Sender" if error.sender_fault else "Receiver"
            fields = "".join(_field_elements(error.fields))
            body = (
                f"<ErrorResponse{ns}><Error><Type>{fault}</Type>"
                f"<Code>{escape(error.code)}</Code><Message>{escape(error.message)}</Message>"
                f"{fields}</Error><RequestId>{escape(request_id)}</RequestId></ErrorResponse>"
            )
        response.body = f'<?xml version="1.0" encoding="UTF-8"?>\n{body}'.encode()
        response.set_header("Content-Type", "application/xml")
        return response

    def _request_id_headers(
        self, response: HttpResponse, service: ServiceModel, request_id: str
    ) -> None:
        if _is_s3(service):
            response.set_header("x-amz-request-id", request_id)
            response.set_header("x-amz-id-2", _host_id(request_id))
        else:
            response.set_header("x-amzn-RequestId", request_id)


def _field_elements(fields: Mapping[str, Any]) -> list[str]:
    return [
        f"<{name}>{escape(str(value))}</{name}>"
        for name, value in fields.items()
        if value is not None
    ]


def _resource_type(request: HttpRequest) -> str:
    """What S3 names in a MethodNotAllowed body: SERVICE, BUCKET or OBJECT."""
    segments = [part for part in request.raw_path.split("/", 2)[1:] if part]
    return ("SERVICE", "BUCKET", "OBJECT")[min(len(segments), 2)]


def _check_content_md5(request: HttpRequest) -> None:
    """S3 (and any rest-xml service) rejects a body whose Content-MD5 does not match."""
    declared = request.headers.get("content-md5")
    if declared is None:
        return
    try:
        digest = base64.b64decode(declared.strip(), validate=True)
    except ValueError as exc:
        raise RequestParseError(
            "The Content-MD5 you specified is not valid.", code="InvalidDigest"
        ) from exc
    if len(digest) != 16:
        raise RequestParseError("The Content-MD5 you specified is not valid.", code="InvalidDigest")
    if hashlib.md5(request.body, usedforsecurity=False).digest() != digest:
        raise RequestParseError(
            "The Content-MD5 you specified did not match what we received.",
            code="BadDigest",
            fields={"ExpectedDigest": declared.strip()},
        )
