"""Connectors: the plugin contract and the built-in CRM, form and CSV connectors."""
