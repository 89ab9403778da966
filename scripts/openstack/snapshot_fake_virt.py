"""A nova fake virt driver whose snapshots finish.

nova.virt.fake.FakeDriver.snapshot only moves the task state and never
uploads anything, so a server snapshot (createImage) stays "queued" in
Glance for ever. SnapshotFakeDriver uploads a few bytes the way the libvirt
driver uploads a real disk (nova/virt/libvirt/driver.py, snapshot and
_create_snapshot_metadata): the image becomes active with a size, as on a
real cloud.

Use it with PYTHONPATH holding this directory and
    [DEFAULT] compute_driver = snapshot_fake_virt.SnapshotFakeDriver
Nova loads a driver only as "nova.virt.<compute_driver>": sitecustomize.py
beside this file maps nova.virt.snapshot_fake_virt to it.
"""

import io

from nova.compute import task_states
from nova import exception
from nova.image import glance
from nova.virt import fake

# What a snapshot's data is: small, but not empty, so its size is > 0.
SNAPSHOT_DATA = b"gisiaas fake snapshot\n" * 64


class SnapshotFakeDriver(fake.FakeDriver):
    def __init__(self, virtapi, read_only=False):
        super().__init__(virtapi, read_only)
        self._image_api = glance.API()

    def snapshot(self, context, instance, image_id, update_task_state):
        if instance.uuid not in self.instances:
            raise exception.InstanceNotRunning(instance_id=instance.uuid)
        snapshot = self._image_api.get(context, image_id)
        update_task_state(task_state=task_states.IMAGE_PENDING_UPLOAD)
        update_task_state(task_state=task_states.IMAGE_UPLOADING,
                          expected_state=task_states.IMAGE_PENDING_UPLOAD)
        image_meta = instance.image_meta
        disk_format = 'raw'
        if (image_meta.obj_attr_is_set('disk_format') and
                image_meta.disk_format == 'ami'):
            disk_format = 'ami'
        container_format = 'bare'
        if image_meta.obj_attr_is_set('container_format'):
            container_format = image_meta.container_format
        metadata = {
            'status': 'active',
            'name': snapshot['name'],
            'disk_format': disk_format,
            'container_format': container_format,
            'properties': {
                'kernel_id': instance.kernel_id,
                'image_location': 'snapshot',
                'image_state': 'available',
                'owner_id': instance.project_id,
                'ramdisk_id': instance.ramdisk_id,
            },
        }
        # purge_props=False: keep what nova-api put on the image
        # (image_type, instance_uuid, the caller's metadata).
        self._image_api.update(context, image_id, metadata,
                               io.BytesIO(SNAPSHOT_DATA), purge_props=False)
