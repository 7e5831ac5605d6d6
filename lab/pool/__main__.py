"""`python -m lab.pool FD IDLE_S DROP_S`: a worker process (started by lab.pool.pool, which
passes it one end of a socket pair as file descriptor FD)."""
import os
import sys
from multiprocessing.connection import Connection

from lab.pool import worker

worker.main(Connection(int(sys.argv[1])), idle_s=float(sys.argv[2]), drop_s=float(sys.argv[3]))
# Told to exit, or the server went away: nothing is left to save, so skip the interpreter's
# teardown (torch's modules, every run's tensors): 0.67 s from "exit" to the process's end on an
# idle machine, 0.03 s without it. On a busy CI machine, at nice 5, the teardown outlasted
# WorkerProc.stop's grace and the worker was killed (SIGKILL) instead of ending.
sys.stdout.flush()
sys.stderr.flush()
os._exit(0)
