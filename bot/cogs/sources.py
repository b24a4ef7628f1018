"""``/sources``: the indexed articles, paged with buttons, visible to the caller only."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import RevueBot
from bot.render import NO_PINGS, source_pages


class Pager(discord.ui.View):
    """Previous / next buttons over a list of embeds, for the person who asked only."""

    def __init__(self, pages: list[discord.Embed], owner_id: int, timeout: float = 300) -> None:
        super().__init__(timeout=timeout)
        self.pages = pages
        self.owner_id = owner_id
        self.index = 0
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.index == 0
        self.next.disabled = self.index == len(self.pages) - 1

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(
            "These buttons belong to whoever ran /sources: run it yourself.",
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )
        return False

    async def show(self, interaction: discord.Interaction, step: int) -> None:
        self.index = max(0, min(len(self.pages) - 1, self.index + step))
        self._sync_buttons()
        await interaction.response.edit_message(
            embed=self.pages[self.index], view=self, allowed_mentions=NO_PINGS
        )

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(
        self, interaction: discord.Interaction, button: discord.ui.Button[Pager]
    ) -> None:
        await self.show(interaction, -1)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next(
        self, interaction: discord.Interaction, button: discord.ui.Button[Pager]
    ) -> None:
        await self.show(interaction, +1)


class Sources(commands.Cog):
    """Lists what the bot can quote from."""

    def __init__(self, bot: RevueBot) -> None:
        self.bot = bot

    @app_commands.command(name="sources")
    async def sources(self, interaction: discord.Interaction) -> None:
        """List the articles I can quote: title, outlet, date and link."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        articles = await self.bot.desk.lookup(self.bot.engine.sources)
        pages = source_pages(articles)
        if len(pages) == 1:
            await interaction.followup.send(
                embed=pages[0], ephemeral=True, allowed_mentions=NO_PINGS
            )
            return
        view = Pager(pages, interaction.user.id)
        await interaction.followup.send(
            embed=pages[0], view=view, ephemeral=True, allowed_mentions=NO_PINGS
        )


async def setup(bot: RevueBot) -> None:
    await bot.add_cog(Sources(bot))
