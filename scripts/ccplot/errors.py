"""The one error type the CLI turns into a single line on stderr and a non-zero exit."""


class PlotError(Exception):
    """Bad input or an unwritable output: the message is one line naming the file and the problem."""
