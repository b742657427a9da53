"""A minimal `/cluster` page: Hadoop's web UI lives there, and clients probe it to find the
active ResourceManager (yarn-api-client's check_is_active_rm GETs `<rm>/cluster`)."""

from __future__ import annotations

from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from emr.yarn.resourcemanager.core import ResourceManager

__all__ = ["webui_routes"]


def webui_routes(rm: ResourceManager) -> list[Route]:
    async def cluster(request: Request) -> Response:
        rows = "".join(
            "<tr>"
            + "".join(
                f"<td>{escape(str(v))}</td>"
                for v in (
                    app.submission.application_id,
                    app.user,
                    app.submission.name,
                    app.submission.application_type,
                    app.queue,
                    app.state.value,
                    app.final_status.value,
                )
            )
            + "</tr>"
            for _, app in sorted(rm.apps.items())
        )
        head = "".join(
            f"<th>{h}</th>" for h in ("ID", "User", "Name", "Type", "Queue", "State", "FinalStatus")
        )
        page = (
            "<!DOCTYPE html><html><head><title>All Applications</title></head><body>"
            f"<h1>ResourceManager {rm.cluster_timestamp}</h1>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
            "</body></html>"
        )
        return HTMLResponse(page)

    async def root(request: Request) -> Response:
        return RedirectResponse("/cluster", status_code=302)

    return [
        Route("/", root, methods=["GET"]),
        Route("/cluster", cluster, methods=["GET"]),
        Route("/cluster/apps", cluster, methods=["GET"]),
    ]
