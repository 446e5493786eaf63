"""awssim: moto with an ECS that rolls out, plus fault injection (see docs/awssim.md)."""

__version__ = "0.1.0"
