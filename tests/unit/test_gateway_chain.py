"""The gateway chain in-process: provider errors and unexpected exceptions reach the client right."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any, ClassVar

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.parsers import create_parser
from starlette.datastructures import Headers

from emr.errors import ServiceError
from emr.gateway.chain import Gateway
from emr.gateway.http import HttpRequest, HttpResponse
from emr.gateway.routing import ServiceCatalog
from emr.identity import AccessKeyStore, SigningIdentity
from emr.services.provider import CallContext, Provider, operation
from emr.state import open_database

CATALOG = ServiceCatalog()


class ExpiredTokenError(ServiceError):
    code = "ExpiredTokenException"
    status_code = 400


class MisbehavingSts(Provider):
    """An STS whose operations fail in the ways real providers can."""

    service_name: ClassVar[str] = "sts"

    @operation("GetCallerIdentity")
    def get_caller_identity(self, context: CallContext) -> dict[str, Any]:
        raise RuntimeError(f"disk on fire while serving {context.request_id}")

    @operation("GetSessionToken")
    async def get_session_token(self, context: CallContext, **_: Any) -> dict[str, Any]:
        raise ExpiredTokenError("The security token included in the request is expired")


@pytest.fixture
def identity_and_gateway(tmp_path: Path) -> tuple[SigningIdentity, Gateway]:
    keys = AccessKeyStore(open_database(f"sqlite:///{tmp_path / 'state.db'}"))
    identity = keys.ensure_root_key("123456789012")
    gateway = Gateway(CATALOG, {"sts": MisbehavingSts()}, keys, region="us-east-1")
    return identity, gateway


def _call(gateway: Gateway, identity: SigningIdentity, action: str) -> tuple[HttpResponse, Any]:
    body = f"Action={action}&Version=2011-06-15".encode()
    request = AWSRequest(
        method="POST",
        url="http://127.0.0.1:4599/",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    credentials = Credentials(identity.access_key_id, identity.secret_access_key)
    SigV4Auth(credentials, "sts", "us-east-1").add_auth(request)
    headers = Headers(headers={**dict(request.headers), "host": "127.0.0.1:4599"})
    http = HttpRequest("POST", "/", "", headers, body, body)
    response = asyncio.run(gateway.handle(http))
    operation_model = CATALOG.model("sts").operation_model(action)
    parsed = create_parser("query").parse(
        {
            "status_code": response.status_code,
            "headers": dict(response.headers),
            "body": response.body,
        },
        operation_model.output_shape,
    )
    return response, parsed


def test_unexpected_exception_is_internal_failure_with_request_id(
    identity_and_gateway: tuple[SigningIdentity, Gateway], caplog: pytest.LogCaptureFixture
) -> None:
    identity, gateway = identity_and_gateway
    with caplog.at_level(logging.ERROR, logger="emr.gateway"):
        response, parsed = _call(gateway, identity, "GetCallerIdentity")
    request_id = response.get_header("x-amzn-RequestId")
    assert request_id
    assert response.status_code == 500
    assert parsed["Error"]["Code"] == "InternalFailure"
    assert request_id in parsed["Error"]["Message"]
    assert "disk on fire" not in response.body.decode()
    assert any(request_id in record.getMessage() and record.exc_info for record in caplog.records)


def test_provider_service_error_is_answered_in_protocol_shape(
    identity_and_gateway: tuple[SigningIdentity, Gateway],
) -> None:
    identity, gateway = identity_and_gateway
    response, parsed = _call(gateway, identity, "GetSessionToken")
    assert response.status_code == 400
    assert parsed["Error"]["Code"] == "ExpiredTokenException"
    assert parsed["Error"]["Message"] == "The security token included in the request is expired"
    assert parsed["ResponseMetadata"]["RequestId"] == response.get_header("x-amzn-RequestId")


def test_validation_comes_before_the_provider(
    identity_and_gateway: tuple[SigningIdentity, Gateway],
) -> None:
    identity, gateway = identity_and_gateway
    response, parsed = _call(gateway, identity, "GetAccessKeyInfo")
    assert response.status_code == 400
    assert parsed["Error"]["Code"] == "ValidationError"
    assert "accessKeyId" in parsed["Error"]["Message"]
