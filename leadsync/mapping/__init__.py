"""Canonical model, normalisers and declarative field mapping (no vendor names here)."""
