"""Results kept for years at a few KB per monitor-day.

Finished hours of raw results (``monitoring.CheckResult``, one row per check) are moved into one
:class:`ResultBlock` per monitor-hour, packed by ``domain.resultcodec``; blocks live for the raw
retention. Each compacted hour also leaves an hourly rollup (counts, Apdex tallies, latency
histogram) in :class:`RollupDay`, one row per monitor and UTC day holding that day's hours
packed by ``domain.rollups``; rollups are kept for good. bench/README.md ("storage") has the
measured sizes and why rollups are grouped by day.
"""

from __future__ import annotations

from django.db import models

from veilleur.monitoring.models import Monitor


class ResultBlock(models.Model):
    """Every stored result of one monitor for one UTC hour, packed (``domain.resultcodec``).

    The primary key is (monitor, hour_start): no surrogate id and no second index, which saves
    about 0.9 KB per monitor-day on PostgreSQL (bench/README.md, "storage"). One block per hour
    is also what keeps two compaction workers from storing an hour twice. Retention deletes by
    chunks of monitors with an hour range, which this key serves.
    """

    pk = models.CompositePrimaryKey("monitor", "hour_start")
    monitor = models.ForeignKey(
        Monitor, on_delete=models.CASCADE, related_name="result_blocks", db_index=False
    )
    hour_start = models.DateTimeField()
    count = models.PositiveIntegerField()
    failures = models.PositiveIntegerField()
    data = models.BinaryField()

    def __str__(self) -> str:
        return f"results of monitor {self.monitor_id} at {self.hour_start:%Y-%m-%d %H:00}"


class RollupDay(models.Model):
    """The hourly rollups of one monitor for one UTC day, packed (``domain.rollups.pack_day``)."""

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="rollup_days", db_index=False)
    day = models.DateField(help_text="UTC date.")
    hours = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["monitor", "day"], name="rollup_day_one_per_day")]

    def __str__(self) -> str:
        return f"rollups of monitor {self.monitor_id} on {self.day}"
