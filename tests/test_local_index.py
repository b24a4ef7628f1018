"""The embedded index's readers: a connection per thread, so two questions read at once, and a
close that waits for the readings under way instead of pulling a connection from under them."""

from __future__ import annotations

import threading
import time
from typing import Any

from index.storage.local import LocalIndex


def test_two_threads_read_at_once_each_on_its_own_connection(seed_index: Any) -> None:
    index = LocalIndex(seed_index.data_dir, 100_000)
    both_inside = threading.Barrier(2, timeout=30)  # fails if one reading waits for the other
    seen: list[tuple[int, int, int]] = []

    def read() -> None:
        with index.reading() as snapshot:
            both_inside.wait()
            articles, chunks = snapshot.store.counts()
            seen.append((id(snapshot.store), articles, snapshot.vectors.size))

    threads = [threading.Thread(target=read) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    index.close()
    assert len(seen) == 2 and seen[0][0] != seen[1][0]  # two connections
    assert seen[0][1:] == seen[1][1:] and seen[0][1] == 2  # the same index, both seed articles


def test_close_waits_for_a_reading_under_way(seed_index: Any) -> None:
    index = LocalIndex(seed_index.data_dir, 100_000)
    inside = threading.Event()
    results: list[int] = []

    def slow_read() -> None:
        with index.reading() as snapshot:
            inside.set()
            time.sleep(0.5)  # closing now would pull the connection from under this read
            results.append(snapshot.store.counts()[0])

    reader = threading.Thread(target=slow_read)
    reader.start()
    assert inside.wait(30)
    index.close()  # returns once the reading is done
    assert results == [2]
    reader.join()
    with index.reading() as snapshot:  # and the index opens again after a close
        assert snapshot.store.counts()[0] == 2
    index.close()
