"""Test program: party 1 fails after connecting; the others wait for it forever."""

import sys

from mpyc.runtime import mpc


async def main():
    await mpc.start()
    if mpc.pid == 1:
        print('party 1 is about to fail on purpose', flush=True)
        sys.exit(1)
    # Needs party 1's input, which never comes.
    x = mpc.input(mpc.SecInt(16)(mpc.pid))
    print(await mpc.output(mpc.sum(x)))
    await mpc.shutdown()


mpc.run(main())
