"""The one place that decides what of a launch may be seen: a stage's content exists for readers only
from its ``reveal_at`` on. Pages, the API, the feed job and the image route all ask here, so nothing of
a stage — title, text, price, specs, images, not even its id — leaves the server before its time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from launches.models import Launch, RevealImage, RevealStage


@dataclass
class Showing:
    """What a reader sees of a launch at a moment: its revealed stages (oldest first), the price and
    specs in force (the latest revealed stage that sets them, else the teaser's) and the next reveal's
    time (never its content)."""

    stages: list[RevealStage]
    price: int
    specs: list[tuple[str, str]] = field(default_factory=list)
    next_reveal_at: datetime | None = None


def revealed_stages(launch: Launch, now: datetime) -> list[RevealStage]:
    """The stages whose time has come, oldest first."""
    return [stage for stage in launch.stages if stage.reveal_at <= now]


def next_reveal_at(launch: Launch, now: datetime) -> datetime | None:
    """When the next stage reveals (its time only), or None when all are out."""
    return min((stage.reveal_at for stage in launch.stages if stage.reveal_at > now), default=None)


def is_revealed(stage: RevealStage, now: datetime) -> bool:
    return stage.reveal_at <= now


def parse_specs(text: str) -> list[tuple[str, str]]:
    """"name: value" lines as pairs; a line without a colon is a value without a name."""
    pairs = []
    for line in (text or "").splitlines():
        if line.strip():
            name, sep, value = line.partition(":")
            pairs.append((name.strip(), value.strip()) if sep else ("", name.strip()))
    return pairs


def showing(launch: Launch, now: datetime) -> Showing:
    stages = revealed_stages(launch, now)
    price = next((stage.price for stage in reversed(stages) if stage.price is not None), launch.price)
    specs = next((stage.specs for stage in reversed(stages) if stage.specs.strip()), "")
    return Showing(stages, price, parse_specs(specs), next_reveal_at(launch, now))


def current_price(launch: Launch, now: datetime) -> int:
    """What a unit costs now: the latest revealed stage's price, else the launch's own."""
    return showing(launch, now).price


def revealed_image(launch: Launch, image_id: int, now: datetime) -> RevealImage | None:
    """An image of a revealed stage of this launch, or None (not there, or not yet)."""
    for stage in revealed_stages(launch, now):
        for image in stage.images:
            if image.id == image_id:
                return image
    return None
