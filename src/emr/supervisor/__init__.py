"""The supervisor: the async shell that drives every cluster's state machines and nodes."""

from emr.supervisor.supervisor import ClusterSupervisor

__all__ = ["ClusterSupervisor"]
