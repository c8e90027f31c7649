"""Round trips between every pair of parties -- not MPyC, but MPyC's
command line (-I i -P host:port ...), so `cargo xtask run --net` starts it
as it starts an MPyC program and gives it the relays' addresses.

Party i listens on its own -P entry and echoes; for every j > i it opens a
connection to its entry j and, after one untimed round trip, times
--pings one-byte round trips, printing `pingpong i j MEDIAN_MS`. At most
--concurrency pairs of a party are timed at once, with --gap ms (on
average) of idle time before each ping.

The timing starts together, once every connection is up: many parties on
few cores would otherwise time each other's start-up, not the links. Each
party tells party 0 when its own connections and those of every lower
party to it are through; party 0 says go when all have.

With --bulk N, party 0 then sends N bytes to party 1 and prints
`bulk 0 1 MBIT_PER_S` once party 1 has read them all; with --bulk-all N,
every party does so to every higher party, one after the other. A party
ends when its own work is done and every connection to it has closed.

`cargo xtask netprobe` runs this file on real hosts (and the tests and
`cargo xtask bench net` through `run --net`).
"""
import argparse
import asyncio
import random
import statistics
import time


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("-I", type=int, required=True)
    p.add_argument("-P", action="append", required=True)
    p.add_argument("--pings", type=int, default=20)
    p.add_argument("--concurrency", type=int, default=4)
    # Idle time between pings, ms (drawn from 0 to twice this): keeps many
    # parties on few cores from queueing for the CPU while they time.
    p.add_argument("--gap", type=float, default=0.0)
    p.add_argument("--bulk", type=int, default=0)
    p.add_argument("--bulk-all", type=int, default=0)
    args, _ = p.parse_known_args()
    return args


async def connect(address):
    host, port = address.rsplit(":", 1)
    for _ in range(600):
        try:
            return await asyncio.open_connection(host, int(port))
        except ConnectionRefusedError:
            await asyncio.sleep(0.05)
    raise ConnectionRefusedError(address)


async def main():
    args = parse()
    me, addresses = args.I, args.P
    m = len(addresses)
    # Connections to this party: one ping connection from each lower party,
    # a control connection from every other party (to party 0 only), and
    # party 0's bulk (to party 1 only).
    expected = (
        me
        + (m - 1 if me == 0 else 0)
        + (1 if me == 1 and args.bulk else 0)
        + (me if args.bulk_all else 0)
    )
    all_closed = asyncio.Event()
    lower_through = asyncio.Event()
    go = asyncio.Event()
    counts = {"closed": 0, "through": 0, "ready": 0}
    controls = []

    def count(key, target, event):
        counts[key] += 1
        if counts[key] == target:
            event.set()

    for key, target, event in (("closed", expected, all_closed), ("through", me, lower_through)):
        if target == 0:
            event.set()

    async def party_ready():
        count("ready", m, go)
        if go.is_set():
            for writer in controls:
                writer.write(b"G")
                await writer.drain()

    async def serve(reader, writer):
        kind = await reader.readexactly(1)
        if kind == b"c":  # control (at party 0): R, then wait for G
            await reader.readexactly(1)
            controls.append(writer)
            await party_ready()
        elif kind == b"b":  # bulk: the count, the bytes, then an ack
            size = int.from_bytes(await reader.readexactly(8), "big")
            await reader.readexactly(size)
            writer.write(b"k")
            await writer.drain()
        elif kind == b"p":  # ping: the first byte is the untimed one
            writer.write(await reader.readexactly(1))
            await writer.drain()
            count("through", me, lower_through)
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        writer.close()
        count("closed", expected, all_closed)

    host, port = addresses[me].rsplit(":", 1)
    server = await asyncio.start_server(serve, host, int(port))

    async def open_ping(j):
        reader, writer = await connect(addresses[j])
        writer.write(b"px")
        await writer.drain()
        await reader.readexactly(1)
        return reader, writer

    pings = await asyncio.gather(*(open_ping(j) for j in range(me + 1, m)))
    await lower_through.wait()
    if me == 0:
        await party_ready()
    else:
        reader, writer = await connect(addresses[0])
        writer.write(b"cR")
        await writer.drain()
        await reader.readexactly(1)  # G
        writer.close()
        go.set()
    await go.wait()

    slots = asyncio.Semaphore(args.concurrency)

    async def timed(j, reader, writer):
        async with slots:
            times = []
            for _ in range(args.pings):
                if args.gap > 0:
                    await asyncio.sleep(random.uniform(0, 2 * args.gap) / 1000)
                start = time.perf_counter()
                writer.write(b"x")
                await writer.drain()
                await reader.readexactly(1)
                times.append(time.perf_counter() - start)
        writer.close()
        return j, statistics.median(times) * 1000

    results = await asyncio.gather(
        *(timed(j, r, w) for j, (r, w) in zip(range(me + 1, m), pings))
    )
    for j, ms in results:
        print(f"pingpong {me} {j} {ms:.3f}", flush=True)
    async def bulk(j, size):
        reader, writer = await connect(addresses[j])
        start = time.perf_counter()
        writer.write(b"b" + size.to_bytes(8, "big"))
        writer.write(bytes(size))
        await writer.drain()
        await reader.readexactly(1)
        took = time.perf_counter() - start
        writer.close()
        print(f"bulk {me} {j} {size * 8 / took / 1e6:.3f}", flush=True)

    if me == 0 and args.bulk > 0 and m > 1:
        await bulk(1, args.bulk)
    if args.bulk_all > 0:
        for j in range(me + 1, m):
            await bulk(j, args.bulk_all)
    await all_closed.wait()
    server.close()


asyncio.run(main())
