"""The fair limits on their own: token buckets, in-flight questions, caps, and the turns the
servers take on the workers (a clock and an event loop, no Discord)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from bot.desk import Desk, FairSlots, Refused
from bot.errors import user_message
from bot.limits import Asker, Limits, Refusal, Throttle, Ticket, Why
from tests.deadlines import HANG


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def admitted(throttle: Throttle, asker: Asker) -> Ticket:
    ticket = throttle.admit(asker)
    assert isinstance(ticket, Ticket), ticket
    return ticket


def refused(throttle: Throttle, asker: Asker) -> Refusal:
    refusal = throttle.admit(asker)
    assert isinstance(refusal, Refusal), refusal
    return refusal


def test_a_burst_then_one_question_per_interval_and_follow_ups_right_after_an_answer():
    clock = Clock()
    throttle = Throttle(Limits(burst=3, every=10), clock)
    alice = Asker(1, 10, 100)
    for _ in range(3):  # question, answer, follow-up at once: ordinary conversation
        admitted(throttle, alice).release()
        clock.now += 0.5
    refusal = refused(throttle, alice)
    assert refusal.why is Why.RATE and 8 < refusal.retry_after <= 10
    clock.now += refusal.retry_after
    admitted(throttle, alice).release()
    assert refused(throttle, alice).why is Why.RATE
    clock.now += 30  # the bucket refills to its burst, no further
    for _ in range(3):
        admitted(throttle, alice).release()
    assert refused(throttle, alice).why is Why.RATE


def test_one_question_in_flight_per_user_and_others_unaffected():
    throttle = Throttle(Limits(), Clock())
    alice, bob = Asker(1, 10, 100), Asker(2, 10, 100)
    ticket = admitted(throttle, alice)
    assert refused(throttle, alice).why is Why.IN_FLIGHT
    admitted(throttle, bob)
    ticket.release()
    ticket.release()  # twice is harmless: the counts stay right
    assert throttle.total == 1
    admitted(throttle, alice)


@pytest.mark.parametrize(
    ("limits", "why"),
    [
        (Limits(per_channel=2), Why.CHANNEL),
        (Limits(per_server=2), Why.SERVER),
        (Limits(total=2), Why.BUSY),
    ],
)
def test_channel_server_and_total_caps_tell_how_long_to_wait(limits, why):
    throttle = Throttle(limits, Clock())
    throttle.mean_seconds, throttle.workers = 3.0, 1
    held = [admitted(throttle, Asker(u, 10, 100)) for u in (1, 2)]
    refusal = refused(throttle, Asker(3, 10, 100))
    assert refusal.why is why and refusal.retry_after == pytest.approx(3.0)
    held[0].release()
    admitted(throttle, Asker(3, 10, 100))
    if why is not Why.BUSY:  # another channel / server is not held back by this one
        other = Asker(4, 11, 101)
        assert isinstance(throttle.admit(other), Ticket)


def test_each_refusal_is_one_sentence_with_whole_seconds():
    for why in Why:
        text = user_message(Refused(Refusal(why, 2.2)))
        assert text.endswith(".") and "\n" not in text
        assert why is Why.IN_FLIGHT or "ask again in 3 s" in text


def test_a_freed_worker_goes_to_the_server_served_longest_ago():
    async def scenario() -> list[str]:
        slots = FairSlots(workers=1)
        order: list[str] = []
        gate = asyncio.Event()

        async def job(server: int, name: str) -> None:
            async with slots.slot(server):
                order.append(name)
                await gate.wait()

        flood = [asyncio.create_task(job(1, f"a{n}")) for n in range(5)]
        await asyncio.sleep(0)
        late = asyncio.create_task(job(2, "b0"))
        await asyncio.sleep(0)
        for _ in range(6):
            gate.set()
            await asyncio.sleep(0)
            gate.clear()
            await asyncio.sleep(0)
        gate.set()
        await asyncio.gather(*flood, late)
        return order

    order = asyncio.run(scenario())
    assert order[:3] == ["a0", "b0", "a1"]  # b0 waited for a0 only, not for a1 to a4
    assert sorted(order) == ["a0", "a1", "a2", "a3", "a4", "b0"]


def test_a_cancelled_wait_gives_its_turn_away():
    async def scenario() -> int:
        slots = FairSlots(workers=1)
        async with slots.slot(1):
            waiting = asyncio.create_task(slots._acquire(2))
            await asyncio.sleep(0)
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
        return slots.free

    assert asyncio.run(scenario()) == 1


def test_the_desk_runs_work_off_the_loop_on_a_bounded_pool():
    async def scenario() -> set[str]:
        desk = Desk(Limits(), workers=2)
        names: set[str] = set()
        try:

            async def one(user: int) -> None:
                with desk.admit(Asker(user, 10 + user, 100)) as ticket:
                    await desk.run(ticket, lambda: names.add(threading.current_thread().name))

            await asyncio.gather(*(one(u) for u in range(8)))
        finally:
            desk.close()
        assert desk.throttle.total == 0
        return names

    names = asyncio.run(scenario())
    assert 1 <= len(names) <= 2 and all(n.startswith("revue-answer") for n in names)


def test_past_the_write_backlog_no_written_answer_is_promised():
    async def scenario() -> list[bool]:
        desk = Desk(Limits(), workers=1)
        hold = threading.Event()
        seen = [desk.can_write()]
        writes = [asyncio.create_task(desk.write(lambda: hold.wait(HANG))) for _ in range(5)]
        await asyncio.sleep(0.05)
        seen.append(desk.can_write())
        hold.set()
        await asyncio.gather(*writes)
        seen.append(desk.can_write())
        desk.close()
        return seen

    assert asyncio.run(scenario()) == [True, False, True]
