"""Amazon EMR: the control plane's pure core (catalogs, release labels, lifecycle state machines).

The provider (RunJobFlow, DescribeCluster, …), the supervisor and the node agents wrap these
modules; nothing here does I/O, reads a clock or starts a thread.
"""
