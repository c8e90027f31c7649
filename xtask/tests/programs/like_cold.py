"""Test program: what a party sees of its own Python, printed, so that a
warm party's log can be compared with a cold one's. With `fail`, it ends
with an uncaught exception (its traceback is part of the log)."""

import atexit
import os
import sys
import threading
import time

from mpyc.runtime import mpc

MARK = 'the script itself'


def late():
    time.sleep(0.2)
    print('a non-daemon thread ended before the exit', flush=True)


def at_exit():
    # atexit handlers (pickle, too) look the script up as __main__.
    print('at exit, __main__ is', sys.modules['__main__'].__dict__.get('MARK'), flush=True)


atexit.register(at_exit)
print('__file__ is absolute:', os.path.isabs(__file__))
print('__name__:', __name__)
print('argv[0]:', sys.argv[0])
print('sys.path[0] is the folder:', sys.path[0] == os.path.dirname(os.path.abspath(__file__)))
mpc.run(mpc.start())
mpc.run(mpc.shutdown())
threading.Thread(target=late).start()
if sys.argv[1:2] == ['fail']:
    raise ValueError('an uncaught error, on purpose')
