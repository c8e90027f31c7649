"""Test program for an experiment interrupted mid-sweep: `gate.py DIR
LABEL`. Party 0 of each run counts the run in DIR (a file per run). From
the 4th run on, while the file DIR/hold exists, party 0 waits forever (to
be stopped), so the sweep cannot go past its 3rd run until the test takes
the hold away, however fast or slow the machine is.
"""

import asyncio
import os
import sys

from mpyc.runtime import mpc

OPEN_RUNS = 3


async def main():
    await mpc.start()
    if mpc.pid == 0:
        folder = sys.argv[1]
        done = [f for f in os.listdir(folder) if f.startswith('run-')]
        open(os.path.join(folder, f'run-{len(done) + 1}'), 'w').close()
        if len(done) >= OPEN_RUNS and os.path.exists(os.path.join(folder, 'hold')):
            print('held at the gate', flush=True)
            await asyncio.Event().wait()
    print(f'party {mpc.pid} through the gate', flush=True)
    await mpc.shutdown()


mpc.run(main())
