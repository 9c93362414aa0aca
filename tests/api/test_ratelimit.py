"""The per-client sliding window behind the feedback buttons and the admin login."""

from __future__ import annotations

from vidensbank.api.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_check_counts_until_the_limit_then_says_how_long_to_wait() -> None:
    clock = Clock()
    limiter = RateLimiter(3, 60.0, clock=clock)
    assert [limiter.check("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    clock.now += 20
    assert limiter.check("a") == 40.0  # the first of the three leaves the window at +60
    assert limiter.check("b") == 0.0  # other clients are not held up
    clock.now += 40
    assert limiter.check("a") == 0.0


def test_failed_logins_are_recorded_peeked_at_and_forgotten() -> None:
    clock = Clock()
    limiter = RateLimiter(2, 60.0, clock=clock)
    assert limiter.wait("a") == 0.0
    limiter.record("a")
    assert limiter.wait("a") == 0.0  # peeking counts nothing
    limiter.record("a")
    assert limiter.wait("a") == 60.0
    assert RateLimiter.retry_after(0.2) == "1" and RateLimiter.retry_after(59.1) == "60"
    limiter.forget("a")  # a successful login
    assert limiter.wait("a") == 0.0


def test_idle_clients_are_dropped_so_memory_shrinks_back() -> None:
    clock = Clock()
    limiter = RateLimiter(1, 60.0, clock=clock, max_clients=2)
    limiter.check("a")
    limiter.check("b")
    clock.now += 61
    limiter.check("c")
    assert set(limiter._hits) == {"c"}
