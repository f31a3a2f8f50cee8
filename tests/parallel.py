"""Run work on real parallel database connections, all starting at the same moment."""

import threading

from django.db import connection


def in_parallel(count: int, work) -> tuple[list, list[Exception]]:
    """Call work(0..count-1), each in its own thread and connection; returns results and errors."""
    barrier = threading.Barrier(count)
    results, errors = [None] * count, []

    def run(index):
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as exc:  # noqa: BLE001 - handed back to the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def needs_postgresql():
    import pytest

    return pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL (row locks, a server process)"
    )
