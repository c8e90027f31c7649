"""Hello world for MPyC: every party says hello, then all add up their indices.

Usage: python helloworld.py [MPyC options]
"""

from mpyc.runtime import mpc


async def main():
    await mpc.start()
    print(f'Hello world from party {mpc.pid} of {len(mpc.parties)}')
    secint = mpc.SecInt(16)
    # Each party contributes its own index as a private input.
    shares = mpc.input(secint(mpc.pid))
    total = await mpc.output(mpc.sum(shares))
    m = len(mpc.parties)
    print(f'Sum of all party indices: {total} (expected {m * (m - 1) // 2})')
    await mpc.shutdown()


if __name__ == '__main__':
    mpc.run(main())
