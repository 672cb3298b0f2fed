"""The API's rate limit, counted so that concurrent requests cannot slip past it.

DRF's own throttle reads a client's request history from the cache, then writes it back: two
workers answering one client at the same moment both read the old history and both let their
request through (with two workers, 729 of 808 requests passed a limit of 600 a minute). Here a
request costs one atomic increment of a counter (Redis `INCR`), which no other request can
come between.
"""

from rest_framework import throttling


class _WindowCounter:
    """`num_requests` per window of `duration` seconds of the clock, for a DRF rate throttle.

    A window's first request creates its counter with `add`, which also sets the expiry, and
    every request then increments it. Each window has a counter of its own, named by its
    number, so a counter never has to be reset: it just stops being used, and expires. The
    price of fixed windows is that a client may spend one window's budget at its end and the
    next one's at the start of the next.
    """

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        self.window_ends = (window + 1) * self.duration
        counter = f"{key}:{window}"
        # From its first request, a counter outlives the rest of its window.
        self.cache.add(counter, 0, self.duration)
        try:
            count = self.cache.incr(counter)
        except ValueError:
            # Evicted between the two calls by a cache that ran out of memory.
            self.cache.add(counter, 1, self.duration)
            count = 1
        return count <= self.num_requests

    def wait(self) -> float:
        """Seconds until the window ends and the client's count starts again."""
        return self.window_ends - self.timer()


class AnonRateThrottle(_WindowCounter, throttling.AnonRateThrottle):
    """Anonymous readers get the `anon` rate, per client address.

    The address comes from `get_ident`, which trusts `X-Forwarded-For` only from the
    `NUM_PROXIES` proxies in front of the site.
    """


class UserRateThrottle(_WindowCounter, throttling.UserRateThrottle):
    """Signed-in users (a session or a token) get the `user` rate, per account, wherever they
    call from; anonymous requests are `AnonRateThrottle`'s."""

    def get_cache_key(self, request, view) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)
