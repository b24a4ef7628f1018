"""What the commands that take filters share: how their parameters are described, and the
outlets offered as one types."""

from __future__ import annotations

from discord import app_commands

from bot.client import RevueBot
from index.errors import RevueError
from index.records import Filters

OUTLET = "Only articles from this outlet (any part of its name)"
SINCE = "Only articles published on or after: 2025-06-30, 2025-06, 2025, or 7d, 2w, 3m"
UNTIL = "Only articles published on or before: 2025-06-30, 2025-06, 2025, or 7d, 2w, 3m"


async def outlet_choices(bot: RevueBot, current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete for an ``outlet`` parameter: the index's outlets holding ``current``."""
    try:
        outlets = await bot.desk.lookup(lambda: bot.engine.outlets(Filters(current or None)))
    except RevueError:
        return []  # nothing indexed yet: no suggestions, and the command says why
    # Discord caps choices at 25, and names and values at 100 characters.
    return [app_commands.Choice(name=f"{o} ({n})"[:100], value=o[:100]) for o, n in outlets[:25]]
