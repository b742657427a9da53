"""AWS Security Token Service (query protocol)."""

from emr.services.sts.provider import StsProvider

__all__ = ["StsProvider"]
