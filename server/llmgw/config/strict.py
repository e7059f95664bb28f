"""The base of every configuration model: strict (an unknown key is an
error, so a typo never passes silently) and frozen."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
