"""Hadoop MapReduce on YARN for Hadoop Streaming jobs: client, ApplicationMaster, tasks and
the NodeManager's shuffle service.

Processes and data flow (one job):

    client (`hadoop-streaming …`, `hadoop jar …hadoop-streaming*.jar …`; emr.mapreduce.streaming)
      parses the options → JobSpec; expands -input globs; refuses an existing -output; plans
      input splits (splits.py); writes `<staging>/job.json` (+ local -files) to
      `hdfs:///tmp/hadoop-yarn/staging/<user>/.staging/<job id>/`; submits a YARN application
      (type MAPREDUCE) whose AM is `python -m emr.mapreduce.appmaster`; follows the job through
      the AM's REST API (/ws/v1/mapreduce/jobs/{job}); prints Hadoop's log lines and counters;
      exits 0 only when the job SUCCEEDED.
    ApplicationMaster (container 1; emr.mapreduce.appmaster)
      JobStateMachine (pure: events → actions) + a runtime that talks to the RM (AMClient),
      starts task containers on NodeManagers, and serves the umbilical protocol for tasks and
      the job REST API for the client on one HTTP port (its tracking URL). Job setup, job
      commit and abort through committer.py. Writes `<staging>/history.json` (final state,
      diagnostics, counters) before it unregisters.
    task containers (`python -m emr.mapreduce.task <attempt id>`; emr.mapreduce.task)
      map: read the split (formats.py) → the mapper process (pipe.py) → key/value → partition
      (partition.py) → sort buffer, spills, combiner, merge (mapoutput.py) → one file.out +
      file.out.index in `$LOCAL_DIRS[0]/output/<attempt id>/`, served by this node's shuffle
      service. Map-only: the mapper's records go to the output format in the task's attempt
      dir. reduce: fetch its partition of every map output from the shuffle services
      (fetcher.py) → merge → the reducer process → output format → task commit.
    shuffle service (inside every NodeManager; emr.yarn.nodemanager.shuffle)
      `GET /mapOutput?job=&reduce=&map=<attempt>[,<attempt>…]` on port mapreduce.shuffle.port
      (13562), authorised with the job token (header UrlHash), reading map outputs from the
      NodeManager's local dirs.

The umbilical protocol (task → AM, HTTP JSON, `Authorization: Bearer <job token>`), all under
`/umbilical/v1`, models in job.py:

    GET  tasks/{attempt}                 → TaskAssignment
    POST tasks/{attempt}/status          StatusReport   → StatusAnswer (kill: the AM wants it dead)
    GET  tasks/{attempt}/events?from=N   → MapEvents    (reduces: map outputs to fetch)
    POST tasks/{attempt}/fetch-failure   FetchFailure   → {}
    POST tasks/{attempt}/can-commit      → CommitAnswer
    POST tasks/{attempt}/done            TaskDone       → {}
    POST tasks/{attempt}/failed          TaskFailed     → {}

The client's view (no token, read-only, Hadoop's MR AM REST shapes): `GET
/ws/v1/mapreduce/jobs/{job}` → {"job": JobReport fields in Hadoop's camelCase}, `GET
/ws/v1/mapreduce/jobs/{job}/counters` → {"jobCounters": …}.
"""
