"""Test-only Cinder volume driver: each volume is a sparse file.

The CI machine's kernel has no device-mapper (LVM cannot work) and no iSCSI,
so volumes are plain sparse files exposed through os-brick's "local"
connector. Enough for create/attach/detach/extend/snapshot/clone/backup
through the real Cinder and Nova APIs; no data path to a guest.
"""
import os
import subprocess

from cinder.volume import driver

BASE = '/var/lib/cinder/filefake'


class FileFakeDriver(driver.VolumeDriver):
    VERSION = '1.0'

    def _p(self, name):
        return os.path.join(BASE, name)

    def _copy(self, src, dst):
        # cp --sparse keeps the copy sparse (shutil would write every byte).
        subprocess.check_call(['cp', '--sparse=always', src, dst])

    def do_setup(self, ctx):
        os.makedirs(BASE, exist_ok=True)

    def check_for_setup_error(self):
        pass

    def create_volume(self, v):
        with open(self._p(v.name), 'wb') as f:
            f.truncate(v.size * 1024 ** 3)

    def delete_volume(self, v):
        try:
            os.unlink(self._p(v.name))
        except FileNotFoundError:
            pass

    def extend_volume(self, v, new_size):
        with open(self._p(v.name), 'r+b') as f:
            f.truncate(new_size * 1024 ** 3)

    def create_snapshot(self, s):
        self._copy(self._p(s.volume_name), self._p(s.name))

    def delete_snapshot(self, s):
        try:
            os.unlink(self._p(s.name))
        except FileNotFoundError:
            pass

    def create_volume_from_snapshot(self, v, s):
        self._copy(self._p(s.name), self._p(v.name))
        if v.size > s.volume_size:
            self.extend_volume(v, v.size)

    def create_cloned_volume(self, v, src):
        self._copy(self._p(src.name), self._p(v.name))
        if v.size > src.size:
            self.extend_volume(v, v.size)

    def ensure_export(self, ctx, v):
        pass

    def create_export(self, ctx, v, connector):
        pass

    def remove_export(self, ctx, v):
        pass

    def initialize_connection(self, v, connector, **kw):
        return {'driver_volume_type': 'local',
                'data': {'device_path': self._p(v.name)}}

    def terminate_connection(self, v, connector, **kw):
        pass

    def get_volume_stats(self, refresh=False):
        return {'volume_backend_name': 'fake', 'vendor_name': 'Open Source',
                'driver_version': self.VERSION, 'storage_protocol': 'local',
                'total_capacity_gb': 1000, 'free_capacity_gb': 1000,
                'reserved_percentage': 0, 'QoS_support': False}
