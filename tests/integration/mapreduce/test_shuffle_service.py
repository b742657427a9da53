"""The NodeManager's shuffle service in a real NodeManager process: a container started with
the job token in its service_data makes the application's map outputs readable with that
token (Fetcher and raw HTTP), nothing else is served, and the token is dropped when the
application finishes."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import httpx

from emr.mapreduce.fetcher import Fetcher, MapLocation
from emr.yarn.client import YarnRestClient
from emr.yarn.nodemanager.shuffle import url_hash
from tests.integration.mapreduce.conftest import shuffle_am_command
from tests.integration.yarn.conftest import Cluster, read_report, wait_for

#: Per map, its partitions (reduce 0, reduce 1); records are counted as `;`s.
SEGMENTS = [["m0r0;a;", "m0r1;"], ["m1r0;", "m1r1;b;c;"]]


def _start(cluster: Cluster, tmp_path: Path, token: str) -> tuple[str, dict[str, Any], Path]:
    report, stop = tmp_path / "report.json", tmp_path / "stop"
    command = shuffle_am_command(tmp_path, report, stop, token, SEGMENTS)
    with YarnRestClient(cluster.url, user="hadoop") as rest:
        app_id = cluster.submit(rest, "shuffle", command)
    found: dict[str, Any] = wait_for(lambda: read_report(report), cluster.logs)
    return app_id, found, stop


def test_shuffle_serves_map_outputs_with_the_job_token(mr_cluster: Cluster, tmp_path: Path) -> None:
    token = secrets.token_hex(16)
    app_id, found, stop = _start(mr_cluster, tmp_path, token)
    address, job, attempts = found["shuffle_address"], found["job"], found["attempts"]
    host, _, port = address.rpartition(":")
    assert host == "127.0.0.2" and int(port) > 0
    locations = [MapLocation(i, a, address) for i, a in enumerate(attempts)]

    with Fetcher(job, token, 1, tmp_path / "r1", memory_limit=40) as fetcher:
        fetched, failed = fetcher.fetch(locations)
    assert failed == []
    by_map = {f.location.map_index: f for f in fetched}
    assert by_map[0].content() == b"m0r1;" and by_map[0].records == 1
    assert by_map[1].content() == b"m1r1;b;c;" and by_map[1].records == 3

    # A budget too small for memory: the segments go to files, with the same bytes.
    with Fetcher(job, token, 0, tmp_path / "r0", memory_limit=0) as fetcher:
        fetched, failed = fetcher.fetch(locations)
    assert failed == []
    assert sorted(bytes(f.content()) for f in fetched) == [b"m0r0;a;", b"m1r0;"]
    assert all(f.path is not None and f.path.parent == tmp_path / "r0" for f in fetched)

    # A wrong token, an unknown map, a bad id, a path in the query: refused.
    with Fetcher(job, "not-the-token", 0, tmp_path / "x") as fetcher:
        _, failed = fetcher.fetch(locations)
    assert [f.reason.split(" ")[1] for f in failed] == ["401", "401"]
    missing = attempts[0].replace("_m_000000_", "_m_000007_")
    with Fetcher(job, token, 0, tmp_path / "y") as fetcher:
        fetched, failed = fetcher.fetch([MapLocation(7, missing, address)])
    assert fetched == [] and "HTTP 404" in failed[0].reason

    def get(query: str, secret: str = token) -> httpx.Response:
        path = f"/mapOutput?{query}"
        return httpx.get(f"http://{address}{path}", headers={"UrlHash": url_hash(secret, path)})

    assert get(f"job={job}&reduce=0&map=../../../etc/passwd").status_code == 400
    assert get(f"job={job}&reduce=x&map={attempts[0]}").status_code == 400
    assert get(f"job={job}&reduce=5&map={attempts[0]}").status_code == 404
    assert get(f"job=job_1_0001&reduce=0&map={attempts[0]}").status_code == 404
    assert (
        httpx.get(f"http://{address}/mapOutput?job={job}&reduce=0&map={attempts[0]}").status_code
        == 401
    )
    reduce_task = attempts[0].replace("_m_", "_r_")
    assert get(f"job={job}&reduce=0&map={reduce_task}").status_code == 400

    # Once the application is over, its outputs are gone and its token forgotten.
    stop.write_text("")
    mr_cluster.wait_app(app_id, {"FINISHED"})
    wait_for(
        lambda: get(f"job={job}&reduce=0&map={attempts[0]}").status_code == 404,
        mr_cluster.logs,
    )
