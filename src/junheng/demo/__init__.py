"""Built-in demo data: the six counties of 张掖市 with synthetic schools (``generate``), and a
national-scale synthetic dataset for import benchmarks (``generate_national``)."""

from junheng.demo.generate import generate

__all__ = ["generate"]
