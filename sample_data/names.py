"""Plausible Chinese place and person names, drawn from a seeded generator (all fictional)."""

from __future__ import annotations

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
    """Unique names from a seeded generator."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.used: set[str] = set()

    def place(self, suffix: str) -> str:
        for _ in range(10_000):
            stem = self.rng.choice(_HEAD) + self.rng.choice(_TAIL)
            if stem[0] == stem[1]:
                continue
            name = stem + suffix
            if name not in self.used:
                self.used.add(name)
                return name
        # three-character stems once two-character ones run out (province size)
        for _ in range(100_000):
            name = self.rng.choice(_HEAD) + self.rng.choice(_HEAD) + self.rng.choice(_TAIL) + suffix
            if name not in self.used:
                self.used.add(name)
                return name
        raise RuntimeError("name space exhausted")

    def person(self) -> str:
        given = "".join(self.rng.choice(_GIVEN, size=int(self.rng.integers(1, 3))))
        return str(self.rng.choice(_SURNAMES)) + given
