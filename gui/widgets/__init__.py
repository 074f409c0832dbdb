"""Reusable widgets: option editors, table models, plot page, system monitor."""
