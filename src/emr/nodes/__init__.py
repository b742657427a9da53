"""Nodes: how an "EC2 instance" of a cluster comes to exist, and the agent that runs on it.

`provider` is the NodeProvider interface the supervisor drives; `protocol` is the wire
contract between the region and the node agents (both directions).
"""
