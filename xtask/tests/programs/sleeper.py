"""Test program: every party connects, says so, then sleeps (to be stopped)."""

import asyncio

from mpyc.runtime import mpc


async def main():
    await mpc.start()
    print(f'party {mpc.pid} sleeping', flush=True)
    await asyncio.sleep(3600)
    await mpc.shutdown()


mpc.run(main())
