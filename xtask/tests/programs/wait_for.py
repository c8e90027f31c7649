"""Test program: `wait_for.py FILE`. Once every party is connected, party 0
says so and waits until FILE exists (the test makes it when it is done
with the run in progress), so a run lasts exactly as long as the test
needs, however fast or slow the machine is.
"""

import asyncio
import os
import sys

from mpyc.runtime import mpc


async def main():
    await mpc.start()
    if mpc.pid == 0:
        print('waiting for', sys.argv[1], flush=True)
        while not os.path.exists(sys.argv[1]):
            await asyncio.sleep(0.05)
    await mpc.shutdown()


mpc.run(main())
