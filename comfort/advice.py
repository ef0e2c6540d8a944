"""
A five-level comfort scale for walkers, with advice in plain words, beside the ten UTCI
stress categories (:data:`comfort.indices.UTCI_CATEGORIES`).

Pure mapping: a UTCI category (its ``key`` or English name) to one of :data:`COMFORT_LEVELS`;
the words are the web layer's (``api.i18n``: ``level_<key>`` and ``advice_<key>``).

======================  ==========================================  ===================
level                   UTCI categories                             advice (ja)
======================  ==========================================  ===================
``very_cold``           extreme, very strong, strong cold stress    地下がおすすめ
``cold``                moderate, slight cold stress                日なたの道を選んで
``comfortable``         no thermal stress                           どの道も快適
``hot``                 moderate heat stress                        日陰を選んで
``very_hot``            strong, very strong, extreme heat stress    地下か屋内がおすすめ
======================  ==========================================  ===================
"""

from __future__ import annotations

from comfort.indices import UTCI_CATEGORIES

__all__ = ["COMFORT_LEVELS", "LEVEL_OF_CATEGORY", "comfort_level", "comfort_level_of_utci"]

#: The five levels, coldest first.
COMFORT_LEVELS: tuple[str, ...] = ("very_cold", "cold", "comfortable", "hot", "very_hot")

#: Level of each UTCI category key (``extreme_cold`` ... ``extreme_heat``).
LEVEL_OF_CATEGORY: dict[str, str] = {
    "extreme_cold": "very_cold",
    "very_strong_cold": "very_cold",
    "strong_cold": "very_cold",
    "moderate_cold": "cold",
    "slight_cold": "cold",
    "no_stress": "comfortable",
    "moderate_heat": "hot",
    "strong_heat": "very_hot",
    "very_strong_heat": "very_hot",
    "extreme_heat": "very_hot",
}

_BY_NAME = {c.name_en: LEVEL_OF_CATEGORY[c.key] for c in UTCI_CATEGORIES}


def comfort_level(category: str) -> str:
    """
    The comfort level of a UTCI category, given by key or English name.

    Raises
    ------
    ValueError
        An unknown category.

    Examples
    --------
    >>> comfort_level("no_stress"), comfort_level("moderate cold stress")
    ('comfortable', 'cold')
    """
    level = LEVEL_OF_CATEGORY.get(category) or _BY_NAME.get(category)
    if level is None:
        raise ValueError(
            f"unknown UTCI category {category!r}; use a key of comfort.indices.UTCI_CATEGORIES "
            f"({', '.join(LEVEL_OF_CATEGORY)}) or its English name"
        )
    return level


def comfort_level_of_utci(utci_c: float) -> str | None:
    """
    The comfort level of a UTCI value (°C); None for a missing value.

    Examples
    --------
    >>> comfort_level_of_utci(-20.0), comfort_level_of_utci(20.0), comfort_level_of_utci(35.0)
    ('very_cold', 'comfortable', 'very_hot')
    """
    if utci_c != utci_c:  # NaN
        return None
    for c in UTCI_CATEGORIES:
        if c.lower_c < utci_c <= c.upper_c:
            return LEVEL_OF_CATEGORY[c.key]
    return None
