"""The exceptions of both halves of the package: the embedded database raises them from
Rust (python/src/error.rs), the TCP client from its error frames."""


class Error(Exception):
    """Base of every SeamDB error. The message is the one the `seam` command line prints."""


class QueryError(Error):
    """The SeamQL statement is wrong: it does not parse (the message names line and
    column), names a component or field that does not exist, or cannot run."""


class InputError(Error):
    """Appended data cannot be stored: a missing or bad `trace_id` or `time`, a type the
    component's schema does not allow, a bad name. Nothing of that append was stored."""


class StorageError(Error):
    """The database itself: its files (I/O, damage), its lock (another process has it
    open), a change asked of a read-only or closed database."""
