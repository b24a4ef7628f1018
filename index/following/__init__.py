"""Following feeds: subscriptions kept in the state (``state.db`` or PostgreSQL), polled with
conditional GETs, their new entries saved into the corpus (as ``revue add`` does) and then
indexed incrementally."""

from index.following.polling import FeedPoll, Following, PollReport
from index.storage.states import FeedStatus

__all__ = ["FeedPoll", "FeedStatus", "Following", "PollReport"]
