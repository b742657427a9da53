"""Hand-made requests signed by botocore's own signers, for inputs boto3 would never send."""

from __future__ import annotations

from datetime import datetime
from unittest import mock

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.conftest import RunningServer


def signed_send(
    server: RunningServer,
    *,
    service: str,
    method: str = "POST",
    path: str = "/",
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    secret: str | None = None,
    at: datetime | None = None,
) -> httpx.Response:
    """Sign with SigV4 for `service` (signing name) and send; `at` fakes the signing time."""
    credentials = Credentials(
        server.env["AWS_ACCESS_KEY_ID"], secret or server.env["AWS_SECRET_ACCESS_KEY"]
    )
    request = AWSRequest(method=method, url=server.url + path, data=body, headers=headers or {})
    signer = SigV4Auth(credentials, service, server.env["AWS_DEFAULT_REGION"])
    if at is None:
        signer.add_auth(request)
    else:
        with mock.patch("botocore.auth.get_current_datetime", return_value=at):
            signer.add_auth(request)
    prepared = request.prepare()
    return httpx.request(
        method, prepared.url, headers=dict(prepared.headers), content=body, timeout=30
    )
