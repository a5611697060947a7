"""The event loop of the cycle engine (Numba): work items through resources, in time order.

Events live in a binary heap keyed by (time, kind, sequence): a *request* (an item's stage asks its
resource at the time it is ready) or a *completion* (an item's last stage ends). A request takes the
resource unit that frees first (first come, first served); a completion advances its layer's completed
prefix and retries the next item of every layer whose gates read that prefix. An item is issued when its
gates open: the input positions it reads (dependency), space in each consumer's line buffer (buffer
full), and in layer mode the previous layer's end. Waits are charged to the layer as stall cycles by
cause (``config.STALL_CAUSES``). Every array is typed and contiguous; :func:`schedule` is the entry point.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: stall columns (see config.STALL_CAUSES)
DEPENDENCY, BUFFER_FULL, BANDWIDTH, RESOURCE_BUSY, DRAM_RELOAD = 0, 1, 2, 3, 4
_DONE, _REQ = 0, 1
_SEQ = np.int64(1) << np.int64(40)
#: stage index of a weight reload from DRAM (before stage 0 of a sample's first item)
RELOAD = -1


@njit(cache=True)
def _less(ht, hk, a, b):
    return ht[a] < ht[b] or (ht[a] == ht[b] and hk[a] < hk[b])


@njit(cache=True)
def _swap(ht, hk, hl, hg, hs, a, b):
    ht[a], ht[b] = ht[b], ht[a]
    hk[a], hk[b] = hk[b], hk[a]
    hl[a], hl[b] = hl[b], hl[a]
    hg[a], hg[b] = hg[b], hg[a]
    hs[a], hs[b] = hs[b], hs[a]


@njit(cache=True)
def _push(ht, hk, hl, hg, hs, meta, t, kind, layer, item, stage):
    """meta[0] = heap size, meta[1] = sequence counter."""
    i = meta[0]
    ht[i] = t
    hk[i] = kind * _SEQ + meta[1]
    hl[i] = layer
    hg[i] = item
    hs[i] = stage
    meta[0] += 1
    meta[1] += 1
    while i > 0:
        parent = (i - 1) // 2
        if not _less(ht, hk, i, parent):
            break
        _swap(ht, hk, hl, hg, hs, i, parent)
        i = parent


@njit(cache=True)
def _pop(ht, hk, hl, hg, hs, meta):
    """Move the smallest entry to the slot past the heap's end; return that slot."""
    last = meta[0] - 1
    _swap(ht, hk, hl, hg, hs, 0, last)
    meta[0] = last
    i = 0
    while True:
        a, b, m = 2 * i + 1, 2 * i + 2, i
        if a < last and _less(ht, hk, a, m):
            m = a
        if b < last and _less(ht, hk, b, m):
            m = b
        if m == i:
            break
        _swap(ht, hk, hl, hg, hs, i, m)
        i = m
    return last


@njit(cache=True)
def _try_issue(l, t, nb, mode, P, off, st_res, reload_t, units, e_prod, e_cons, e_cap, need_off, need_flat,
               ff_off, ff_flat, in_ptr, in_edge, out_ptr, out_edge, prefix, ptime, next_item, pending, first_fin,
               stall, ht, hk, hl, hg, hs, meta):
    """Issue layer ``l``'s next item if its gates are open at time ``t``."""
    nl = P.shape[0]
    g = next_item[l]
    if g >= nb * P[l] or pending[l]:
        return
    b = g // P[l]
    j = g - b * P[l]
    dep_t = 0.0
    buf_t = 0.0
    if mode == 0:  # layer by layer: the previous layer (of this sample, or the last of the previous one)
        prev, req = l - 1, (b + 1) * P[l - 1] if l > 0 else 0
        if l == 0:
            prev, req = nl - 1, b * P[nl - 1]
        if req > 0:
            if prefix[prev] < req:
                return
            dep_t = ptime[off[prev] + req - 1]
    for k in range(in_ptr[l], in_ptr[l + 1]):
        e = in_edge[k]
        p = e_prod[e]
        req = b * P[p] + need_flat[need_off[e] + j] + 1
        if prefix[p] < req:
            return
        dep_t = max(dep_t, ptime[off[p] + req - 1])
    if mode == 1:
        for k in range(out_ptr[l], out_ptr[l + 1]):
            e = out_edge[k]
            kk = g - e_cap[e]
            if e_cap[e] <= 0 or kk < 0:
                continue
            c = e_cons[e]
            bs = kk // P[l]
            req = bs * P[c] + ff_flat[ff_off[e] + kk - bs * P[l]]
            if req > 0:
                if prefix[c] < req:
                    return
                buf_t = max(buf_t, ptime[off[c] + req - 1])
    u = units[st_res[l, 0]]
    base = first_fin[off[l] + g - u] if g >= u else 0.0
    gate = max(dep_t, buf_t)
    ready = max(max(base, t), gate)
    if g >= u and gate > base:  # the layer had a free unit but waited for data or buffer space
        stall[l, DEPENDENCY if dep_t >= buf_t else BUFFER_FULL] += gate - base
    next_item[l] = g + 1
    pending[l] = True
    stage = RELOAD if (j == 0 and reload_t[l] > 0) else 0
    _push(ht, hk, hl, hg, hs, meta, ready, _REQ, l, g, stage)


