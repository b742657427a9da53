"""Loopback networks of the local provider: distinct per cluster, respected across servers."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from pathlib import Path

from emr.nodes.local import LocalNodeProvider, network_address
from emr.nodes.protocol import AGENT_PORT


def _first_host(network: str) -> str:
    return str(ipaddress.ip_network(network)[1])


def test_network_addresses() -> None:
    assert network_address(1) == "127.16.1.0/24"
    assert network_address(255) == "127.16.255.0/24"
    assert network_address(256) == "127.17.0.0/24"


def test_each_cluster_gets_its_own_network(tmp_path: Path) -> None:
    async def scenario() -> None:
        provider = LocalNodeProvider(tmp_path)
        first = await provider.allocate_network("j-1")
        second = await provider.allocate_network("j-2")
        assert first != second
        assert await provider.allocate_network("j-1") == first  # asked again: the same

        # Another emr server on the machine (its own provider) never gets a network in use.
        other = LocalNodeProvider(tmp_path / "other")
        third = await other.allocate_network("j-1")
        assert third not in (first, second)

        # A cluster whose nodes are all stopped gives its network back.
        await provider.stop_nodes("j-1", [])
        assert await other.allocate_network("j-9") == first
        await provider.close()
        await other.close()

    asyncio.run(scenario())


def test_a_network_whose_master_address_is_taken_is_skipped(tmp_path: Path) -> None:
    async def scenario() -> None:
        provider = LocalNodeProvider(tmp_path)
        network = await provider.allocate_network("j-1")
        await provider.stop_nodes("j-1", [])
        # An agent left over by a crashed server still listens on that network's first host.
        with socket.socket() as leftover:
            leftover.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            leftover.bind((_first_host(network), AGENT_PORT))
            leftover.listen()
            assert await provider.allocate_network("j-2") != network
        await provider.close()

    asyncio.run(scenario())
