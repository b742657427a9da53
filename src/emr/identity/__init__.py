"""Who a request is from: access keys and the principals they stand for.

The gateway asks `AccessKeyStore.lookup(access_key_id)` for the secret and principal. Today
only account root keys exist; IAM users, assumed-role sessions and cluster keys will be rows
of the same store with their own principal ARNs, so the gateway does not change.
"""

from emr.identity.keys import AccessKeyStore, Principal, SigningIdentity

__all__ = ["AccessKeyStore", "Principal", "SigningIdentity"]
