"""`hadoop-streaming` / `hadoop jar …hadoop-streaming*.jar`: Hadoop Streaming's client.

options.py parses the command line, jobconf.py turns it into the job's conf and settings,
main.py plans the splits, submits the job (emr.mapreduce.submit) and follows it.
"""

from emr.mapreduce.streaming.main import main

__all__ = ["main"]
