"""Built-in demo data: the six counties of 张掖市 with synthetic schools (``generate``), and a
national-scale synthetic dataset for import benchmarks (``generate_national``)."""

from junheng.demo.generate import generate
from junheng.demo.national import generate_national

__all__ = ["generate", "generate_national"]
