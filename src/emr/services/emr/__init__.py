"""Amazon EMR: the control plane.

The pure core (`instance_types`, `releases`, `markers`, the lifecycle state machines) does no
I/O, reads no clock and starts no thread. `provider.EmrProvider` and its mixins by resource
(`releases_api`, `security_configurations`, `block_public_access`) are the thin shell that
answers the API from that core and the control-plane database.
"""
