"""The YARN NodeManager (`python -m emr.yarn.nodemanager --node-dir DIR`).

    container.py    ContainerRecord and the pure rules: states, Hadoop's exit statuses,
                    diagnostics texts, the container's environment and command
    settings.py     NodeManagerSettings from agent.json + conf/yarn-site.xml
    localizer.py    local resources from file://, http(s)://, s3://, hdfs:// (archives unpacked)
    containers.py   ContainerManager: launch (process groups), kill, memory monitor, app finish
    watchdog.py     the process that kills the containers when the NodeManager dies
    rm_link.py      register / heartbeat with the ResourceManager (protocol.py)
    aggregation.py  container logs to <LogUri>/<cluster-id>/containers/<app>/<container>/
    webservices.py  Hadoop's /ws/v1/node JSON bodies
    server.py       the HTTP app: /_yarn/v1/containers/… and /ws/v1/node/…

Nothing is imported here: the watchdog runs as `python -m emr.yarn.nodemanager.watchdog` and
must start with the standard library only.
"""

__all__: list[str] = []
