"""Amazon S3: an S3-compatible object store (rest-xml)."""