@njit(cache=True)
def schedule(nb, mode, P, nst, st_res, st_t, reload_t, dram_res, units, is_link, e_prod, e_cons, e_cap, need_off,
             need_flat, ff_off, ff_flat, in_ptr, in_edge, out_ptr, out_edge):
    """Simulate ``nb`` inferences. Returns (layer start [L, nb], layer finish [L, nb], stall cycles [L, 5],
    busy cycles per resource [R], completed items per layer [L], events processed)."""
    nl = P.shape[0]
    nr = units.shape[0]
    off = np.zeros(nl + 1, np.int64)
    for l in range(nl):
        off[l + 1] = off[l] + nb * P[l]
    n = off[nl]
    umax = 1
    for r in range(nr):
        umax = max(umax, units[r])
    free = np.zeros((nr, umax))
    last = np.full((nr, umax), -1, np.int64)
    busy = np.zeros(nr)
    first_fin = np.zeros(n)
    ptime = np.zeros(n)
    done = np.zeros(n, np.bool_)
    prefix = np.zeros(nl, np.int64)
    next_item = np.zeros(nl, np.int64)
    pending = np.zeros(nl, np.bool_)
    lstart = np.full((nl, nb), np.inf)
    lfinish = np.zeros((nl, nb))
    stall = np.zeros((nl, 5))
    prev_wait = np.zeros((nl, st_res.shape[1]))
    cap = n + 8
    ht = np.zeros(cap)
    hk = np.zeros(cap, np.int64)
    hl = np.zeros(cap, np.int64)
    hg = np.zeros(cap, np.int64)
    hs = np.zeros(cap, np.int64)
    meta = np.zeros(2, np.int64)
    wake = np.zeros(e_prod.shape[0] + 1, np.int64)  # layers to retry after a completion
    for l in range(nl):
        _try_issue(l, 0.0, nb, mode, P, off, st_res, reload_t, units, e_prod, e_cons, e_cap, need_off, need_flat,
                   ff_off, ff_flat, in_ptr, in_edge, out_ptr, out_edge, prefix, ptime, next_item, pending,
                   first_fin, stall, ht, hk, hl, hg, hs, meta)
    events = 0
    while meta[0] > 0:
        i = _pop(ht, hk, hl, hg, hs, meta)
        t, kind, l, g, s = ht[i], hk[i] // _SEQ, hl[i], hg[i], hs[i]
        events += 1
        b = g // P[l]
        if kind == _DONE:
            done[off[l] + g] = True
            lfinish[l, b] = max(lfinish[l, b], t)
            while prefix[l] < nb * P[l] and done[off[l] + prefix[l]]:
                ptime[off[l] + prefix[l]] = t
                prefix[l] += 1
            # only the layers whose gates read this layer's progress: its consumers (dependency), its
            # producers (buffer space) and, layer by layer, the next layer in order
            n_wake = 0
            for k in range(out_ptr[l], out_ptr[l + 1]):
                wake[n_wake] = e_cons[out_edge[k]]
                n_wake += 1
            for k in range(in_ptr[l], in_ptr[l + 1]):
                wake[n_wake] = e_prod[in_edge[k]]
                n_wake += 1
            if mode == 0:
                wake[n_wake] = l + 1 if l + 1 < nl else 0
                n_wake += 1
            for k in range(1, n_wake):  # in layer order, as a scan of every layer would retry them
                v, q = wake[k], k - 1
                while q >= 0 and wake[q] > v:
                    wake[q + 1] = wake[q]
                    q -= 1
                wake[q + 1] = v
            for k in range(n_wake):
                _try_issue(wake[k], t, nb, mode, P, off, st_res, reload_t, units, e_prod, e_cons, e_cap, need_off,
                           need_flat, ff_off, ff_flat, in_ptr, in_edge, out_ptr, out_edge, prefix, ptime,
                           next_item, pending, first_fin, stall, ht, hk, hl, hg, hs, meta)
            continue
        r = dram_res if s == RELOAD else st_res[l, s]
        dur = reload_t[l] if s == RELOAD else st_t[l, s]
        best = 0
        for u in range(1, units[r]):
            if free[r, u] < free[r, best]:
                best = u
        start = max(t, free[r, best])
        wait = start - t
        if s == RELOAD:
            stall[l, DRAM_RELOAD] += wait
        elif is_link[r] or last[r, best] != l:
            # items queue behind each other: charge the growth of the wait (the delay the layer's end sees)
            if wait > prev_wait[l, s]:
                stall[l, BANDWIDTH if is_link[r] else RESOURCE_BUSY] += wait - prev_wait[l, s]
            prev_wait[l, s] = wait
        else:
            prev_wait[l, s] = 0.0
        fin = start + dur
        free[r, best] = fin
        last[r, best] = l
        busy[r] += dur
        lstart[l, b] = min(lstart[l, b], start)
        if s == RELOAD:  # the layer waits for its weights
            stall[l, DRAM_RELOAD] += dur
            _push(ht, hk, hl, hg, hs, meta, fin, _REQ, l, g, 0)
            continue
        if s == 0:
            first_fin[off[l] + g] = fin
            pending[l] = False
        if s + 1 < nst[l]:
            _push(ht, hk, hl, hg, hs, meta, fin, _REQ, l, g, s + 1)
        else:
            _push(ht, hk, hl, hg, hs, meta, fin, _DONE, l, g, 0)
        if s == 0:
            _try_issue(l, t, nb, mode, P, off, st_res, reload_t, units, e_prod, e_cons, e_cap, need_off, need_flat,
                       ff_off, ff_flat, in_ptr, in_edge, out_ptr, out_edge, prefix, ptime, next_item, pending,
                       first_fin, stall, ht, hk, hl, hg, hs, meta)
    return lstart, lfinish, stall, busy, prefix, events
