"""The YARN ResourceManager daemon (`python -m emr.yarn.resourcemanager --node-dir DIR`).

    settings.py     agent.json + yarn-site.xml + capacity-scheduler.xml → ResourceManagerSettings
    core.py         ResourceManager: the CapacityScheduler and the records around it, the
                    NodeManagers' calls, submission and kill, the liveness timer (no sockets)
    amservice.py    ApplicationMasterService: an attempt's register, allocate, finish
    records.py      applications, attempts, NodeManagers as the RM reports them
    submission.py   Hadoop's application-submission-context JSON → Submission
    views.py        the `/ws/v1/cluster` JSON bodies and the query filters (pure)
    webservices.py  Hadoop's REST API routes;  internal.py  `/_yarn/v1/nm|am|status`
    webui.py        a minimal `/cluster` page (clients probe it for the active RM)
    server.py       the Starlette app, the timer, AM launches;  http.py  errors, tokens, JSON
    errors.py       the RemoteException classes

LIMITATIONS (where this differs from Hadoop's ResourceManager):
- No RM recovery (state store): a restarted RM forgets its applications; NodeManagers resync
  and their containers are killed. No HA.
- The REST API speaks JSON only (an `Accept: application/xml` still gets JSON); no web UI
  beyond a minimal `/cluster` page, no `/proxy`, delegation tokens, reservations, queue moves
  or priority updates (`/apps/{id}/queue` and `/priority` are read-only), no per-attempt
  `/containers`; `/apps/{id}/state` PUT kills at once and answers 200 with KILLED (Hadoop
  may first answer 202).
- Ended applications beyond yarn.resourcemanager.max-completed-applications (1000) are
  forgotten, as in Hadoop, but only by the RM: the scheduler keeps its own record of them.
- A submission the scheduler refuses (unknown queue, AM larger than the maximum allocation)
  is accepted with 202 and the application goes FAILED with Hadoop's message (Hadoop refuses
  the resource case synchronously with 400).
- trackingUrl is the AM's own URL (no web proxy in between).
- Unmanaged AMs, AM blacklisting, attempt-failures-validity-interval and
  keep-containers-across-application-attempts are not supported (the last is ignored).
"""

from emr.yarn.resourcemanager.core import AmLaunch, ResourceManager
from emr.yarn.resourcemanager.server import create_app
from emr.yarn.resourcemanager.settings import ResourceManagerSettings

__all__ = ["AmLaunch", "ResourceManager", "ResourceManagerSettings", "create_app"]
