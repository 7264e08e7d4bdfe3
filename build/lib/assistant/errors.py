"""The one exception type users see: its message is a single line saying what is wrong and what to do."""


class AssistantError(Exception):
    """A problem the user can fix; the CLI and UI print `str(error)` and never a stack trace."""


class InputError(AssistantError):
    """A question or article that cannot be used as given."""


class LLMUnavailable(AssistantError):
    """The language model could not be loaded or reached."""
