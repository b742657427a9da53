"""CloudWatch's error codes, one class each (all HTTP 400, the caller's fault).

    InvalidParameterValue        a value CloudWatch refuses (NaN, a period that is not a
                                 multiple of 60, a timestamp older than two weeks, …)
    MissingParameter             a member CloudWatch needs that the model leaves optional
    InvalidParameterCombination  members that exclude each other, or too many datapoints
    InvalidNextToken             GetMetricData's token is not one this endpoint handed out

The code is the awsQuery code; the json and CBOR protocols answer the shape name
(`InvalidParameterValueException`) with the code in `x-amzn-query-error`, as CloudWatch does.
"""

from __future__ import annotations

from emr.errors import ServiceError

__all__ = [
    "InvalidNextToken",
    "InvalidParameterCombination",
    "InvalidParameterValue",
    "MissingParameter",
]


class InvalidParameterValue(ServiceError):
    """A parameter's value is refused."""

    code = "InvalidParameterValue"


class MissingParameter(ServiceError):
    """A parameter CloudWatch requires is absent."""

    code = "MissingParameter"


class InvalidParameterCombination(ServiceError):
    """Parameters that cannot be given together (or a request that asks too much)."""

    code = "InvalidParameterCombination"


class InvalidNextToken(ServiceError):
    """A pagination token this endpoint did not hand out."""

    code = "InvalidNextToken"
