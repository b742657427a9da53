"""HDFS on the cluster's nodes: a NameNode on the master, DataNodes on the core nodes, WebHDFS.

Pure cores (no I/O, unit-tested): `namenode.namespace` (the directory tree, permissions, leases,
edit log records), `blockmanager` (replicas, placement, re-replication, safe mode) and
`datanode.checksums`. The daemons around them come in `namenode.server` / `datanode.server`.
"""
