from channels.db import database_sync_to_async

from devices import services

from .registry import handles


@handles("device.revoke", "console")
async def device_revoke(sock, message):
    await database_sync_to_async(services.revoke_device)(message.get("device"), sock.user())


@handles("device.transfer", "console")
async def device_transfer(sock, message):
    await database_sync_to_async(services.transfer_binding)(
        sock.meeting_id, message.get("member"), message.get("device"), sock.user())


@handles("device.release", "console")
async def device_release(sock, message):
    await database_sync_to_async(services.release_binding)(sock.meeting_id, message.get("device"), sock.user())
