"""Wire protocols: generic parsers and serializers driven by botocore service models."""

from __future__ import annotations

from botocore.model import ServiceModel

from emr.gateway.http import HttpRequest
from emr.gateway.protocols.base import Protocol
from emr.gateway.protocols.cbor import CborProtocol
from emr.gateway.protocols.json import JsonProtocol
from emr.gateway.protocols.query import QueryProtocol
from emr.gateway.protocols.restjson import RestJsonProtocol
from emr.gateway.protocols.restxml import RestXmlProtocol

__all__ = ["PROTOCOLS", "Protocol", "select_protocol"]

#: Every protocol implementation, by botocore's name for it.
PROTOCOLS: dict[str, Protocol] = {
    protocol.name: protocol
    for protocol in (
        JsonProtocol(),
        RestJsonProtocol(),
        RestXmlProtocol(),
        QueryProtocol(),
        CborProtocol(),
    )
}


def select_protocol(request: HttpRequest, service: ServiceModel) -> Protocol:
    """The protocol the request speaks among those the service supports.

    A service such as CloudWatch speaks smithy-rpc-v2-cbor, json and query; the request's
    own markers decide. When none claims it, the service's preferred protocol answers
    (with the error that a malformed request deserves).
    """
    names = service.metadata.get("protocols") or [service.protocol]
    supported = [PROTOCOLS[name] for name in names if name in PROTOCOLS]
    if not supported:
        raise LookupError(f"no protocol implementation for {service.service_name}: {names}")
    for protocol in supported:
        if protocol.accepts(request, service):
            return protocol
    return supported[0]
