"""Secret Santa: the parties jointly draw a random derangement.

A derangement of 0..n-1 is a permutation without fixed points: nobody draws
their own name. The permutation is drawn as a secret (no party learns it while
it is made), tested for fixed points under MPC, redrawn until it has none, and
only then opened. This is repeated for three kinds of secure numbers.

Usage: python secretsanta.py [n] [MPyC options]   (n defaults to 8)
"""

import sys

from mpyc.runtime import mpc
from mpyc.random import random_permutation


async def random_derangement(sectype, n):
    """Return a secret random derangement of 0..n-1 as a list of sectype values."""
    attempts = 0
    while True:
        attempts += 1
        p = random_permutation(sectype, list(range(n)))
        # p[i] - i is zero exactly at a fixed point, so the product is zero
        # if and only if p has one; only that single bit is revealed.
        has_fixed_point = await mpc.is_zero_public(mpc.prod([p[i] - i for i in range(n)]))
        if not has_fixed_point:
            return p, attempts


async def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    if n < 2:
        sys.exit('secretsanta: n must be at least 2 (one person cannot be deranged)')

    secure_types = [
        ('secure integers', mpc.SecInt(32)),
        ('secure fixed-point numbers', mpc.SecFxp(32)),
        ('secure prime field elements', mpc.SecFld(min_order=max(n, 3))),
    ]
    await mpc.start()
    print(f'Secret Santa for {n} people, {len(mpc.parties)} parties')
    for name, sectype in secure_types:
        p, attempts = await random_derangement(sectype, n)
        values = await mpc.output(p)
        drawn = [int(v) for v in values]
        print(f'Derangement over {name}: {drawn} ({attempts} draw{"s" if attempts > 1 else ""})')
    await mpc.shutdown()


if __name__ == '__main__':
    mpc.run(main())
