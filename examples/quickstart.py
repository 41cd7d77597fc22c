"""What a runtime does with persist: pick a driver by name, save a sandbox, restore it, list sandboxes.

python examples/quickstart.py            # the "fs" driver in a fresh temporary root
python examples/quickstart.py memory     # any installed driver, by name
"""

from __future__ import annotations

import sys
import tempfile

from persist_core import CURRENT_PERSIST_VERSION, GoTime, get_driver
from persist_core.model import ContainerState, Mount, Process, SandboxState


def main(driver_name: str) -> None:
    with tempfile.TemporaryDirectory() as root:
        options = {"root": root} if driver_name in ("fs", "rootlessfs") else {}
        driver = get_driver(driver_name, **options)
        print(f"driver {driver.name!r} with options {driver.options}")

        sandbox = SandboxState(sandbox_container="pod-1", state="running", persist_version=CURRENT_PERSIST_VERSION)
        sandbox.config.hypervisor_type = "qemu"
        containers = {
            "pod-1": ContainerState(state="running", process=Process(pid=4242, start_time=GoTime.now())),
            "web": ContainerState(
                state="running",
                bundle_path="/run/containerd/web",
                mounts=[Mount(source="/srv/www", destination="/usr/share/nginx/html", read_only=True)],
            ),
        }
        with driver.lock("pod-1", exclusive=True, timeout=5):
            driver.save(sandbox, containers)
        print("saved pod-1 with containers", sorted(containers))

        restored, restored_containers = driver.load("pod-1")
        assert (restored, restored_containers) == (sandbox, containers), "restore must return what was saved"
        web = restored_containers["web"]
        print(f"restored pod-1: state={restored.state} hypervisor={restored.config.hypervisor_type}")
        print(f"  web: state={web.state} mounts={[m.destination for m in web.mounts or []]}")
        print(f"  pod-1 started at {restored_containers['pod-1'].process.start_time}")

        driver.save(SandboxState(sandbox_container="pod-2", state="ready", persist_version=2), {})
        print("sandboxes:", driver.sandbox_ids())
        driver.destroy("pod-2")
        print("after destroying pod-2:", driver.sandbox_ids())


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "fs")
