"""The props of the three tasks, rebuilt in code from HumanoidBench's definitions (sizes and
positions in metres; boxes by half-sizes, as MuJoCo takes them).

All props are fixed to the world (no joint), so they add nothing to ``qpos``/``qvel``.

- **chair** (``sit_simple``): body ``chair`` at x = -0.25, 0.25 m behind the robot's start.
  It collides as two boxes: the seat block (0.42 x 0.42 m, top 0.475 m above the floor) and the
  backrest (0.04 m thick, 0.42 m wide, from 0.45 to 0.85 m, its centre 0.23 m behind the
  chair's). Drawn as four legs, a seat board, two back posts and a back panel.
- **tunnel** (``crawl``): from x = 2.2 to 18.2 m, 2.3 m wide inside (walls 0.4 m thick centred
  at y = +-1.35), its ceiling's underside 1.15 m above the floor.
- **poles** (``pole``): 41 rows of upright cylinders (radius 0.05 m, 2 m tall), one row per
  metre from x = 1 to 41; odd rows have four poles at y = +-0.75, +-2.25, even rows three at
  y = 0, +-1.5. Side walls at y = +-3.15 (0.3 m thick, x from -0.75 to 40.75) and a wall behind
  the start at x = -0.6 close the field. Pole geoms are named ``pole_r<row>_c<column>``.
"""

from __future__ import annotations

import mujoco

BOX = mujoco.mjtGeom.mjGEOM_BOX
CYLINDER = mujoco.mjtGeom.mjGEOM_CYLINDER
WOOD = (0.62, 0.45, 0.28, 1.0)

CHAIR_POS = (-0.25, 0.0, 0.0)
# (position in the chair's frame, half-sizes)
CHAIR_COLLIDERS = (
    ((-0.23, 0.0, 0.65), (0.02, 0.21, 0.2)),  # backrest
    ((0.0, 0.0, 0.2375), (0.21, 0.21, 0.2375)),  # seat block, floor to seat top
)
CHAIR_LOOKS = (
    *(((x, y, 0.225), (0.02, 0.02, 0.225)) for x in (0.19, -0.19) for y in (0.19, -0.19)),
    ((0.0, 0.0, 0.45), (0.21, 0.21, 0.025)),  # seat board
    *(((-0.23, y, 0.6375), (0.02, 0.02, 0.2125)) for y in (0.19, -0.19)),  # back posts
    ((-0.23, 0.0, 0.77), (0.02, 0.21, 0.08)),  # back panel
)

TUNNEL_POS = (2.2, 0.0, 0.0)
TUNNEL_PARTS = (
    ("left_wall", (8.0, -1.35, 0.775), (8.0, 0.2, 0.775)),
    ("right_wall", (8.0, 1.35, 0.775), (8.0, 0.2, 0.775)),
    ("ceiling", (8.0, 0.0, 1.35), (8.0, 1.15, 0.2)),
)

POLE_ROWS = 41
POLE_RADIUS, POLE_HALF_HEIGHT = 0.05, 1.0
POLES_ODD_ROW = (2.25, 0.75, -0.75, -2.25)  # y of the poles in rows 1, 3, 5, ...
POLES_EVEN_ROW = (1.5, 0.0, -1.5)
POLE_PREFIX = "pole_r"
POLE_BARRIERS = (
    ("left_barrier", (20.0, -3.15, 1.0), (20.75, 0.15, 1.0)),
    ("right_barrier", (20.0, 3.15, 1.0), (20.75, 0.15, 1.0)),
    ("behind_barrier", (-0.6, 0.0, 1.0), (0.15, 3.0, 1.0)),
)


def add_chair(spec: mujoco.MjSpec) -> None:
    chair = spec.worldbody.add_body(name="chair", pos=CHAIR_POS)
    for pos, half in CHAIR_COLLIDERS:  # collide, not drawn (group 3)
        chair.add_geom(type=BOX, pos=pos, size=half, group=3, rgba=WOOD)
    for pos, half in CHAIR_LOOKS:  # drawn, never collide
        chair.add_geom(type=BOX, pos=pos, size=half, contype=0, conaffinity=0, rgba=WOOD)


def add_tunnel(spec: mujoco.MjSpec) -> None:
    tunnel = spec.worldbody.add_body(name="tunnel", pos=TUNNEL_POS)
    for name, pos, half in TUNNEL_PARTS:
        tunnel.add_geom(name=name, type=BOX, pos=pos, size=half, rgba=(0.5, 0.5, 0.5, 0.3))


def pole_positions() -> list[tuple[int, int, float, float]]:
    """(row, column, x, y) of every pole, rows and columns counted from 1."""
    out = []
    for row in range(1, POLE_ROWS + 1):
        ys = POLES_ODD_ROW if row % 2 else POLES_EVEN_ROW
        out += [(row, col, float(row), y) for col, y in enumerate(ys, start=1)]
    return out


def add_poles(spec: mujoco.MjSpec) -> None:
    world = spec.worldbody
    for name, pos, half in POLE_BARRIERS:
        world.add_body(name=name).add_geom(
            name=name, type=BOX, pos=pos, size=half, rgba=(0.9, 0.9, 0.9, 0.2)
        )
    poles = world.add_body(name="pole_rows")
    for row, col, x, y in pole_positions():
        poles.add_geom(
            name=f"{POLE_PREFIX}{row}_c{col}",
            type=CYLINDER,
            pos=(x, y, POLE_HALF_HEIGHT),
            size=(POLE_RADIUS, POLE_HALF_HEIGHT, 0),
            rgba=(0.5, 0.5, 0.5, 1.0),
        )


ARENAS = {"sit_simple": add_chair, "crawl": add_tunnel, "pole": add_poles}
