"""Exceptions raised by the Revue engine. The edges (CLI, bot) turn them into sentences."""


class RevueError(Exception):
    """Base class for every error the engine raises on purpose."""


class ModelUnavailable(RevueError):
    """The embedding model cannot be found or built."""


class IndexMissing(RevueError):
    """No index has been built yet in the data directory."""


class IndexDamaged(RevueError):
    """The index files disagree with each other or cannot be read."""


class CorpusPathError(RevueError):
    """A corpus path given by the user does not exist or cannot be read."""


class InvalidQuestion(RevueError):
    """A question is empty, whitespace only or too long."""


class IndexBusy(RevueError):
    """Another process is writing the index."""


class NotAFeed(RevueError):
    """A document given as a feed is not RSS or Atom."""


class NotAnArticle(RevueError):
    """A page or file holds no article text (binary, empty, or only navigation)."""


class FetchFailed(RevueError):
    """A URL could not be fetched (unreachable, refused, an HTTP error)."""


class AlreadyInCorpus(RevueError):
    """The article being added is already in the corpus directory."""


class WriterUnavailable(RevueError):
    """The language model that writes answers cannot be reached, or its reply is unusable."""


class NeedsLanguageModel(RevueError):
    """A feature that only a language model can do (checking a claim) was asked without one."""


class InvalidFilter(RevueError):
    """An outlet or date filter cannot be read (a date that is not a date, since after until)."""


class FeedError(RevueError):
    """A followed feed cannot be added, found or read."""


class AnswerNotFound(RevueError):
    """No answer with this id (or Discord message) is remembered in the state database."""


class NothingToChart(RevueError):
    """A timeline with no dated article cannot be drawn."""


class DatabaseUnavailable(RevueError):
    """The PostgreSQL database cannot be reached (down, refused, or the connection was lost)."""


class ModelMismatch(RevueError):
    """An index cannot be copied onto one embedded with another model."""


class PollingElsewhere(RevueError):
    """Another process holds the feed-poll lock (PostgreSQL): this one polls nothing now."""
