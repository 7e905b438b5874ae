"""``veilleur demo``: a demo agency with three clients and days of synthetic history.

The history is made the way the checker makes it: results at each plan's cadence, confirmation
re-checks, incidents and blips from the incident state machine, no-data gaps, hours compacted
into result blocks and rollups with the history app's codecs.
"""
