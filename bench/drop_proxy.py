"""A TCP proxy that adds latency between the app and PostgreSQL, for bench/drop.py.

    .venv/bin/python -m bench.drop_proxy --listen 15432 --target 127.0.0.1:5432 --latency-ms 100

Every chunk the app sends towards the database is forwarded ``--latency-ms`` after it arrived (order
kept, one queue per connection); the database's answers come back at once. So each round trip to
PostgreSQL — a query, a commit, a pool pre-ping — takes that much longer, as with a database in another
zone, while the bytes in flight are unchanged. Runs until killed (SIGTERM)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    """Copy reader → writer; with a delay, each chunk leaves ``delay`` after it arrived."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def forward() -> None:
        while True:
            due, chunk = await queue.get()
            if not chunk:
                break
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(chunk)
            await writer.drain()

    sender = asyncio.create_task(forward())
    try:
        while True:
            chunk = await reader.read(65536)
            await queue.put((loop.time() + delay, chunk))
            if not chunk:
                break
        await sender
    finally:
        sender.cancel()
        with contextlib.suppress(Exception):
            writer.close()


async def serve(listen: int, host: str, port: int, latency_s: float) -> None:
    async def handle(client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection(host, port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(_pipe(client_reader, server_writer, latency_s),
                             _pipe(server_reader, client_writer, 0.0), return_exceptions=True)

    server = await asyncio.start_server(handle, "127.0.0.1", listen, backlog=1024)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", type=int, required=True, help="port on 127.0.0.1 the app connects to")
    parser.add_argument("--target", default="127.0.0.1:5432", help="PostgreSQL's host:port (%(default)s)")
    parser.add_argument("--latency-ms", type=float, default=100.0, help="added to each round trip (%(default)s)")
    args = parser.parse_args(argv)
    host, _, port = args.target.rpartition(":")
    asyncio.run(serve(args.listen, host, int(port), args.latency_ms / 1000))


if __name__ == "__main__":
    main()
