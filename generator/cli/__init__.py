"""The command line: arguments, one api call, text output, exit codes."""
