# e3's warm start (docs/warm-start.md): this Python loads, once, what every
# MPyC party imports -- numpy, gmpy2, asyncio and the standard library --
# then forks one party per request on a UNIX socket. Nothing of MPyC is
# loaded here: importing the package `mpyc` reads the command line (log
# level, --no-numpy, ...), so each party imports it after the fork, under
# its own argv.
#
# A request is one JSON line from a launcher for a party: {"pid": its pid,
# "cwd", "env", "argv"}. The party reopens the launcher's stdin, stdout and
# stderr through /proc/<pid>/fd, so its output reaches e3 as if the
# launcher had run it. The answers: "started <pid>", then "exit <code>" or
# "signal <number>". A launcher that goes away takes its party with it,
# and every party dies with this process (PR_SET_PDEATHSIG). A hangup or
# SIGTERM ends this process (and so its parties) and removes its socket.
#
# Usage:
#   python -u warm.py SOCKET [what it serves, for ps]    the warm start
#   python warm.py --launch SOCKET -- ARGV...             a party's launcher
# Locally e3's own binary is the launcher (`xtask warm-party`); on hosts,
# which have no e3 binary, this file is, in its light mode below: it loads
# nothing heavy, asks for its party, forwards SIGTERM, SIGINT and SIGHUP to
# it, and ends as it ended.
import os
import sys


def launch(path, argv):
    """A party's launcher: the party runs in the warm start, lent our fds."""
    import json
    import signal
    import socket

    party = []  # its pid, once started
    pending = []  # signals that came before it started

    def forward(sig, _frame):
        if not party:
            pending.append(sig)
            return
        try:
            os.kill(party[0], sig)
        except ProcessLookupError:
            pass

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, forward)
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(path)
    except OSError as err:
        print(f"e3: cannot reach the warm start at {path}: {err}", file=sys.stderr)
        return 1
    request = {"pid": os.getpid(), "cwd": os.getcwd(), "env": dict(os.environ), "argv": argv}
    conn.sendall(json.dumps(request).encode() + b"\n")
    buffer = b""
    while True:
        data = conn.recv(4096)
        if not data:
            print("e3: the warm start went away before the party ended", file=sys.stderr)
            return 1
        buffer += data
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            word, _, number = line.decode().partition(" ")
            if word == "started":
                party.append(int(number))
                for sig in pending:
                    forward(sig, None)
            elif word == "exit":
                return int(number)
            elif word == "signal":
                sig = int(number)
                signal.signal(sig, signal.SIG_DFL)
                os.kill(os.getpid(), sig)
                return 128 + sig
            else:
                print(f"e3: the warm start answered `{line.decode()}`", file=sys.stderr)
                return 1


if __name__ == "__main__" and sys.argv[1:2] == ["--launch"]:
    if len(sys.argv) < 5 or sys.argv[3] != "--":
        sys.exit("usage: warm.py --launch SOCKET -- ARGV...")
    sys.exit(launch(sys.argv[2], sys.argv[4:]))


# numpy's BLAS must not start threads before a fork: a forked child gets
# only the thread that forked, and a BLAS call would wait for the others.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import atexit
import builtins
import ctypes
import importlib.machinery
import json
import selectors
import signal
import socket
import threading
import traceback
import types

# What MPyC imports, minus MPyC itself (measured in docs/warm-start.md).
import argparse  # noqa: F401
import asyncio  # noqa: F401
import datetime  # noqa: F401
import decimal  # noqa: F401
import fractions  # noqa: F401
import functools  # noqa: F401
import hashlib  # noqa: F401
import importlib.util  # noqa: F401
import itertools  # noqa: F401
import logging  # noqa: F401
import math  # noqa: F401
import platform  # noqa: F401
import secrets  # noqa: F401
import ssl  # noqa: F401
import struct  # noqa: F401
import typing  # noqa: F401

for _module in ("numpy", "gmpy2"):
    try:
        __import__(_module)
    except ImportError:
        pass


def preload_mpyc(argv):
    """MPyC itself, but for mpyc.runtime, loaded as a party with `argv`
    (its program and arguments, without -I and -P) would load it: importing
    the package reads the command line for options that act at import (log
    level, --no-numpy, --no-gmpy2, --no-uvloop, --workers, ...), and every
    party of a local run has the same ones. mpyc.runtime, which sets up the
    party from -I and -P, is each party's own. Returns the environment
    variables the import set and what it printed (its log lines, such as
    "Use of package gmpy2 inside MPyC disabled."), for each party to set
    and print as its own import would."""
    import tempfile
    before = dict(os.environ)
    saved, sys.argv = sys.argv, list(argv)
    sys.stdout.flush()
    sys.stderr.flush()
    fds = os.dup(1), os.dup(2)
    with tempfile.TemporaryFile() as said:
        # The import's logging handler keeps sys.stdout, that is fd 1:
        # only what it says now goes to the file.
        os.dup2(said.fileno(), 1)
        os.dup2(said.fileno(), 2)
        try:
            import mpyc  # noqa: F401
            for name in ("numpy", "finfields", "thresha", "asyncoro", "sectypes", "mpctools",
                         "secgroups", "random", "statistics", "seclists", "secpols"):
                __import__(f"mpyc.{name}")
        except ImportError:
            pass
        finally:
            sys.argv = saved
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(fds[0], 1)
            os.dup2(fds[1], 2)
            for fd in fds:
                os.close(fd)
        said.seek(0)
        text = said.read()
    return {k: v for k, v in os.environ.items() if before.get(k) != v}, text


