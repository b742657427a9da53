"""EMR's error codes, one class each, raised by the EMR provider.

EMR answers a request it understands but refuses with InvalidRequestException (an unknown
resource, a duplicate name, a bad document) and one whose values are malformed or break a
rule of the API with ValidationException (a release label that is not `emr-x.y.z`, an
unsupported instance type, a RunJobFlow whose instances cannot form a cluster). Both are
HTTP 400. A few ValidationException subclasses with a fixed message live with their pure
modules (`releases.InvalidReleaseLabel`, `instance_types.UnsupportedInstanceType`,
`step_lifecycle.InvalidStepConfiguration`); they carry the same code.
"""

from __future__ import annotations

from emr.errors import ServiceError

__all__ = ["InvalidRequestException", "ValidationException"]


class InvalidRequestException(ServiceError):
    """EMR refuses the request: unknown or duplicate resource, invalid configuration."""

    code = "InvalidRequestException"


class ValidationException(ServiceError):
    """EMR refuses values that break its rules (instance counts, limits, formats)."""

    code = "ValidationException"
