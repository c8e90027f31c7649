"""Test program: party 1 fails (exit code 1) once it has connected.

The other parties then wait forever and touch nothing of party 1's, so
none of them ends on its own: e3 stops them, and party 1 is the run's one
failed party. With the argument `cascade` they wait for party 1's input
instead, as a real protocol would, and having lost party 1 they may fail
too, on their own, before e3 stops them (which ends first is up to the
machine).

Party 1 leaves with os._exit, after printing: its connections close only
as its process ends, so nothing can stop it before it has ended with
exit code 1.
"""

import asyncio
import os
import sys

from mpyc.runtime import mpc


async def main():
    await mpc.start()
    if mpc.pid == 1:
        print('party 1 is about to fail on purpose', flush=True)
        os._exit(1)
    if 'cascade' in sys.argv[1:]:
        # Needs party 1's input, which never comes.
        x = mpc.input(mpc.SecInt(16)(mpc.pid))
        print(await mpc.output(mpc.sum(x)))
    else:
        await asyncio.Event().wait()
    await mpc.shutdown()


mpc.run(main())