# Only where the whole of every party's arguments is known (a local run):
# E3_WARM_PRELOAD says so.
MPYC_ENV, MPYC_SAID = (preload_mpyc(sys.argv[2:]) if __name__ == "__main__"
                       and os.environ.pop("E3_WARM_PRELOAD", None) == "1" else ({}, b""))

PR_SET_PDEATHSIG = 1
LIBC = ctypes.CDLL(None, use_errno=True)
ZYGOTE = os.getpid()


def party(request, listening):
    """In the forked child: become the party the request describes, as
    `python SCRIPT ARGS` would run it (CPython's pymain_run_file)."""
    code = 1
    interrupted = False
    try:
        LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != ZYGOTE:
            os._exit(137)
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        # A fresh Python turns SIGINT into KeyboardInterrupt.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for fd, mode in ((0, os.O_RDONLY), (1, os.O_WRONLY), (2, os.O_WRONLY)):
            new = os.open(f"/proc/{request['pid']}/fd/{fd}", mode)
            os.dup2(new, fd)
            os.close(new)
        for sock in listening:
            sock.close()
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        for key, value in MPYC_ENV.items():
            os.environ.setdefault(key, value)
        if MPYC_SAID:
            os.write(1, MPYC_SAID)
        # A generator loaded before the fork would give every party the
        # same numbers (the standard library's random reseeds at fork).
        if "numpy.random" in sys.modules:
            sys.modules["numpy.random"].seed()
        sys.argv = list(request["argv"])  # argv[0] as given, like python does
        script = os.path.abspath(sys.argv[0])
        sys.path[0] = os.path.dirname(script)
        # The script's own __main__, kept in sys.modules to the end (atexit
        # handlers and pickle look it up there), with an absolute __file__.
        main = types.ModuleType("__main__")
        main.__file__ = script
        main.__cached__ = None
        main.__builtins__ = builtins
        main.__loader__ = importlib.machinery.SourceFileLoader("__main__", script)
        sys.modules["__main__"] = main
        try:
            with open(script, "rb") as f:
                source = f.read()
            exec(compile(source, script, "exec"), main.__dict__)
            code = 0
        except SystemExit as stop:
            if stop.code is None:
                code = 0
            elif isinstance(stop.code, int):
                code = stop.code
            else:
                print(stop.code, file=sys.stderr)
                code = 1
        except BaseException as exc:
            # The traceback a cold Python prints: from the script's frame
            # on (this function's frame left out), through sys.excepthook.
            exc.__traceback__ = exc.__traceback__.tb_next
            sys.excepthook(type(exc), exc, exc.__traceback__)
            interrupted = isinstance(exc, KeyboardInterrupt)
            code = 1
        # As Python's exit: wait for non-daemon threads, then atexit.
        threading._shutdown()
        atexit._run_exitfuncs()
    except BaseException:
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        if interrupted:
            # An uncaught KeyboardInterrupt ends a Python by SIGINT.
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
        os._exit(code)


def serve(path):
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(512)
    selector = selectors.DefaultSelector()
    selector.register(server, selectors.EVENT_READ)
    pending = {}  # connection -> bytes read, before its request
    party_of = {}  # connection -> party pid
    connection_of = {}  # party pid -> connection (None once it went away)
    print(f"e3-warm ready {ZYGOTE}", flush=True)

    def forget(conn):
        selector.unregister(conn)
        conn.close()
        pending.pop(conn, None)
        party_of.pop(conn, None)

    while True:
        for key, _ in selector.select(timeout=0.05):
            if key.fileobj is server:
                conn, _ = server.accept()
                selector.register(conn, selectors.EVENT_READ)
                pending[conn] = b""
                continue
            conn = key.fileobj
            try:
                data = conn.recv(1 << 16)
            except OSError:
                data = b""
            if not data:
                # The launcher went away: its party goes too.
                pid = party_of.get(conn)
                if pid is not None:
                    connection_of[pid] = None
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                forget(conn)
                continue
            if conn in party_of:
                continue
            pending[conn] += data
            if b"\n" not in pending[conn]:
                continue
            line = pending.pop(conn).split(b"\n", 1)[0]
            request = json.loads(line)
            listening = [server, *party_of.keys(), *pending.keys(), conn]
            pid = os.fork()
            if pid == 0:
                party(request, listening)
            party_of[conn] = pid
            connection_of[pid] = conn
            conn.sendall(f"started {pid}\n".encode())
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            conn = connection_of.pop(pid, None)
            if conn is None:
                continue
            if os.WIFEXITED(status):
                answer = f"exit {os.WEXITSTATUS(status)}\n"
            else:
                answer = f"signal {os.WTERMSIG(status)}\n"
            try:
                conn.sendall(answer.encode())
            except OSError:
                pass
            forget(conn)


def hang_up(sig, _frame):
    # Once: a hangup may come twice (the tty's and sshd's), and a second
    # SystemExit would cut short the socket's removal below.
    for other in (signal.SIGHUP, signal.SIGTERM):
        signal.signal(other, signal.SIG_IGN)
    sys.exit(128 + sig)


if __name__ == "__main__":
    for _sig in (signal.SIGHUP, signal.SIGTERM):
        signal.signal(_sig, hang_up)
    try:
        os.unlink(sys.argv[1])
    except FileNotFoundError:
        pass
    try:
        serve(sys.argv[1])
    finally:
        if os.getpid() == ZYGOTE:
            try:
                os.unlink(sys.argv[1])
            except FileNotFoundError:
                pass
