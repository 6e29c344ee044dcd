"""shootout's Python stack sampler: standard library only, loaded by every Python process the
launcher starts for a profiled framework (it puts this directory first on PYTHONPATH).

Off unless SHOOTOUT_PROFILE_DIR is set. Then each process (forked workers included: the thread
is restarted after fork) runs one daemon thread that records only while the control file
SHOOTOUT_PROFILE_DIR/recording exists. The runner creates it, holding a session name, when a
measured phase starts and removes it when that phase ends; each process then writes
SHOOTOUT_PROFILE_DIR/<session>/<pid>.folded, one "module:function;...;module:function count"
line per stack (root first). A process that exits while recording writes its file at exit.

What a sample is worth: CPU time, not wall time. At every tick the sampler reads each thread's
on-CPU time (/proc/self/task/<tid>/schedstat) and credits the time used since the previous
tick to the stack the thread is in now; "count" is that CPU time in units of one tick
(1/SHOOTOUT_PROFILE_HZ s). Threads that wait (an event loop in epoll, a worker on its queue)
cost nothing and so do not bury the code that works.

Where the main thread's time goes needs one more source. The sampler thread can only look at
the other threads when it holds the GIL, so it tends to see the main thread where it released
the GIL (an event loop waiting in epoll), not where it computes. So while recording, a SIGPROF
timer (ITIMER_PROF: it runs on the process's CPU time, not the wall clock) makes the main thread
note its own stack between two bytecodes; the main thread's CPU time is shared out among the
stacks it noted since the previous tick.
"""

import os
import signal
import sys
import threading
import time

_DIR = os.environ.get("SHOOTOUT_PROFILE_DIR", "")
_IDLE_POLL = 0.05
_OWN_GLOBALS = globals()  # seconds between looks at the control file while not recording


