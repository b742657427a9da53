"""The `hdfs` / `hadoop` commands of a node: Hadoop's FS shell (`hdfs dfs`, `hadoop fs`) over
WebHDFS, S3 and the local disk, plus version, classpath and getconf.

    main.py            dispatch by tool and subcommand (`main(argv)`, argv[0] the tool)
    fsshell.py         FsShell: generic options, the command table, usage/help, exit codes
    command.py         Command: Hadoop's per-path processing chain and error counting
    commands_read.py   -ls -du -df -count -stat -test -cat -text -tail -checksum
    commands_write.py  -mkdir -rm -rmdir -touchz -setrep -chmod -chown -chgrp
    commands_copy.py   -put -get -cp -mv -moveFromLocal -getmerge -appendToFile
    items.py           argument → filesystem, path, display; glob expansion
    filesystem.py      the FileSystem interface; webhdfs.py, s3.py, local.py its backends
    paths.py, formats.py, modes.py, options.py   pure parsing and formatting
    errors.py          the shell's error tree
    admin.py           `hdfs fsck`, `hdfs dfsadmin` (written separately)

Messages, output columns and exit codes follow Hadoop 3.4's FsShell (Command, Ls, Count, Stat,
FsUsage, Display, Delete, CommandWithDestination): a failing path prints `<cmd>: <message>`
and the command exits 1; usage errors print every usage plus the command's, exit 255.

LIMITATIONS: not provided: -find, -touch, -truncate, -concat, -expunge, -getfacl/-setfacl,
-getfattr/-setfattr, snapshots, -ls -e (EC policy) and -q (are accepted, change nothing);
-text gunzips and otherwise prints bytes as they are (no SequenceFile/Avro decoding);
-test -r/-w judge from the mode bits (no group membership); -chmod applies symbolic clauses
left to right; -setrep -w polls every second (Hadoop: 10 s); copies to S3 skip the
`._COPYING_` rename and the destination-parent check (an object is whole or absent, its
"directories" implied); -df on HDFS reads GETSTATUS.
"""
