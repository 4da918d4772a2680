"""Properties of evacuation allocation (backend/evacuation/core.py) on small random road graphs.

Travel times come from the real routing (travel_matrix over a random Network with closed-by-flood
edges), then allocate(): no shelter takes more than its free places; everybody is either placed or
unserved, the elderly too; people go only where a route exists; nobody is left unserved while a
shelter they can reach has room; no elderly person is left out while a shelter they can reach holds
someone who is not elderly; never worse than the greedy baseline. Seeded and bounded.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.evacuation import core

PROPERTY = settings(max_examples=60, derandomize=True, database=None, deadline=None)


@st.composite
def worlds(draw):
    """A road graph of 2–9 nodes, villages and shelters on its nodes (or off the network: -1)."""
    n = draw(st.integers(2, 9))
    pairs = [(a, b) for a in range(n) for b in range(a + 1, n)]
    edges = draw(st.lists(st.sampled_from(pairs), min_size=1, max_size=min(len(pairs), 14), unique=True))
    m = len(edges)
    net = core.Network(
        n=n,
        u=np.array([a for a, _ in edges], dtype=np.int64),
        v=np.array([b for _, b in edges], dtype=np.int64),
        minutes=np.array(draw(st.lists(st.floats(0.5, 60), min_size=m, max_size=m))),
        length_m=np.array(draw(st.lists(st.floats(50, 20_000), min_size=m, max_size=m))),
        forbidden=np.array(draw(st.lists(st.booleans(), min_size=m, max_size=m))),
    )
    nv, ns = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    node = st.integers(-1, n - 1)
    villages = np.array(draw(st.lists(node, min_size=nv, max_size=nv)), dtype=np.int64)
    shelters = np.array(draw(st.lists(node, min_size=ns, max_size=ns)), dtype=np.int64)
    access = st.floats(0, 15)
    v_access = np.array(draw(st.lists(access, min_size=nv, max_size=nv)))
    s_access = np.array(draw(st.lists(access, min_size=ns, max_size=ns)))
    demand = []
    for i in range(nv):
        persons = draw(st.integers(0, 400))
        demand.append(core.Demand(i, persons, draw(st.integers(0, persons))))
    room = np.array(draw(st.lists(st.integers(0, 500), min_size=ns, max_size=ns)), dtype=np.int64)
    return net, villages, shelters, v_access, s_access, demand, room


def placed(a: core.Allocation, ns: int) -> np.ndarray:
    used = np.zeros(ns, dtype=np.int64)
    for _, j, p, _ in a.flows:
        used[j] += p
    return used


@PROPERTY
@given(worlds())
def test_allocation_respects_capacity_and_conserves_people(world):
    net, villages, shelters, v_access, s_access, demand, room = world
    minutes, route = core.travel_matrix(net, villages, shelters, v_access, s_access)
    a = core.allocate(demand, room, minutes)

    assert (placed(a, len(shelters)) <= room).all()  # never more than the free places
    for i, d in enumerate(demand):  # everybody placed or unserved, the elderly too
        served = [(p, e) for vi, _, p, e in a.flows if vi == i]
        left_p, left_e = a.unserved.get(i, (0, 0))
        assert sum(p for p, _ in served) + left_p == d.persons
        assert sum(e for _, e in served) + left_e == d.elderly
    for i, j, p, e in a.flows:
        assert p > 0 and 0 <= e <= p
        assert np.isfinite(minutes[i, j])  # only where a route exists
        r = route(i, j)
        assert np.isclose(r.minutes, minutes[i, j])
    assert np.isclose(a.person_minutes, sum(p * minutes[i, j] for i, j, p, _ in a.flows))


@PROPERTY
@given(worlds())
def test_nobody_is_left_out_while_a_reachable_shelter_has_room_and_the_elderly_go_first(world):
    net, villages, shelters, v_access, s_access, demand, room = world
    minutes, _ = core.travel_matrix(net, villages, shelters, v_access, s_access)
    a = core.allocate(demand, room, minutes)
    free = room - placed(a, len(shelters))
    for i, (_, elderly_left) in a.unserved.items():
        reachable = np.isfinite(minutes[i])
        assert not (reachable & (free > 0)).any(), f"village {i} left out beside free places"
        if elderly_left:
            # no shelter an unserved elderly person can reach holds anybody who is not elderly
            for _, j, p, e in a.flows:
                assert not (reachable[j] and p > e), f"elderly of village {i} left out, others at {j}"

    g = core.greedy(demand, room, minutes)
    assert sum(p for p, _ in a.unserved.values()) <= sum(p for p, _ in g.unserved.values())


@PROPERTY
@given(worlds())
def test_routes_follow_open_roads_from_the_village_to_the_shelter(world):
    net, villages, shelters, v_access, s_access, _, _ = world
    minutes, route = core.travel_matrix(net, villages, shelters, v_access, s_access)
    for i, j in zip(*np.nonzero(np.isfinite(minutes)), strict=True):
        r = route(int(i), int(j))
        node = int(villages[i])
        for k, e in enumerate(r.edges):
            assert k == 0 or not net.forbidden[e]  # a flooded road only to leave one's own village
            assert node in (net.u[e], net.v[e])
            node = int(net.v[e] if net.u[e] == node else net.u[e])
        assert node == shelters[j]
        assert np.isclose(r.minutes, net.minutes[r.edges].sum() + v_access[i] + s_access[j])
