"""`POST /v1/exec`: a command in the node's environment, its output streamed as NDJSON.

Frames carry stdout and stderr chunks as they come, then one frame with the exit code. A
command that cannot be started answers like a shell (127 not found, 126 not executable),
never with an HTTP error. Output is read until the command exited and its pipes closed; a
background process that keeps them open gets one more second (then the stream ends, as the
node's final kill would end it anyway).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import signal
from collections.abc import AsyncIterator
from typing import Final

from emr.nodes.agent.node import Node
from emr.nodes.processes import exit_code, signal_group
from emr.nodes.protocol import ExecFrame, ExecRequest

__all__ = ["exec_frames"]

_CHUNK: Final = 64 * 1024
_PIPE_GRACE_SECONDS: Final = 1.0
_GRACE_OVER: Final = ("", b"")


def _frame(**fields: str | int) -> bytes:
    return ExecFrame.model_validate(fields).model_dump_json(exclude_none=True).encode() + b"\n"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


async def exec_frames(node: Node, request: ExecRequest) -> AsyncIterator[bytes]:
    """Run the request's argv (cwd: the node directory) and yield its NDJSON frames."""
    stdin = base64.b64decode(request.stdin_b64) if request.stdin_b64 else None
    command = request.argv[0]
    try:
        process = await node.spawn(
            request.argv,
            cwd=node.layout.path,
            stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except FileNotFoundError:
        yield _frame(stderr_b64=_b64(f"{command}: command not found\n".encode()))
        yield _frame(exit=127)
        return
    except OSError as exc:
        yield _frame(stderr_b64=_b64(f"{command}: {exc.strerror or exc}\n".encode()))
        yield _frame(exit=126)
        return

    #: (frame field, bytes); None: a pipe closed; _GRACE_OVER: stop waiting for the pipes.
    chunks: asyncio.Queue[tuple[str, bytes] | None] = asyncio.Queue()

    async def pump(stream: asyncio.StreamReader | None, name: str) -> None:
        while stream is not None and (chunk := await stream.read(_CHUNK)):
            await chunks.put((name, chunk))
        await chunks.put(None)

    async def feed() -> None:
        if process.stdin is None:
            return
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            if stdin:
                process.stdin.write(stdin)
                await process.stdin.drain()
            process.stdin.close()
            await process.stdin.wait_closed()

    async def grace() -> None:
        await process.wait()
        await asyncio.sleep(_PIPE_GRACE_SECONDS)
        await chunks.put(_GRACE_OVER)

    tasks = [
        asyncio.create_task(pump(process.stdout, "stdout_b64")),
        asyncio.create_task(pump(process.stderr, "stderr_b64")),
        asyncio.create_task(feed()),
        asyncio.create_task(grace()),
    ]
    try:
        open_pipes = 2
        while open_pipes:
            item = await chunks.get()
            if item is None:
                open_pipes -= 1
            elif item is _GRACE_OVER:
                break
            else:
                yield _frame(**{item[0]: _b64(item[1])})
        yield _frame(exit=exit_code(await process.wait()))
    finally:
        if process.returncode is None:
            signal_group(process.pid, signal.SIGKILL)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await process.wait()
