"""YARN: ids, resources, the capacity scheduler's queue configuration and its pure machine
(`emr.yarn.scheduler`). The ResourceManager and NodeManager daemons are built around them."""
