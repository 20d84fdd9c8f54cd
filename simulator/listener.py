"""hulrcvd's receive port on a simulated node: a real TCP listener on the loopback interface.

Test double. A real node's hulrcvd listens on HULFT's receive port (30000 by default) on every address,
the virtual IP included, from when it starts until it stops. Here each node gets one loopback port; it
accepts connections (and closes them at once: the client probe only connects) while the simulator says
hulrcvd runs on an online node, and is closed otherwise, so a connect is refused as on a node whose
daemon is down. The local world's VIP seam (localworld/vip_seam.py) follows the route table in moto to
the node and connects here.
"""

from __future__ import annotations

import contextlib
import socket
import threading


def _bind(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # The port is bound again after each close: connections closed here linger in TIME_WAIT.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        sock.close()
        raise
    return sock


class ReceiveListener:
    """Open (accepting) or closed (refusing); ``port`` stays the same across closes where it can."""

    def __init__(self, node: str) -> None:
        self.node = node
        probe = _bind(0)
        self.port: int = probe.getsockname()[1]
        probe.close()
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.accepted = 0

    @property
    def listening(self) -> bool:
        return self._sock is not None

    def set_listening(self, listening: bool) -> None:
        with self._lock:
            if listening and self._sock is None:
                self._open()
            elif not listening and self._sock is not None:
                self._close()

    def _open(self) -> None:
        try:
            sock = _bind(self.port)
        except OSError:  # something else took the port while it was closed: take another
            sock = _bind(0)
            self.port = sock.getsockname()[1]
        sock.listen(64)
        self._sock = sock
        self._thread = threading.Thread(target=self._accept, args=(sock,), name=f"hulrcvd-{self.node}", daemon=True)
        self._thread.start()

    def _close(self) -> None:
        sock, thread = self._sock, self._thread
        self._sock = self._thread = None
        assert sock is not None
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() below
        sock.close()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=1)

    def _accept(self, sock: socket.socket) -> None:
        while True:
            try:
                connection, _ = sock.accept()
            except OSError:
                return
            self.accepted += 1
            connection.close()

    def close(self) -> None:
        self.set_listening(False)
