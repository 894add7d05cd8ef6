"""均衡 Junheng — a platform for a high-quality, balanced basic public education service system."""

__version__ = "0.1.0"
