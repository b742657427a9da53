"""The NameNode: the namespace (pure), its edit log (files), and later the daemon around them.

`Namespace` holds the directory tree with HDFS's rules and permission model and queues one
edit record per mutation; `EditLog` makes those records and periodic checkpoints durable;
`errors` is what WebHDFS answers on failure, `emr.hdfs.webhdfs_json` the bodies.

The daemon's part, for every call: hold one lock around the call and `log.append(ns.take_edits())`
(reads can queue an access-time record too), answer only after that append returned; an
HdfsError becomes `webhdfs_json.remote_exception(e)` with status `e.http_status`. At start:
`image, records = log.load()`, `Namespace.from_snapshot(image)` (or `Namespace()`), `replay`.
Checkpoint now and then with `log.checkpoint(ns.snapshot())` under the same lock.

    WebHDFS op                 Namespace call → body
    GETFILESTATUS, GETFILELINKSTATUS
                               get_file_status → file_status
    LISTSTATUS                 list_status → file_statuses(listing.statuses)
    LISTSTATUS_BATCH           list_status(start_after=startAfter, limit=dfs.ls.limit)
                               → directory_listing
    GETCONTENTSUMMARY          get_content_summary → content_summary
    GETHOMEDIRECTORY           get_home_directory → home_path
    GETFILEBLOCKLOCATIONS      get_block_locations(offset, length) + replicas from the block
                               manager → block_locations
    OPEN, GETFILECHECKSUM      get_block_locations → 307 to a DataNode with a replica
    MKDIRS                     mkdirs(permission or 0o755) → boolean(True)
    CREATE                     307 to a DataNode; the DataNode's step calls create(client,
                               overwrite, replication, block_size, permission or 0o644), then
                               add_block per block (last_block_length = the previous one's),
                               complete(last_block_length); drop CreateResult.removed_blocks
    APPEND                     append → continue AppendResult.last_block or add_block; complete
    RENAME                     no renameoptions: rename → boolean; with them: rename2(overwrite=
                               "OVERWRITE" in options) → empty 200; drop the returned blocks
    DELETE                     delete(recursive) → boolean(deleted); drop removed_blocks
    SETPERMISSION / SETOWNER / SETTIMES
                               set_permission / set_owner (empty → None) / set_times → empty 200
    SETREPLICATION             set_replication → boolean(change is not None); re-replicate
    CONCAT                     concat(target, sources.split(",")) → empty 200
    TRUNCATE                   truncate → boolean(done); if not done the DataNodes cut
                               old_block to truncated_block, then release_lease
    (lease expiry, dead writer) release_lease(last_block_length from the surviving replicas)
"""

from emr.hdfs.namenode.core import NamespaceSettings
from emr.hdfs.namenode.editlog import EditLog
from emr.hdfs.namenode.editops import EditRecord
from emr.hdfs.namenode.namespace import Namespace
from emr.hdfs.namenode.permissions import FsAction, User

__all__ = ["EditLog", "EditRecord", "FsAction", "Namespace", "NamespaceSettings", "User"]
