"""Stateful emulators of vendor APIs (Salesforce, HubSpot) for tests, benchmarks and demos.

Each vendor package keeps state (``models``) apart from wire format (``routes``) and is served
by :func:`leadsync.sandbox.runtime.serve`; code under test keeps its real vendor client.
"""
