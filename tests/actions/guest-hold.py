# Holds memory in its cgroup for the guest test of memory.reclaim: ANON MiB
# of anonymous memory, and FILE MiB of page cache it writes, syncs and
# mlocks (unevictable: the kernel's memory.reclaim ends in EAGAIN there).
# Prints "ready" when both are in place, then sleeps until killed.
import ctypes
import mmap
import os
import sys
import time

path, anon_mib, file_mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
anon = bytearray(b"\x01") * (anon_mib << 20)
with open(path, "wb") as f:
    chunk = b"\x02" * (1 << 20)
    for _ in range(file_mib):
        f.write(chunk)
    f.flush()
    os.fsync(f.fileno())
f = open(path, "r+b")
m = mmap.mmap(f.fileno(), 0, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ | mmap.PROT_WRITE)
libc = ctypes.CDLL(None, use_errno=True)
libc.mlock.argtypes = (ctypes.c_void_p, ctypes.c_size_t)
addr = ctypes.addressof(ctypes.c_char.from_buffer(m))
if libc.mlock(ctypes.c_void_p(addr), len(m)) != 0:
    sys.exit("mlock: " + os.strerror(ctypes.get_errno()))
print("ready", flush=True)
while True:
    time.sleep(3600)
