"""Spark on the cluster: every Spark application is a YARN application.

    spark-submit (emr.spark.submit, on the master or in a step)
        │  stages local files in HDFS, submits a YARN application of type SPARK
        ▼
    AM container (emr.spark.appmaster)
        ├── a Spark standalone Master for this application only
        ├── cluster mode: the driver (pyspark's spark-submit --master spark://…)
        └── asks YARN for executor containers; each runs a standalone Worker sized to its
            grant, and the Worker forks the executor inside the container
    client mode: the driver runs in spark-submit on the master against the AM's Master

EMRFS for the JVM (emr.spark.emrfs) is a Hadoop FileSystem compiled from Java sources in
this package against pyspark's hadoop-client-api jar; `s3://`, `s3a://`, `s3n://` speak the
S3 REST protocol through it, `hdfs://` goes to our NameNode through Hadoop's own
WebHdfsFileSystem.
"""
