"""The `yarn` command of a node: Hadoop's YARN client CLIs over the ResourceManager's REST API.

    main.py           dispatch by subcommand, usage, the RM unreachable (`main(argv)`)
    applications.py   `yarn application|app` (-list -status -kill), `yarn applicationattempt`
    nodes.py          `yarn node` (-list [-all|-states] [-showDetails], -status)
    queues.py         `yarn queue -status`
    formats.py        what Hadoop prints, pure; options.py commons-cli's parsing and help
    rest.py           the RM's address from yarn-site.xml; the REST calls besides YarnRestClient's
    session.py        one run: streams, user, the client made on demand

`yarn logs` is emr.yarn.nodemanager.logs; `yarn version` prints `hadoop version`.

Output follows Hadoop 3's ApplicationCLI, NodeCLI and QueueCLI: `%30s\\t%20s…` tables,
`Total Nodes:N`, `Application Report : ` blocks, the `Connecting to ResourceManager at …` line
on stderr; a Java `return -1` exits 255.

LIMITATIONS: the RM is reached over REST at `yarn.resourcemanager.webapp.address` (the
stderr line names `yarn.resourcemanager.address` as Hadoop's does); when it is unreachable the
command fails at once (Hadoop retries for minutes). Not provided: `container`, `top`,
`cluster`, `rmadmin`, `jar`, application -movetoqueue/-changeQueue/-updatePriority/
-updateLifetime and the yarn-service actions (launch, stop, flex…), applicationattempt -fail;
`node -status` omits node attributes; help texts list only the options provided; an
application attempt has a tracking URL only when it is the current one.
"""