def _chain_shadowed_sitecustomize():
    # Being first on PYTHONPATH hides the system's sitecustomize (Debian has one); run it too.
    import importlib.machinery
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    rest = [p for p in sys.path if os.path.abspath(p or ".") != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is None or spec.origin is None or os.path.abspath(spec.origin) == os.path.abspath(__file__):
        return
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception:  # the system's hook failing must not stop the server
        pass


def _frame_name(frame):
    code = frame.f_code
    return "%s:%s" % (frame.f_globals.get("__name__", "?"), getattr(code, "co_qualname", code.co_name))


def _stack(frame):
    names = []
    while frame is not None:
        if frame.f_globals is not _OWN_GLOBALS:  # the sampler's own frames (its SIGPROF handler) are not the app's
            names.append(_frame_name(frame))
        frame = frame.f_back
    names.reverse()
    return ";".join(names).replace(" ", "_")


def _thread_cpu_ns(native_id):
    try:
        with open("/proc/self/task/%d/schedstat" % native_id, "rb") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


class _Sampler:
    def __init__(self, directory, hz):
        self.directory = directory
        self.control = os.path.join(directory, "recording")
        self.tick_ns = int(1e9 / hz)
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.session = None
        self.control_id = None
        self.control_name = None
        self.cpu_ns = {}  # stack -> on-CPU ns credited to it
        self.main_stacks = []  # the main thread's stacks noted by SIGPROF since the last tick
        self.last_cpu = {}  # native thread id -> its CPU ns at the previous tick
        self.thread = None

    def start(self):
        self.thread = threading.Thread(target=self.run, name="shootout-profiler", daemon=True)
        self.thread.start()

    def after_fork_in_child(self):
        # The parent's samples belong to the parent; the child starts clean with its own thread.
        self.lock = threading.Lock()
        self.reset()
        self.start()

    def read_control(self):
        try:
            st = os.stat(self.control)
        except OSError:
            return None
        ident = (st.st_ino, st.st_mtime_ns)
        if ident != self.control_id:
            try:
                with open(self.control) as f:
                    name = f.read().strip()
            except OSError:
                return None
            self.control_id = ident
            self.control_name = name if name and "/" not in name and not name.startswith(".") else None
        return self.control_name

    def run(self):
        me = threading.get_ident()
        while True:
            wanted = self.read_control()
            with self.lock:
                if wanted != self.session:
                    if self.session is not None:
                        self.flush_locked()
                    self.session = wanted
                    self.cpu_ns = {}
                    self.last_cpu = {}
                    self.main_stacks = []
                    self.set_timer(self.session is not None)
                if self.session is not None:
                    self.sample_locked(me)
            time.sleep(self.tick_ns / 1e9 if self.session is not None else _IDLE_POLL)

    def set_timer(self, on):
        # Armed only while SIGPROF is ours: the app may have its own handler, and a default
        # action would kill the process ("Profiling timer expired").
        if on and signal.getsignal(signal.SIGPROF) != self.on_sigprof:
            return
        try:
            interval = self.tick_ns / 1e9 if on else 0
            signal.setitimer(signal.ITIMER_PROF, interval, interval)
        except (OSError, ValueError):
            pass

    def on_sigprof(self, signum, frame):
        # Runs in the main thread between two bytecodes: `frame` is where it computes. No lock
        # here (the main thread may hold it at exit); appending to a list is atomic.
        if frame is not None and frame.f_globals is _OWN_GLOBALS:
            return  # it interrupted the sampler itself
        if self.session is not None and frame is not None and len(self.main_stacks) < 1000:
            self.main_stacks.append(_stack(frame))

    def sample_locked(self, me):
        threads = {t.ident: t.native_id for t in threading.enumerate()}
        main = threading.main_thread().ident
        # After a fork, Python 3.11 keeps the parent's native id for the main thread, whose
        # /proc/self/task entry does not exist in the child: it would count as busy all the time
        # (wall time). The main thread of a process is its leader, whose thread id is the pid.
        threads[main] = os.getpid()
        noted, self.main_stacks = self.main_stacks, []
        for ident, frame in sys._current_frames().items():
            if ident == me:
                continue
            native = threads.get(ident)
            now = _thread_cpu_ns(native) if native is not None else None
            if now is None:
                used = self.tick_ns  # a thread we cannot measure counts as busy (wall time)
            else:
                before = self.last_cpu.get(native)
                self.last_cpu[native] = now
                if before is None:
                    continue  # first sight: its CPU so far was not spent in this stack
                used = now - before
                if used <= 0:
                    continue
            if ident == main and noted:
                share = used / len(noted)
                for key in noted:
                    self.cpu_ns[key] = self.cpu_ns.get(key, 0) + share
                continue
            key = _stack(frame)
            self.cpu_ns[key] = self.cpu_ns.get(key, 0) + used

    def flush_locked(self):
        out_dir = os.path.join(self.directory, self.session)
        try:
            os.makedirs(out_dir, exist_ok=True)
            path = os.path.join(out_dir, "%d.folded" % os.getpid())
            temporary = path + ".tmp"
            with open(temporary, "w") as f:
                for stack in sorted(self.cpu_ns):
                    count = int(round(self.cpu_ns[stack] / self.tick_ns))
                    if count > 0:
                        f.write("%s %d\n" % (stack, count))
            os.replace(temporary, path)  # the runner sees a whole file or none
        except OSError:
            pass

    def flush_at_exit(self):
        # The timer first: later in shutdown Python gives SIGPROF back its default action, which
        # would kill the process ("Profiling timer expired") before it exits.
        self.set_timer(False)
        with self.lock:
            if self.session is not None:
                self.flush_locked()
                self.session = None


def _install():
    try:
        hz = float(os.environ.get("SHOOTOUT_PROFILE_HZ", "97"))
    except ValueError:
        hz = 97.0
    sampler = _Sampler(_DIR, min(max(hz, 1.0), 1000.0))
    try:
        if signal.getsignal(signal.SIGPROF) in (signal.SIG_DFL, None):  # never take it from the app
            signal.signal(signal.SIGPROF, sampler.on_sigprof)
            signal.siginterrupt(signal.SIGPROF, False)  # SA_RESTART: C libraries need not see EINTR
    except (OSError, ValueError):
        pass  # not the main thread: the thread sampler alone
    sampler.start()
    os.register_at_fork(after_in_child=sampler.after_fork_in_child)
    import atexit

    atexit.register(sampler.flush_at_exit)


if _DIR:
    _install()
_chain_shadowed_sitecustomize()
