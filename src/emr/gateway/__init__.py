"""The region endpoint: one ASGI app that serves every AWS-compatible service."""
