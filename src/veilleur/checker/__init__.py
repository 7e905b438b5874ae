"""The checker role: leases due monitors, runs probes, records results, drives incidents."""
