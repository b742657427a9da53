"""Amazon CloudWatch metrics (smithy-rpc-v2-cbor, json and query).

Pure core: `errors` (one class per CloudWatch code), `metrics` (PutMetricData's input → data
points, with CloudWatch's checks), `statistics` (aggregation per period, percentiles and
GetMetricStatistics' limits), `queries` (GetMetricData's queries). `store.MetricStore` keeps
metrics and raw data points in the control-plane database; `provider.CloudWatchProvider` is
the thin shell the gateway calls.
"""

from emr.services.cloudwatch.provider import CloudWatchProvider

__all__ = ["CloudWatchProvider"]
