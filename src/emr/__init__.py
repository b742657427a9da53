"""emr: a self-hosted Elastic MapReduce."""

__version__ = "0.1.0"
