"""Saving a lab run: its pictures as PNG frames and an animated GIF, and its command line as text.

A frame is what the page's plane shows, drawn with Pillow: D's heat map (green where D says
"real", purple where it says "fake", white where it cannot tell), the real points in dark green and
G's points in dark purple. The session keeps a snapshot of the fake points and the heat map every
few updates (``LabSession.snapshots``); :func:`save_run` turns them into files.
"""
from __future__ import annotations

import os

import numpy
from PIL import Image, ImageDraw

from ..viz import save_gif

FRAME_SIZE = 320  # pixels per side
WHITE, REAL_SIDE, FAKE_SIDE = numpy.array([247, 247, 247]), numpy.array([90, 190, 120]), numpy.array([170, 120, 210])
REAL_POINT, FAKE_POINT = (20, 110, 50), (90, 30, 130)


def heat_colours(heat_map, resolution) -> numpy.ndarray:
    """(resolution, resolution, 3) uint8 colours of a heat map (a ``LabSession.heat_map()`` dict):
    white at its centre value, shading to green above it and purple below, full at centre +- span."""
    t = numpy.clip((numpy.asarray(heat_map["values"]) - heat_map["centre"]) / heat_map["span"], -1, 1)
    t = t.reshape(resolution, resolution, 1)
    colours = WHITE + numpy.where(t >= 0, t * (REAL_SIDE - WHITE), -t * (FAKE_SIDE - WHITE))
    return colours.round().astype(numpy.uint8)


def render_frame(snapshot, real, extent: float, size: int = FRAME_SIZE) -> numpy.ndarray:
    """One snapshot (``{"update", "fake", "heat_map"}``) over the square [-extent, extent]^2 as uint8 RGB."""
    resolution = int(round(len(snapshot["heat_map"]["values"]) ** 0.5))
    image = Image.fromarray(heat_colours(snapshot["heat_map"], resolution)).resize((size, size), Image.BILINEAR)
    draw = ImageDraw.Draw(image)
    for points, colour in ((real, REAL_POINT), (snapshot["fake"], FAKE_POINT)):
        pixels = (numpy.asarray(points) * [1, -1] + extent) / (2 * extent) * size  # y grows upward on the plane
        for x, y in pixels:
            draw.ellipse((x - 1.5, y - 1.5, x + 1.5, y + 1.5), fill=colour)
    draw.text((6, 4), f"update {snapshot['update']}", fill=(0, 0, 0))
    return numpy.asarray(image)


def save_run(snapshots, real, extent: float, command: dict, folder) -> dict:
    """Write ``folder/frames/frame_0001.png ...``, ``folder/training.gif`` and ``folder/command.txt``.

    Returns ``{"folder", "frames", "gif", "command"}``: the folder, the number of frames, and the two paths.
    """
    if not snapshots:
        raise ValueError("save_run: no snapshots to save")
    os.makedirs(os.path.join(folder, "frames"), exist_ok=True)
    frames = [render_frame(snapshot, real, extent) for snapshot in snapshots]
    for number, frame in enumerate(frames, 1):
        Image.fromarray(frame).save(os.path.join(folder, "frames", f"frame_{number:04d}.png"))
    gif = os.path.join(folder, "training.gif")
    save_gif(frames, gif, seconds_per_frame=0.1)
    text = command["line"] + "\n" + "".join(f"# not in the line: {note}\n" for note in command["notes"])
    command_path = os.path.join(folder, "command.txt")
    with open(command_path, "w") as f:
        f.write(text)
    return {"folder": folder, "frames": len(frames), "gif": gif, "command": command_path}
