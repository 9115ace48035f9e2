"""Resolve pasted YouTube channel identifiers to channel IDs and collect each channel's data."""
