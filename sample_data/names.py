"""Plausible Chinese place and person names, drawn from a seeded generator (all fictional)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

COUNTY_NAME = "云岭县"
COUNTY_CODE = "360799"  # Jiangxi 36, Ganzhou 07, an unused county number 99: fictional on purpose

_HEAD = list(
    "东南西北上下大小高龙凤石田黄白青金银丰云龟马鹤象岩新长安永兴隆富和平清太阳"
    "梅桃李杨柳松枫茶荷莲竹桂樟杉洋湖溪江河潭湾坝圩塘坪岭坑"
)
_TAIL = list("坑岭塘坪田溪口山坳背下排圳湾洲岗源垅坝村寨坊圩铺湖岩岐陂埠冈峰塅")
_SURNAMES = list("刘陈钟曾赖谢黄李王张廖温叶郭罗邱胡朱杨吴肖林徐魏何蔡邓宋唐许")
_GIVEN = list("建国华明军平伟强勇红英芳兰秀玉文武志海涛斌亮俊峰桂林春生金福德荣贵昌辉晓丽娟燕萍")


class NameMaker:
    """Unique names from a seeded generator: two-character stems in random order, then three."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.used: set[str] = set()
        self._stems: dict[str, Iterator[str]] = {}

    def _stem_order(self) -> Iterator[str]:
        two = [h + t for h in _HEAD for t in _TAIL if h != t]
        yield from (two[i] for i in self.rng.permutation(len(two)))
        three = [h + m + t for h in _HEAD for m in _HEAD for t in _TAIL if h != m]
        yield from (three[i] for i in self.rng.permutation(len(three)))

    def place(self, suffix: str) -> str:
        stems = self._stems.setdefault(suffix, self._stem_order())
        for stem in stems:
            name = stem + suffix
            if name not in self.used:
                self.used.add(name)
                return name
        raise RuntimeError("name space exhausted")

    def person(self) -> str:
        given = "".join(self.rng.choice(_GIVEN, size=int(self.rng.integers(1, 3))))
        return str(self.rng.choice(_SURNAMES)) + given
