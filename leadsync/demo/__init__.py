"""``leadsync demo``: the flagship flow end to end against the built-in CRM sandboxes."""
