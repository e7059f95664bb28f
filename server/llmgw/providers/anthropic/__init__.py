"""Anthropic Messages API wire protocol."""
