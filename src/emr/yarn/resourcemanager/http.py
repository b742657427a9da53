"""What the ResourceManager's HTTP endpoints share: JSON answers, errors as Hadoop's
RemoteException, bearer-token checks."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from emr.yarn.ids import InvalidId
from emr.yarn.resourcemanager.errors import BadRequest, Unauthorized, YarnWebError

__all__ = ["Endpoint", "bearer_matches", "guarded", "json_response", "read_json"]

log = logging.getLogger("emr.yarn.resourcemanager")

Endpoint = Callable[[Request], Awaitable[Response]]


def json_response(
    body: dict[str, Any] | BaseModel, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    content = body.model_dump_json() if isinstance(body, BaseModel) else json.dumps(body)
    return Response(content, status_code=status, media_type="application/json", headers=headers)


def bearer_matches(request: Request, expected: str) -> bool:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(
        token.strip().encode(), expected.encode()
    )


def check_bearer(request: Request, expected: str) -> None:
    if not bearer_matches(request, expected):
        raise Unauthorized("Invalid or missing token")


async def read_json(request: Request) -> Any:
    body = await request.body()
    try:
        return json.loads(body or b"null")
    except ValueError as exc:
        raise BadRequest(f"The request body is not JSON: {exc}") from exc


def guarded(call: Endpoint) -> Endpoint:
    """The endpoint, with errors answered as RemoteException JSON."""

    async def endpoint(request: Request) -> Response:
        try:
            return await call(request)
        except YarnWebError as error:
            return json_response(error.body(), error.status)
        except (ValidationError, InvalidId) as exc:
            bad = BadRequest(str(exc))
            return json_response(bad.body(), bad.status)
        except Exception as exc:
            log.exception("%s %s failed", request.method, request.url.path)
            body = {
                "RemoteException": {
                    "exception": "WebApplicationException",
                    "message": f"{type(exc).__name__}: {exc}",
                    "javaClassName": "javax.ws.rs.WebApplicationException",
                }
            }
            return json_response(body, 500)

    return endpoint
