"""Wire protocols: generic parsers and serializers driven by botocore service models."""
