"""`python -m lab.pool FD IDLE_S DROP_S`: a worker process (started by lab.pool.pool, which
passes it one end of a socket pair as file descriptor FD)."""
import sys
from multiprocessing.connection import Connection

from lab.pool import worker

worker.main(Connection(int(sys.argv[1])), idle_s=float(sys.argv[2]), drop_s=float(sys.argv[3]))
