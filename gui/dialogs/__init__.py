"""Dialogs: command line, log window, remote machines, About."""
