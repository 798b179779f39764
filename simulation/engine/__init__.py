"""The simulator's day loop, split by what it simulates (see `loop` for the order of the steps)."""

from simulation.engine.loop import Engine
from simulation.engine.state import ATT_CODES, NEVER, Records, SimState, join_flags

__all__ = ["ATT_CODES", "NEVER", "Engine", "Records", "SimState", "join_flags"]
