"""Error codes as each protocol family names them.

A modeled error has two names: its shape name (what json and CBOR put in `__type`) and its
awsQuery code (the shape's `error.code` trait, what query services and the
`x-amzn-query-error` header of query-compatible services say). Providers may raise either;
these functions translate.
"""

from __future__ import annotations

from botocore.model import ServiceModel, StructureShape

from emr.errors import ServiceError

__all__ = ["error_shape", "query_error_code", "query_error_header", "shape_error_code"]


def error_shape(service: ServiceModel, code: str) -> StructureShape | None:
    """The modeled error a code names, by shape name or by awsQuery code."""
    for shape in service.error_shapes:
        if shape.name == code:
            return shape
    shape = service.shape_for_error_code(code)
    return shape if isinstance(shape, StructureShape) else None


def query_error_code(service: ServiceModel, code: str) -> str:
    """The awsQuery code for an error code (e.g. NoSuchEntityException → NoSuchEntity)."""
    shape = error_shape(service, code)
    if shape is None:
        return code
    return str(shape.metadata.get("error", {}).get("code") or shape.name)


def shape_error_code(service: ServiceModel, code: str) -> str:
    """The shape name for an error code (e.g. ResourceNotFound → ResourceNotFoundException)."""
    shape = error_shape(service, code)
    return code if shape is None else str(shape.name)


def query_error_header(service: ServiceModel, error: ServiceError) -> str | None:
    """The `x-amzn-query-error` value for an awsQueryCompatible service, else None."""
    if not service.is_query_compatible:
        return None
    fault = "Sender" if error.sender_fault else "Receiver"
    return f"{query_error_code(service, error.code)};{fault}"
