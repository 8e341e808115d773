"""Pipeline definitions: which stages run, in which order, read from ``pipelines/*.toml``.

The stage functions live in :mod:`digitizer.stages`; a definition only chooses among them,
so an office can, say, run without signing on a test workstation without touching code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from digitizer.config import read_toml
from digitizer.errors import ConfigurationError

# Stages in the only order that makes sense; a definition may leave optional ones out.
KNOWN_STAGES = ("ingest", "orient", "ocr", "understand", "pdfa", "sign", "register")
REQUIRED_STAGES = ("ingest", "ocr", "pdfa", "register")


@dataclass(frozen=True, slots=True)
class PipelineDefinition:
    name: str
    source: Path
    description: str
    stages: tuple[str, ...]
    probe_uncertain_orientation: bool
    recover_missed_text: bool

    def runs(self, stage: str) -> bool:
        return stage in self.stages


def load_pipeline(pipelines_dir: Path, name: str) -> PipelineDefinition:
    path = pipelines_dir / f"{name}.toml"
    if not path.exists():
        known = sorted(p.stem for p in pipelines_dir.glob("*.toml"))
        raise ConfigurationError(
            f"no pipeline '{name}' in {pipelines_dir} (known: {', '.join(known) or 'none'})"
        )
    data = read_toml(path)
    stages = data.get("stages")
    if not isinstance(stages, list) or not all(isinstance(s, str) for s in stages):
        raise ConfigurationError(f"{path}: 'stages' must be a list of stage names")
    for stage in stages:
        if stage not in KNOWN_STAGES:
            raise ConfigurationError(
                f"{path}: unknown stage '{stage}' (known: {', '.join(KNOWN_STAGES)})"
            )
    for stage in REQUIRED_STAGES:
        if stage not in stages:
            raise ConfigurationError(f"{path}: stage '{stage}' is required")
    order = [KNOWN_STAGES.index(s) for s in stages]
    if order != sorted(order) or len(set(order)) != len(order):
        raise ConfigurationError(
            f"{path}: stages must appear once each, in the order {' → '.join(KNOWN_STAGES)}"
        )
    orient = data.get("orient", {})
    probe = orient.get("probe_uncertain_orientation", True) if isinstance(orient, dict) else True
    ocr = data.get("ocr", {})
    recover = ocr.get("recover_missed_text", True) if isinstance(ocr, dict) else True
    return PipelineDefinition(
        name=name,
        source=path,
        description=str(data.get("description", "")),
        stages=tuple(stages),
        probe_uncertain_orientation=bool(probe),
        recover_missed_text=bool(recover),
    )
