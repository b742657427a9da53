"""EMR's error codes, one class each, raised by the EMR provider.

EMR answers a request it understands but refuses with InvalidRequestException (an unknown
resource, a duplicate name, a bad document) and one whose values are malformed with
ValidationException (a release label that is not `emr-x.y.z`, an unsupported instance type;
those two live with their pure modules, `releases` and `instance_types`). Both are HTTP 400.
"""

from __future__ import annotations

from emr.errors import ServiceError

__all__ = ["InvalidRequestException"]


class InvalidRequestException(ServiceError):
    """EMR refuses the request: unknown or duplicate resource, invalid configuration."""

    code = "InvalidRequestException"
