"""Which devices are online, with battery, written to the database in batches.

Presence is ephemeral and frequent (3,000 tablets connect within seconds), so it does not go
through the ordered event stream. Each process notes changes in memory and flushes them once a
second in one transaction; every process's online devices are refreshed every HEARTBEAT so a
crashed process's devices turn offline by themselves (ONLINE_WINDOW). The console polls the
devices whose presence changed since its last look (devices.console_view).
"""

import asyncio
import logging
from datetime import timedelta

from asgiref.sync import sync_to_async
from django.db import transaction
from django.utils import timezone

log = logging.getLogger(__name__)

FLUSH_SECONDS = 1.0
HEARTBEAT = timedelta(seconds=30)
ONLINE_WINDOW = timedelta(seconds=90)


def _battery(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 100:
        return int(value)
    return None


class PresenceTracker:
    def __init__(self):
        self.connected = {}  # device id -> number of sockets in this process
        self.dirty = {}  # device id -> fields to write
        self.task = None
        self.last_heartbeat = None

    def online(self, device_id, battery=None, charging=None, user_agent=None):
        """A socket of this device authenticated in this process."""
        self.connected[device_id] = self.connected.get(device_id, 0) + 1
        self.update(device_id, battery, charging, user_agent, online=True)

    def update(self, device_id, battery=None, charging=None, user_agent=None, online=None):
        """What a connected device reports about itself (battery comes and goes)."""
        fields = self.dirty.setdefault(device_id, {})
        if online is not None:
            fields["online"] = online
        if _battery(battery) is not None:
            fields["battery"] = _battery(battery)
        if isinstance(charging, bool):
            fields["charging"] = charging
        if user_agent:
            fields["user_agent"] = user_agent[:300]
        self._ensure_task()

    def offline(self, device_id):
        count = self.connected.get(device_id, 0) - 1
        if count > 0:
            self.connected[device_id] = count
            return
        self.connected.pop(device_id, None)
        self.dirty.setdefault(device_id, {}).update(online=False)
        self._ensure_task()

    def _ensure_task(self):
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self):
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            now = timezone.now()
            heartbeat = ()
            if self.last_heartbeat is None or now - self.last_heartbeat >= HEARTBEAT:
                self.last_heartbeat = now
                heartbeat = tuple(self.connected)
            if not self.dirty and not heartbeat:
                if not self.connected:
                    return
                continue
            batch, self.dirty = self.dirty, {}
            try:
                await sync_to_async(flush, thread_sensitive=False)(batch, heartbeat, now)
            except Exception:
                log.warning("presence flush failed; retrying", exc_info=True)
                for device_id, fields in batch.items():
                    self.dirty.setdefault(device_id, fields)


def flush(batch, heartbeat, now):
    from django.db import connection

    from .models import Device

    with transaction.atomic():
        if connection.features.has_select_for_update:
            # PostgreSQL: lock the rows in one order first, so two processes flushing the same
            # devices (a tablet whose sockets reached both) wait for each other instead of deadlocking.
            ids = sorted({*heartbeat, *batch})
            for start in range(0, len(ids), 500):
                list(Device.objects.select_for_update(of=("self",)).filter(pk__in=ids[start:start + 500])
                     .order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(heartbeat), 500):
            Device.objects.filter(pk__in=heartbeat[start:start + 500]).update(last_seen_at=now)
        # A hall connecting reports the same few changes for thousands of devices (online, no
        # battery yet): one UPDATE per distinct change, not one per device.
        groups = {}
        for device_id, fields in batch.items():
            groups.setdefault(tuple(sorted(fields.items())), []).append(device_id)
        for fields, ids in groups.items():
            values = dict(fields, last_seen_at=now, presence_changed_at=now)
            for start in range(0, len(ids), 500):
                Device.objects.filter(pk__in=ids[start:start + 500]).update(**values)


tracker = PresenceTracker()
