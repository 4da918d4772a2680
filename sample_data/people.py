"""The sample county's people: how many live in each village (and so each township), and the
responsible persons (责任人) warnings are sent to.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sample_data.county import County, sample_raster, split_total


def village_population(
    county: County, pts: np.ndarray, kind: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Population, elderly and households of each place at ``pts`` (in the order given).

    The seat's communities share the seat population; villages are lognormal, township centres
    three times larger; the remote (high) villages are older.
    """
    spec, rng = county.spec, county.rng
    n = len(pts)
    pop = np.zeros(n, dtype=np.int64)
    is_comm = kind == "community"
    pop[is_comm] = split_total(rng, rng.uniform(0.6, 1.4, is_comm.sum()), spec.seat_population)
    w = rng.lognormal(0.0, 0.45, (~is_comm).sum())
    w[kind[~is_comm] == "centre"] *= 3.0  # township seats are larger
    pop[~is_comm] = split_total(rng, w, spec.population - spec.seat_population)
    remote = np.clip(sample_raster(county.dem, county.transform, pts[:, 0], pts[:, 1]) / 800, 0, 1)
    elderly_share = np.where(
        is_comm,
        rng.uniform(0.11, 0.15, n),
        np.clip(rng.normal(0.17, 0.03, n) + 0.08 * remote, 0.08, 0.35),
    )
    elderly = np.floor(pop * elderly_share).astype(np.int64)
    households = np.ceil(pop / rng.uniform(2.9, 3.6, n)).astype(np.int64)
    return pop, elderly, households


def sum_township_population(county: County) -> None:
    """Each township's population: the sum over its villages."""
    county.townships["population"] = (
        county.villages.groupby("town")
        .population.sum()
        .reindex(range(len(county.townships)), fill_value=0)
        .values
    )


def build_recipients(county: County) -> None:
    """The responsible persons warnings go to: county duty officers, township leaders, village
    heads, grid workers and hazard-site monitors, each with a unique mobile number."""
    rng, v = county.rng, county.villages
    rows = []
    phones = set()

    def phone() -> str:
        while True:
            p = f"1{rng.choice([3, 5, 7, 8, 9])}{int(rng.integers(0, 10**9)):09d}"
            if p not in phones:
                phones.add(p)
                return p

    def add(role, title, town_code, village_code, with_email):
        k = len(rows) + 1
        rows.append(
            {
                "code": f"R{k:06d}",
                "name": county.names.person(),
                "role": role,
                "title": title,
                "township_code": town_code,
                "village_code": village_code,
                "phone": phone(),
                "email": f"r{k:06d}@yunling-county.example" if with_email else None,
            }
        )

    for title in ("县应急管理局值班员", "县应急管理局值班员", "县应急管理局带班领导"):
        add("county_duty", title, None, None, True)
    for code in county.townships.code:
        for title in ("党委书记", "镇长", "分管应急副镇长", "应急办主任"):
            add("township_leader", title, code, None, True)
    sites_per_village = county.hazard_sites.groupby("village_code").size()
    for i in range(len(v)):
        code, town = v.code[i], v.township_code[i]
        urban = v.kind[i] == "community"
        add("village_head", "社区书记" if urban else "村党支部书记", town, code, True)
        add(
            "village_head",
            "社区主任" if urban else "村委会主任",
            town,
            code,
            rng.random() < 0.6,
        )
        for _ in range(int(rng.integers(1, 3)) + int(urban or rng.random() < 0.35)):
            add("grid_worker", "网格员", town, code, rng.random() < 0.3)
        for _ in range(min(int(sites_per_village.get(code, 0)), 2)):
            add("monitor", "地灾群测群防监测员", town, code, False)
    county.recipients = pd.DataFrame(rows)
