"""AWS-compatible services: one package per service, each a thin provider over its domain."""
