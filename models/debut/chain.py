"""DeBut chain generator for any (out, in) size.

A dense t-rule chain (input side first) is a sequence of radix pairs ``(r_k, s_k)`` with
``∏ s_k = in`` and ``∏ r_k = out``; factor k is then ``[n_k, n_{k-1}, r_k, s_k, t_k]`` with
``t_0 = 1``, ``t_{k+1} = r_k·t_k`` and ``n_k = n_{k-1}·r_k/s_k`` — always integer, never r = 0,
and the product is dense (each (out, in) pair is joined by exactly one path, so the bipolar ±1
test gives ±1 everywhere). Factor k costs ``n_{k-1}·r_k`` parameters.

Search: a dynamic programme over states ``(a, R)`` (a = in-part still to consume, R = out-part
produced; the current width is a·R) gives the minimum and maximum parameter count reachable
with exactly k more factors (Le et al. 2025 idea). A branch-and-bound walk then returns, for the
fewest number of factors that fits the budget, the chains with the most parameters ≤ budget.

Every width stays ≥ min(in, out), so the product can have full rank. Modes: ``"mono"`` (widths move monotonically from in to out: r_k ≤ s_k when shrinking,
r_k ≥ s_k when expanding, r_k = s_k when in = out), ``"bulge"`` (some width exceeds
max(in, out)), ``"any"``. Sizes with large prime factors: with ``pad=True`` the generator may
zero-pad in and/or out to the next 7-smooth size (:func:`smooth_size`) when no unpadded chain
fits; the layer then appends zero inputs and drops the extra outputs (padding parameters
count against the budget). Without it, the error names the smallest chain and the padded size.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from functools import lru_cache

from codesign.errors import CodesignError
from codesign.models.debut.layers import Factor, bipolar_test, chain_is_dense, chain_params, check_chain

__all__ = ["NoChainError", "ChainResult", "generate_chains", "generate_chain", "pairs_to_chain",
           "fewest_params_chain", "smooth_size", "budget_for"]

MODES = ("mono", "bulge", "any")


class NoChainError(CodesignError, ValueError):
    """No DeBut chain satisfies the request; the message says why."""


@dataclass
class ChainResult:
    chain: list[Factor]
    params: int
    mode: str
    in_size: int = 0
    out_size: int = 0

    @property
    def padded(self) -> bool:
        return self.chain[0].q != self.in_size or self.chain[-1].p != self.out_size

    @property
    def widths(self) -> list[int]:
        return [self.chain[0].q] + [f.p for f in self.chain]

    def as_lists(self) -> list[list[int]]:
        return [f.as_list() for f in self.chain]


def _divisors(n: int) -> tuple[int, ...]:
    small = [d for d in range(1, int(n**0.5) + 1) if n % d == 0]
    return tuple(sorted(set(small + [n // d for d in small])))


def _omega(n: int) -> int:
    """Number of prime factors with multiplicity."""
    k, d = 0, 2
    while d * d <= n:
        while n % d == 0:
            n //= d
            k += 1
        d += 1
    return k + (n > 1)


def _largest_prime(n: int) -> int:
    best, d = 1, 2
    while d * d <= n:
        while n % d == 0:
            n //= d
            best = d
        d += 1
    return max(best, n if n > 1 else 1)


def smooth_size(n: int, max_prime: int = 7) -> int:
    """Smallest m ≥ n whose prime factors are all ≤ max_prime (a size worth padding to)."""
    m = n
    while _largest_prime(m) > max_prime:
        m += 1
    return m


def pairs_to_chain(in_size: int, pairs: list[tuple[int, int]]) -> list[Factor]:
    """Build t-rule factors from radix pairs (r_k, s_k), input side first."""
    n, t, chain = in_size, 1, []
    for r, s in pairs:
        p = n * r // s
        chain.append(Factor(p, n, r, s, t))
        n, t = p, t * r
    return chain


def budget_for(out_size: int, in_size: int, budget: int | None = None, shrink: int | None = None) -> int | None:
    """Parameter budget: explicit, or in·out / 2**shrink (shrink level ≥ 0), or None (fewest params)."""
    if budget is not None and shrink is not None:
        raise NoChainError("give either a parameter budget or a shrink level, not both")
    if shrink is not None:
        if shrink < 0:
            raise NoChainError(f"shrink level {shrink}: expected an integer ≥ 0 (budget = in·out / 2**shrink)")
        return max(1, (in_size * out_size) >> int(shrink))
    return budget


class _Search:
    def __init__(self, out_size: int, in_size: int, mode: str):
        self.out, self.inp, self.mode = out_size, in_size, mode
        self.cmp = (out_size > in_size) - (out_size < in_size)
        self.min_width = min(in_size, out_size)
        self._moves: dict[tuple[int, int], list[tuple[int, int]]] = {}
        self.min_cost = lru_cache(maxsize=None)(self._min_cost)
        self.max_cost = lru_cache(maxsize=None)(self._max_cost)

    def moves(self, a: int, big_r: int) -> list[tuple[int, int]]:
        key = (a, big_r)
        if key not in self._moves:
            self._moves[key] = sorted(self._gen_moves(a, big_r), key=lambda m: -m[0])
        return self._moves[key]

    def _gen_moves(self, a: int, big_r: int):
        for s in _divisors(a):
            for r in _divisors(self.out // big_r):
                if r == 1 and s == 1:
                    continue
                if self.mode == "mono" and ((self.cmp < 0 and r > s) or (self.cmp > 0 and r < s) or (self.cmp == 0 and r != s)):
                    continue
                if (a // s) * big_r * r < self.min_width:  # a narrower width would cap the rank
                    continue
                yield r, s

    def _min_cost(self, a: int, big_r: int, k: int) -> float | None:
        return self._opt(a, big_r, k, min, self.min_cost)

    def _max_cost(self, a: int, big_r: int, k: int) -> float | None:
        return self._opt(a, big_r, k, max, self.max_cost)

    def _opt(self, a, big_r, k, agg, rec):
        if k == 0:
            return 0 if (a == 1 and big_r == self.out) else None
        vals = []
        for r, s in self.moves(a, big_r):
            rest = rec(a // s, big_r * r, k - 1)
            if rest is not None:
                vals.append(a * big_r * r + rest)
        return agg(vals) if vals else None

    def walk(self, k: int, budget: float, n: int) -> list[tuple[int, list[tuple[int, int]]]]:
        """Top-n chains with exactly k factors, most params ≤ budget (branch and bound)."""
        heap: list[tuple[int, list]] = []  # min-heap of (params, pairs)
        peak_needed = self.mode == "bulge"
        top = max(self.inp, self.out)

        def floor() -> int:
            return heap[0][0] if len(heap) >= n else -1

        def rec(a, big_r, kl, cost, pairs, bulged):
            if kl == 0:
                if peak_needed and not bulged:
                    return
                item = (cost, list(pairs))
                if len(heap) < n:
                    heapq.heappush(heap, item)
                elif cost > heap[0][0]:
                    heapq.heapreplace(heap, item)
                return
            for r, s in self.moves(a, big_r):
                step = a * big_r * r
                na, nr = a // s, big_r * r
                lo, hi = self.min_cost(na, nr, kl - 1), self.max_cost(na, nr, kl - 1)
                if lo is None or cost + step + lo > budget or cost + step + hi <= floor():
                    continue
                pairs.append((r, s))
                rec(na, nr, kl - 1, cost + step, pairs, bulged or na * nr > top)
                pairs.pop()

        rec(self.inp, 1, k, 0, [], False)
        return sorted(heap, key=lambda it: -it[0])


def generate_chains(out_size: int, in_size: int, *, budget: int | None = None, shrink: int | None = None,
                    mode: str = "mono", max_factors: int = 8, n: int = 1, verify: bool = True,
                    pad: bool = False) -> list[ChainResult]:
    """See :func:`_generate`; with ``pad=True`` retries with 7-smooth padded sizes on failure."""
    budget = budget_for(int(out_size), int(in_size), budget, shrink)
    try:
        return _generate(out_size, in_size, budget, mode, max_factors, n, verify)
    except NoChainError as exc:
        if not pad:
            raise
        first_err = exc
    tries = sorted({(smooth_size(out_size), in_size), (out_size, smooth_size(in_size)),
                    (smooth_size(out_size), smooth_size(in_size))} - {(out_size, in_size)},
                   key=lambda oi: oi[0] * oi[1])
    for o, i in tries:
        try:
            res = _generate(o, i, budget, mode, max_factors, n, verify)
        except NoChainError:
            continue
        for r in res:
            r.in_size, r.out_size = int(in_size), int(out_size)
        return res
    raise first_err


def _generate(out_size: int, in_size: int, budget: int | None, mode: str, max_factors: int, n: int,
              verify: bool) -> list[ChainResult]:
    """Valid dense DeBut chains for an out×in matrix (input side first).

    With a budget (or shrink level: budget = in·out/2**shrink) the result uses the fewest
    factors that fit and, among those, the most parameters ≤ budget (up to ``n`` chains, best
    first). Without one it returns the chain with the fewest parameters (≤ max_factors factors).
    Every chain is checked (shape algebra, t-rule, bipolar ±1 test) before it is returned.
    Raises :class:`NoChainError` saying why when none exists.
    """
    out_size, in_size = int(out_size), int(in_size)
    if out_size < 1 or in_size < 1:
        raise NoChainError(f"sizes out={out_size}, in={in_size}: expected positive integers")
    if mode not in MODES:
        raise NoChainError(f"mode {mode!r}: expected one of {MODES}")
    if out_size == 1 and in_size == 1:
        raise NoChainError("a 1×1 matrix has no DeBut chain (every factor needs r > 1 or s > 1)")
    search = _Search(out_size, in_size, mode)
    kmax = min(int(max_factors), _omega(in_size) + _omega(out_size))
    mins = {k: search.min_cost(in_size, 1, k) for k in range(1, kmax + 1)}
    feasible = {k: v for k, v in mins.items() if v is not None}
    if not feasible:
        raise NoChainError(_why_none(out_size, in_size, mode, kmax))
    if budget is None:
        order = sorted(feasible, key=lambda kk: (feasible[kk], kk))
        limit = {k: feasible[k] for k in order}
    else:
        order = [k for k in sorted(feasible) if feasible[k] <= budget]
        if not order:
            best_k = min(feasible, key=lambda kk: feasible[kk])
            raise NoChainError(
                f"no {mode} DeBut chain for out={out_size}, in={in_size} with ≤ {kmax} factors fits "
                f"{budget} parameters; the smallest has {feasible[best_k]} ({best_k} factors)"
                + _prime_hint(out_size, in_size))
        limit = {k: budget for k in order}
    found = []
    for k in order:  # bulge: the bounds ignore the peak condition, so a k may turn out empty
        found = search.walk(k, limit[k], max(1, n))
        if found:
            break
    if not found:
        raise NoChainError(_why_none(out_size, in_size, mode, kmax) + (f" within {budget} parameters" if budget else ""))
    results = []
    for params, pairs in found:
        chain = pairs_to_chain(in_size, pairs)
        if verify:
            verify_chain(chain, in_size, out_size)
        results.append(ChainResult(chain, params, mode, in_size, out_size))
    return results


def generate_chain(out_size: int, in_size: int, **kw) -> list[Factor]:
    """The best chain of :func:`generate_chains` (a list of Factors)."""
    return generate_chains(out_size, in_size, n=1, **kw)[0].chain


def fewest_params_chain(out_size: int, in_size: int, mode: str = "mono", max_factors: int = 8) -> ChainResult:
    return generate_chains(out_size, in_size, mode=mode, max_factors=max_factors)[0]


def verify_chain(chain, in_size: int, out_size: int) -> None:
    """Raise unless the chain is valid, follows the t-rule and passes the bipolar test."""
    ch = check_chain(chain, in_size, out_size)
    if not chain_is_dense(ch):
        raise NoChainError(f"chain {[f.as_list() for f in ch]} breaks the t-rule: its product is not dense")
    cols = None if in_size <= 1024 else 256  # large layers: 256 random input columns
    if not bipolar_test(ch, max_cols=cols):
        raise NoChainError(f"chain {[f.as_list() for f in ch]} fails the bipolar ±1 density test")
    assert chain_params(ch) >= 1


def _prime_hint(out_size: int, in_size: int) -> str:
    hints = []
    for name, v in (("in", in_size), ("out", out_size)):
        p = _largest_prime(v)
        if p > 7 and v > 1:
            hints.append(f"{name}={v} has the prime factor {p}; zero-padding it to {smooth_size(v)} allows smaller chains")
    return ("; " + "; ".join(hints)) if hints else ""


def _why_none(out_size: int, in_size: int, mode: str, kmax: int) -> str:
    msg = f"no {mode} DeBut chain exists for out={out_size}, in={in_size} with ≤ {kmax} factors"
    if mode == "bulge":
        msg += ": a bulging chain needs a width above max(in, out), impossible when in or out is 1 or with one factor"
    return msg
