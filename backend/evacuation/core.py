"""Evacuation transfer planning: pure functions over plain tables and graphs (no database).

- **Network**: travel minutes on the road graph; closed segments removed, segments in flooded
  (rain-red) cells forbidden except to leave one's own village, segments in orange/red one-map
  cells slowed. Shortest paths by Dijkstra (scipy.sparse.csgraph) from every shelter at once.
- **Allocation**: capacity-constrained minimum total person-minutes as a min-cost flow (network
  simplex, networkx) with an explicit *unserved* sink whose cost is above any route, the elderly's
  higher still, so the elderly are served first when capacity binds (cf. CCRP, Lu, George & Shekhar
  2005, for the capacity-constrained routing family). A village is split only when the flow must.
- **Vehicles**: people whose route is short walk; the others ride the township's buses: trips and
  an estimate of the time to finish the transfer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

UNSERVED_COST = 10_000_000  # tenths of a person-minute: more than any route
UNSERVED_ELDERLY_COST = 100_000_000


@dataclass(frozen=True)
class Fleet:
    buses: int = 10
    seats: int = 45

    def __post_init__(self):
        if self.buses < 0 or self.seats <= 0:
            raise ValueError("a fleet needs buses ≥ 0 and seats > 0")


@dataclass(frozen=True)
class Options:
    """What a plan moves and how (all configurable through the API and CLI)."""

    #: level → who moves: "all" or "vulnerable" (the elderly and people threatened by hazard sites)
    policy: dict[int, str] = field(default_factory=lambda: {4: "all", 3: "vulnerable"})
    site_level: int = 3  # hazard sites are active where the geohazard level reaches this
    flood_level: int = 4  # rain level that floods a road (forbidden)
    slow_level: int = 3  # one-map level from which roads are slowed
    slow_factor: float = 0.5  # speed multiplier on slowed roads
    walk_km: float = 1.5  # routes up to this length are walked, not driven
    access_kmh: float = 20.0  # speed from a village or shelter to its nearest road node
    max_access_m: float = 3000.0  # farther than this from any road: unreachable
    load_minutes: float = 10.0  # boarding and unloading per bus trip
    candidates: int = 25  # shelters considered per village (nearest by time)
    fleet: Fleet = Fleet()
    fleets: dict[str, Fleet] = field(default_factory=dict)  # by township code

    def fleet_of(self, township_code: str) -> Fleet:
        return self.fleets.get(township_code, self.fleet)


@dataclass
class Demand:
    village: int
    persons: int
    elderly: int


def people_to_move(
    population: int, elderly: int, level: int, threatened: int, options: Options
) -> tuple[int, int]:
    """(persons, elderly among them) a village must move under the policy.

    "all" moves everyone; "vulnerable" the elderly plus the people threatened by active hazard
    sites; threatened people move whatever the village's level. Where only the threatened move,
    their elderly are estimated at the village's elderly share.
    """
    rule = options.policy.get(level)
    if rule == "all":
        return population, elderly
    if rule == "vulnerable":
        persons = min(population, elderly + threatened)
        return persons, min(elderly, persons)
    if threatened > 0:
        persons = min(population, threatened)
        return persons, round(persons * elderly / population) if population else 0
    return 0, 0


@dataclass
class Network:
    """An undirected road graph: edge arrays over node indices 0..n-1, travel minutes per edge."""

    n: int
    u: np.ndarray
    v: np.ndarray
    minutes: np.ndarray
    length_m: np.ndarray
    forbidden: np.ndarray  # flooded: only usable to leave one's own village

    def shortest_from(self, sources: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ok = ~self.forbidden
        w = np.maximum(self.minutes[ok], 1e-6)
        g = coo_matrix(
            (
                np.concatenate([w, w]),
                (np.concatenate([self.u[ok], self.v[ok]]), np.concatenate([self.v[ok], self.u[ok]])),
            ),
            shape=(self.n, self.n),
        ).tocsr()
        return dijkstra(g, directed=True, indices=sources, return_predecessors=True)

    def incident(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for i, (a, b) in enumerate(zip(self.u, self.v, strict=True)):
            out.setdefault(int(a), []).append(i)
            out.setdefault(int(b), []).append(i)
        return out


@dataclass
class Route:
    minutes: float
    metres: float
    edges: list[int]  # edge indices from the village to the shelter


def travel_matrix(
    net: Network,
    village_nodes: np.ndarray,
    shelter_nodes: np.ndarray,
    village_access: np.ndarray,
    shelter_access: np.ndarray,
):
    """Minutes from every village to every shelter (inf when unreachable), with a route finder.

    A village's own incident edges may be used even when flooded (people leave the danger area).
    """
    dist, pred = net.shortest_from(shelter_nodes)
    incident = net.incident()
    nv, ns = len(village_nodes), len(shelter_nodes)
    minutes = np.full((nv, ns), np.inf)
    via = np.full((nv, ns), -1, dtype=np.int64)  # first edge out of the village, or -1 direct
    for i, node in enumerate(village_nodes):
        if node < 0:
            continue
        best = dist[:, node].copy()
        for e in incident.get(int(node), []):
            if not net.forbidden[e]:
                continue
            other = int(net.v[e] if net.u[e] == node else net.u[e])
            alt = dist[:, other] + net.minutes[e]
            better = alt < best
            best[better] = alt[better]
            via[i, better] = e
        minutes[i] = best + village_access[i] + shelter_access
        minutes[i, shelter_nodes < 0] = np.inf

    edge_of = {
        (min(int(a), int(b)), max(int(a), int(b))): k
        for k, (a, b) in enumerate(zip(net.u, net.v, strict=True))
        if not net.forbidden[k]
    }

    def route(i: int, j: int) -> Route:
        node = int(village_nodes[i])
        edges: list[int] = []
        if via[i, j] >= 0:
            e = int(via[i, j])
            edges.append(e)
            node = int(net.v[e] if net.u[e] == node else net.u[e])
        while node != shelter_nodes[j]:
            prev = int(pred[j, node])
            if prev < 0:
                break
            edges.append(edge_of[(min(node, prev), max(node, prev))])
            node = prev
        metres = float(net.length_m[edges].sum()) if edges else 0.0
        return Route(float(minutes[i, j]), metres, edges)

    return minutes, route


@dataclass
class Allocation:
    flows: list[tuple[int, int, int, int]]  # (village index, shelter index, persons, elderly)
    unserved: dict[int, tuple[int, int]]  # village index → (persons, elderly)
    person_minutes: float


def allocate(
    demand: list[Demand], remaining: np.ndarray, minutes: np.ndarray, candidates: int = 25
) -> Allocation:
    """Min-cost flow over each village's nearest ``candidates`` shelters, widened (×4) and solved
    again while someone is left unserved who could still reach a shelter with room — so pruning
    never costs a place, only the search for it (see :func:`_allocate`)."""
    k = max(1, candidates)
    n = minutes.shape[1] if minutes.ndim == 2 else 0
    while True:
        result = _allocate(demand, remaining, minutes, k)
        if not result.unserved or k >= n:
            return result
        used = np.zeros(n, dtype=np.int64)
        for _, j, p, _ in result.flows:
            used[j] += p
        room = (remaining - used) > 0
        if not any((np.isfinite(minutes[i]) & room).any() for i in result.unserved):
            return result
        k = min(n, k * 4)


def _allocate(
    demand: list[Demand], remaining: np.ndarray, minutes: np.ndarray, candidates: int
) -> Allocation:
    """One min-cost flow: minimum total person-minutes within capacities, unserved at a high cost.

    Parameters
    ----------
    demand : persons and elderly per village (row of ``minutes``).
    remaining : free places per shelter (column of ``minutes``).
    minutes : travel minutes village × shelter (inf: no route).
    candidates : each village may use its nearest ``candidates`` shelters by time.
    """
    g = nx.DiGraph()
    total = 0
    for i, d in enumerate(demand):
        for kind, amount in (("e", d.elderly), ("o", d.persons - d.elderly)):
            if amount <= 0:
                continue
            g.add_node((i, kind), demand=-int(amount))
            total += int(amount)
            g.add_edge((i, kind), "unserved", weight=UNSERVED_ELDERLY_COST if kind == "e" else UNSERVED_COST)
            row = minutes[i]
            order = np.argsort(row, kind="stable")[:candidates]
            for j in order:
                if np.isfinite(row[j]) and remaining[j] > 0:
                    g.add_edge((i, kind), ("s", int(j)), weight=int(round(row[j] * 10)))
    for j, cap in enumerate(remaining):
        if cap > 0:
            g.add_edge(("s", int(j)), "sink", weight=0, capacity=int(cap))
    g.add_node("unserved")
    g.add_edge("unserved", "sink", weight=0)
    g.add_node("sink", demand=total)
    if total == 0:
        return Allocation([], {}, 0.0)
    _, flow = nx.network_simplex(g)
    served: dict[tuple[int, int], list[int]] = {}
    unserved: dict[int, tuple[int, int]] = {}
    person_minutes = 0.0
    for (i, kind), targets in ((k, v) for k, v in flow.items() if isinstance(k, tuple) and k[0] != "s"):
        for target, amount in targets.items():
            if amount <= 0:
                continue
            if target == "unserved":
                p, e = unserved.get(i, (0, 0))
                unserved[i] = (p + amount, e + (amount if kind == "e" else 0))
            else:
                j = target[1]
                p, e = served.get((i, j), [0, 0])
                served[(i, j)] = [p + amount, e + (amount if kind == "e" else 0)]
                person_minutes += amount * minutes[i, j]
    flows = [(i, j, p, e) for (i, j), (p, e) in sorted(served.items())]
    return Allocation(flows, unserved, float(person_minutes))


def greedy(demand: list[Demand], remaining: np.ndarray, minutes: np.ndarray) -> Allocation:
    """Baseline: villages in order, each to its nearest shelters with room (no global view)."""
    free = remaining.astype(np.int64).copy()
    flows, unserved, pm = [], {}, 0.0
    for i, d in enumerate(demand):
        left_e, left_o = d.elderly, d.persons - d.elderly
        for j in np.argsort(minutes[i], kind="stable"):
            if not np.isfinite(minutes[i, j]) or left_e + left_o == 0:
                break
            take = min(free[j], left_e + left_o)
            if take <= 0:
                continue
            te = min(take, left_e)
            left_e -= te
            left_o -= take - te
            free[j] -= take
            flows.append((i, int(j), int(take), int(te)))
            pm += take * minutes[i, j]
        if left_e + left_o:
            unserved[i] = (left_e + left_o, left_e)
    return Allocation(flows, unserved, float(pm))


def trips_for(persons_by_bus: int, fleet: Fleet) -> int:
    return math.ceil(persons_by_bus / fleet.seats) if persons_by_bus > 0 else 0


def finish_minutes(legs: list[tuple[int, float]], fleet: Fleet, load_minutes: float) -> float:
    """Estimated time to finish a township's transfer: its bus trips (there and back, plus loading)
    shared over its buses, longest-first (LPT) so one bus is not left with all the long legs."""
    if not legs:
        return 0.0
    if fleet.buses == 0:
        return math.inf
    jobs = sorted((2 * m + load_minutes for trips, m in legs for _ in range(trips)), reverse=True)
    busy = [0.0] * fleet.buses
    for job in jobs:
        k = int(np.argmin(busy))
        busy[k] += job
    return max(busy)
