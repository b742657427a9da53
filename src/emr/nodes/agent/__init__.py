"""The node agent: one process per node, `emr agent --node-dir DIR`.

It reads `DIR/agent.json`, serves the region → agent API on `<private-ip>:<agent-port>`,
registers with the region and heartbeats, runs bootstrap actions, steps (master) and exec
requests in the node's environment, and kills every process of its node when it stops.

Exit status: 0 stopped as asked (POST /v1/shutdown, SIGTERM/SIGINT, the region answered
410); 1 could not run (unreadable agent.json, address in use) or the region kept refusing its
token; 3 orphaned (no answer from the region for `orphan_timeout_seconds`).

Modules: main (process lifecycle), api (HTTP), region_link (events, heartbeats, orphan rule),
bootstrap, steps, execs, daemons, storage (S3), node (what they share). `main` is imported
only by `emr agent`; nothing here imports typer, rich, httpx or (until S3 is used) boto3
or psutil (until processes are killed).
"""
