"""Which service a request is for, decided from what the request itself says.

In order: the smithy-rpc-v2-cbor path (`/service/<targetPrefix>/operation/<Op>`), the
`X-Amz-Target` prefix, the SigV4 credential scope's service (the signing name), SigV2 (only
S3 speaks it), and finally S3 for anything else: unsigned browser-style requests and
virtual-hosted bucket addresses are S3's. Nothing here is trusted: authentication comes next
and checks the scope that routing read.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property

import botocore.session
from botocore.exceptions import UnknownServiceError
from botocore.model import ServiceModel

from emr.gateway.http import HttpRequest
from emr.gateway.sigv4 import credential_scope, is_sigv2

__all__ = ["ROUTED_SERVICES", "ServiceCatalog", "resolve_service"]

#: Services the region endpoint answers for, by botocore name. A service here without a
#: provider answers NotImplemented in its own protocol, never a bare 404 or 500.
ROUTED_SERVICES = (
    "sts",
    "s3",
    "emr",
    "iam",
    "cloudwatch",
    "logs",
    "glue",
    "kinesis",
    "datapipeline",
)

_CBOR_PREFIX = "/service/"


class ServiceCatalog:
    """botocore service models of the routed services, with the look-ups routing needs."""

    def __init__(self, service_names: Iterable[str] = ROUTED_SERVICES) -> None:
        self._session = botocore.session.get_session()
        self._models = {name: self._session.get_service_model(name) for name in service_names}

    def model(self, name: str) -> ServiceModel:
        return self._models[name]

    def __contains__(self, name: object) -> bool:
        return name in self._models

    @cached_property
    def _by_target_prefix(self) -> dict[str, str]:
        return {
            model.metadata["targetPrefix"]: name
            for name, model in self._models.items()
            if "targetPrefix" in model.metadata
        }

    @cached_property
    def _by_signing_name(self) -> dict[str, str]:
        index: dict[str, str] = {}
        for name, model in self._models.items():
            index.setdefault(model.signing_name, name)
            index.setdefault(model.endpoint_prefix, name)
        return index

    def by_target_prefix(self, prefix: str) -> str | None:
        return self._by_target_prefix.get(prefix)

    def by_signing_name(self, signing_name: str) -> str | None:
        return self._by_signing_name.get(signing_name)

    def load_unrouted(self, name: str) -> ServiceModel | None:
        """A botocore model for a service we do not route, to answer in its protocol."""
        try:
            return self._session.get_service_model(name)
        except UnknownServiceError:
            return None


def resolve_service(request: HttpRequest, catalog: ServiceCatalog) -> str | None:
    """The botocore name of the routed service the request addresses, or None."""
    if request.headers.get("smithy-protocol") and request.path.startswith(_CBOR_PREFIX):
        prefix = request.path[len(_CBOR_PREFIX) :].split("/", 1)[0]
        return catalog.by_target_prefix(prefix)
    target = request.headers.get("x-amz-target")
    if target:
        return catalog.by_target_prefix(target.rsplit(".", 1)[0])
    scope = credential_scope(request)
    if scope is not None:
        return catalog.by_signing_name(scope.service)
    if is_sigv2(request):
        return "s3"
    if (
        request.content_type == "application/x-www-form-urlencoded"
        or "Action" in request.query_dict
    ):
        # An unsigned query-protocol call: answer it as the query service it most likely is.
        return "sts"
    return "s3"
