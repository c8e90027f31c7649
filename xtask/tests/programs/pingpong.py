"""Round trips between every pair of parties -- not MPyC, but MPyC's
command line (-I i -P host:port ...), so `cargo xtask run --net` starts it
as it starts an MPyC program and gives it the relays' addresses.

Party i listens on its own -P entry and echoes; for every j > i it opens a
connection to its entry j and times --pings one-byte round trips, printing
`pingpong i j MEDIAN_MS`. With --bulk N, party 0 also sends N bytes to
party 1 and prints `bulk 0 1 MBIT_PER_S` once party 1 has read them all.
A party ends when its own pings are done and every lower party has closed
its connection to it.
"""
import argparse
import asyncio
import statistics
import time


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("-I", type=int, required=True)
    p.add_argument("-P", action="append", required=True)
    p.add_argument("--pings", type=int, default=20)
    p.add_argument("--bulk", type=int, default=0)
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
    lower_done = asyncio.Event()
    closed = 0
    # Connections to wait for: one from each lower party, and party 0's bulk.
    expected = me + (1 if me == 1 and args.bulk > 0 else 0)

    async def echo(reader, writer):
        nonlocal closed
        kind = await reader.readexactly(1)
        if kind == b"b":  # bulk: read the count, then the bytes, then ack
            size = int.from_bytes(await reader.readexactly(8), "big")
            await reader.readexactly(size)
            writer.write(b"k")
            await writer.drain()
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        writer.close()
        closed += 1
        if closed == expected:
            lower_done.set()

    host, port = addresses[me].rsplit(":", 1)
    server = await asyncio.start_server(echo, host, int(port))
    if expected == 0:
        lower_done.set()

    async def ping(j):
        reader, writer = await connect(addresses[j])
        writer.write(b"p")
        times = []
        for _ in range(args.pings):
            start = time.perf_counter()
            writer.write(b"x")
            await writer.drain()
            await reader.readexactly(1)
            times.append(time.perf_counter() - start)
        writer.close()
        return j, statistics.median(times) * 1000

    async def bulk():
        reader, writer = await connect(addresses[1])
        start = time.perf_counter()
        writer.write(b"b" + args.bulk.to_bytes(8, "big"))
        writer.write(bytes(args.bulk))
        await writer.drain()
        await reader.readexactly(1)
        took = time.perf_counter() - start
        writer.close()
        print(f"bulk 0 1 {args.bulk * 8 / took / 1e6:.3f}", flush=True)

    results = await asyncio.gather(*(ping(j) for j in range(me + 1, len(addresses))))
    for j, ms in results:
        print(f"pingpong {me} {j} {ms:.3f}", flush=True)
    if me == 0 and args.bulk > 0 and len(addresses) > 1:
        await bulk()
    await lower_done.wait()
    server.close()


asyncio.run(main())
