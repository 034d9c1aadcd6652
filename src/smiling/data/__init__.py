"""Demonstrations, replay buffers and other data containers."""
