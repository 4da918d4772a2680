"""Evacuation core on small graphs whose optimum is known by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from backend.evacuation import core

INF = math.inf


def test_the_optimum_splits_a_village_only_when_it_pays():
    # A→S1 10, A→S2 20, B→S1 15, B→S2 40 min; 80 people each; 100 places each.
    # By hand: B (far from S2) takes S1 fully (80), A fills S1's last 20 and sends 60 to S2:
    # 80·15 + 20·10 + 60·20 = 2,600 person-minutes (every other split costs more).
    minutes = np.array([[10.0, 20.0], [15.0, 40.0]])
    demand = [core.Demand(1, 80, 0), core.Demand(2, 80, 0)]
    a = core.allocate(demand, np.array([100, 100]), minutes)
    assert a.person_minutes == pytest.approx(2600)
    assert a.unserved == {}
    assert sorted(a.flows) == [(0, 0, 20, 0), (0, 1, 60, 0), (1, 0, 80, 0)]
    g = core.greedy(demand, np.array([100, 100]), minutes)
    assert g.person_minutes == pytest.approx(80 * 10 + 20 * 15 + 60 * 40)  # 3,500: worse


def test_unserved_exactly_when_demand_exceeds_reachable_capacity_and_elderly_go_first():
    minutes = np.array([[5.0, INF], [7.0, INF]])
    demand = [core.Demand(1, 60, 10), core.Demand(2, 60, 50)]
    a = core.allocate(demand, np.array([100, 500]), minutes)  # the second shelter is unreachable
    served = {i: p for i, _, p, _ in a.flows}
    assert sum(served.values()) == 100  # capacity never exceeded
    assert sum(p for p, _ in a.unserved.values()) == 20
    assert sum(e for _, e in a.unserved.values()) == 0  # all 60 elderly were placed
    enough = core.allocate(demand, np.array([120, 0]), minutes)
    assert enough.unserved == {}


def test_capacities_are_never_exceeded_on_random_cases():
    rng = np.random.default_rng(3)
    for _ in range(20):
        minutes = rng.uniform(1, 60, (8, 5))
        minutes[rng.random((8, 5)) < 0.2] = INF
        demand = [core.Demand(i, int(p), int(p * 0.3)) for i, p in enumerate(rng.integers(0, 300, 8))]
        cap = rng.integers(0, 400, 5)
        a = core.allocate(demand, cap, minutes)
        used = np.zeros(5, dtype=int)
        for _, j, p, e in a.flows:
            used[j] += p
            assert e <= p
        assert (used <= cap).all()
        total = sum(d.persons for d in demand)
        assert sum(p for _, _, p, _ in a.flows) + sum(p for p, _ in a.unserved.values()) == total
        g = core.greedy(demand, cap, minutes)
        g_unserved = sum(p for p, _ in g.unserved.values())
        a_unserved = sum(p for p, _ in a.unserved.values())
        assert a_unserved <= g_unserved
        if a_unserved == g_unserved:
            assert a.person_minutes <= g.person_minutes + 1e-6


def line_network(forbidden=()):
    # 0 —1— 1 —1— 2 —1— 3, and a detour 1 —5— 4 —5— 3 (minutes)
    u = np.array([0, 1, 2, 1, 4])
    v = np.array([1, 2, 3, 4, 3])
    minutes = np.array([1.0, 1.0, 1.0, 5.0, 5.0])
    f = np.zeros(5, dtype=bool)
    f[list(forbidden)] = True
    return core.Network(5, u, v, minutes, minutes * 1000, f)


def test_routes_avoid_flooded_segments():
    net = line_network()
    m, route = core.travel_matrix(net, np.array([0]), np.array([3]), np.zeros(1), np.zeros(1))
    assert m[0, 0] == 3.0 and route(0, 0).edges == [0, 1, 2]
    flooded = line_network(forbidden=[1])  # the 1–2 segment floods
    m, route = core.travel_matrix(flooded, np.array([0]), np.array([3]), np.zeros(1), np.zeros(1))
    assert m[0, 0] == 11.0
    assert 1 not in route(0, 0).edges and route(0, 0).edges == [0, 3, 4]


def test_people_may_leave_their_own_flooded_village_but_not_cross_another():
    net = line_network(forbidden=[0])  # the village's own road floods: it may still leave by it
    m, route = core.travel_matrix(net, np.array([0]), np.array([3]), np.zeros(1), np.zeros(1))
    assert m[0, 0] == 3.0 and route(0, 0).edges[0] == 0
    cut = line_network(forbidden=[1, 3])  # both ways out beyond the first segment flood
    m, _ = core.travel_matrix(cut, np.array([0]), np.array([3]), np.zeros(1), np.zeros(1))
    assert m[0, 0] == INF  # unreachable: reported as unserved, not dropped
    a = core.allocate([core.Demand(1, 10, 2)], np.array([100]), m)
    assert a.unserved == {0: (10, 2)}


def test_policy_moves_everyone_in_red_and_the_vulnerable_in_orange():
    o = core.Options()
    assert core.people_to_move(1000, 200, 4, 0, o) == (1000, 200)
    assert core.people_to_move(1000, 200, 3, 30, o) == (230, 200)
    assert core.people_to_move(1000, 200, 2, 0, o) == (0, 0)
    assert core.people_to_move(1000, 200, 1, 50, o) == (50, 10)  # threatened always move
    with pytest.raises(ValueError):
        core.Fleet(buses=-1)


def test_trips_and_time_to_finish():
    fleet = core.Fleet(buses=2, seats=40)
    assert core.trips_for(81, fleet) == 3 and core.trips_for(0, fleet) == 0
    # trips of 2·20+10 = 50 min (×3) and 2·5+10 = 20 min (×1) on 2 buses, longest first:
    # bus 1: 50 + 50 = 100, bus 2: 50 + 20 = 70 → done at 100 min
    assert core.finish_minutes([(3, 20.0), (1, 5.0)], fleet, 10.0) == 100.0
    assert core.finish_minutes([(1, 5.0)], core.Fleet(buses=0), 10.0) == INF


def test_results_are_deterministic():
    rng = np.random.default_rng(9)
    minutes = rng.uniform(1, 30, (12, 6))
    demand = [core.Demand(i, int(p), int(p) // 4) for i, p in enumerate(rng.integers(10, 400, 12))]
    cap = rng.integers(50, 400, 6)
    assert core.allocate(demand, cap, minutes).flows == core.allocate(demand, cap, minutes).flows


def test_pruning_to_the_nearest_shelters_never_leaves_people_unserved():
    # one village, 30 shelters of 10 places; the nearest 25 are not enough for 280 people
    minutes = np.arange(1.0, 31.0)[None, :]
    a = core.allocate([core.Demand(1, 280, 0)], np.full(30, 10), minutes, candidates=25)
    assert a.unserved == {}
    assert sum(p for _, _, p, _ in a.flows) == 280
