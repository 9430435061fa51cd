"""Stopping the server processes tests start (dlv serve, redis-server...)."""

from __future__ import annotations

import subprocess


def stop(process: subprocess.Popen | None, timeout: float = 15) -> None:
    """Ask ``process`` to end (SIGTERM), and kill it if it has not within ``timeout`` seconds."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
