"""The sync engine: matching, master-of-record policy, routing, jobs and plans."""
