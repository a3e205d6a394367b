"""The skill catalog of a workspace: names, aliases, groups, tiers and activities."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from revarch.config import Settings, Skill, skill_key
from revarch.errors import InputError


@dataclass(frozen=True)
class Catalog:
    """The workspace's skills, looked up by name or alias in any case."""

    skills: tuple[Skill, ...]
    screening_names: tuple[str, ...]

    @classmethod
    def from_settings(cls, settings: Settings) -> Catalog:
        skills = tuple(settings.skills.catalog)
        catalog = cls(skills, ())
        configured = settings.skills.screening_skills
        if configured:
            names = tuple(catalog.get(name).name for name in configured)
        else:
            names = tuple(skill.name for skill in skills if skill.group == "system")
        return cls(skills, tuple(dict.fromkeys(names)))

    def __iter__(self) -> Iterator[Skill]:
        return iter(self.skills)

    def __len__(self) -> int:
        return len(self.skills)

    @property
    def names(self) -> list[str]:
        return [skill.name for skill in self.skills]

    def find(self, name: str) -> Skill | None:
        """Return the skill this name or alias means, ignoring case and punctuation."""
        key = skill_key(name)
        for skill in self.skills:
            if any(skill_key(n) == key for n in (skill.name, *skill.aliases)):
                return skill
        return None

    def get(self, name: str) -> Skill:
        """Return the skill this name or alias means, or raise listing the catalog."""
        skill = self.find(name)
        if skill is None:
            raise InputError(
                f"unknown skill {name!r}; the catalog has: {', '.join(self.names)} "
                "(add it, or an alias, under skills.catalog in revarch.yaml)"
            )
        return skill

    def prior_tier(self, name: str) -> int:
        tier = self.get(name).prior_tier
        assert tier is not None
        return tier

    @property
    def screening_skills(self) -> list[Skill]:
        return [self.get(name) for name in self.screening_names]
