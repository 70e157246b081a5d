#!/usr/bin/env python3
"""k8s-lab counter app: a Python standard-library HTTP server, one counter per pod.

GET /         increments the counter in $DATA_DIR/counter.json ({"counter": N}) and answers
              200 {"pod": ..., "counter": N, "version": ...}, only after the new value is durable.
GET /healthz  200 {"status": "ok", "pod": ..., "version": ...} without touching the counter;
              503 when APP_BROKEN is true-ish (a release that must fail its canary) or while
              shutting down.
anything else 404 (unknown path) or 501 (other methods), always a JSON body.

Every response carries "Connection: close" (HTTP/1.0 style): a client never keeps a connection to
a pod that may be going away, so each request goes through the Service's load balancing afresh.

Environment: PORT (8000), DATA_DIR (/data), POD_NAME (default: hostname), APP_VERSION ("v1"),
APP_BROKEN ("false"), ACCESS_LOG ("false": one line per request on stdout when true-ish).

The app is PID 1 in its container. On SIGTERM or SIGINT it stops accepting connections, lets the
requests in flight finish, and exits 0 within a couple of seconds. Writes go to DATA_DIR only, so
it runs as any non-root user on a read-only root filesystem.
"""

import json
import os
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COUNTER_FILE = "counter.json"
TMP_PREFIX = COUNTER_FILE + ".tmp-"
# How long connections that have not sent a request yet may delay the exit, and the hard limit for
# requests being processed (well inside the pod's terminationGracePeriodSeconds).
IDLE_GRACE_SECONDS = 1.0
HARD_GRACE_SECONDS = 15.0
# A client that connects and sends nothing must not hold a thread (and the shutdown) for long.
REQUEST_READ_TIMEOUT_SECONDS = 5


def truthy(value):
    return (value or "").strip().lower() in ("1", "true", "yes", "y", "on")


def log(message, stream=sys.stdout):
    stream.write("%s %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()), message))
    stream.flush()


class CorruptCounterError(Exception):
    pass


class CounterStore:
    """The counter in DATA_DIR/counter.json; increments are serialized and written atomically."""

    def __init__(self, data_dir):
        self.data_dir = data_dir
        self.path = os.path.join(data_dir, COUNTER_FILE)
        self.tmp_path = os.path.join(data_dir, "%s%d" % (TMP_PREFIX, os.getpid()))
        self.lock = threading.Lock()

    def open(self):
        """Removes leftover temp files, creates {"counter": 0} if missing, returns the counter."""
        for name in os.listdir(self.data_dir):
            if name.startswith(TMP_PREFIX):
                os.unlink(os.path.join(self.data_dir, name))
        with self.lock:
            if not os.path.exists(self.path):
                self._write(0)
                return 0
            return self._read()

    def raw(self):
        """The file's bytes as they are on disk (as `cat` prints them); it is replaced atomically."""
        with open(self.path, "rb") as f:
            return f.read()

    def increment(self):
        with self.lock:
            value = self._read() + 1
            self._write(value)
            return value

    def _read(self):
        # Re-read on every increment: the file, not memory, is the truth (an operator may have
        # edited it), and reading a few bytes costs nothing next to the fsyncs.
        try:
            with open(self.path, "rb") as f:
                raw = f.read()
            data = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            raise CorruptCounterError("%s is not valid JSON (%s)" % (self.path, e))
        value = data.get("counter") if isinstance(data, dict) else None
        if type(value) is not int or value < 0:  # bool is an int subclass: reject it too
            raise CorruptCounterError(
                '%s does not hold {"counter": <non-negative integer>}: %s' % (self.path, raw[:200])
            )
        return value

    def _write(self, value):
        payload = json.dumps({"counter": value}).encode("utf-8")
        fd = os.open(self.tmp_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(self.tmp_path, self.path)
        dir_fd = os.open(self.data_dir, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # makes the rename itself durable
        finally:
            os.close(dir_fd)


class ShutdownGate:
    """Counts accepted connections and requests being processed, so shutdown waits for them."""

    def __init__(self):
        self.cond = threading.Condition()
        self.shutting_down = False  # set on SIGTERM: /healthz answers 503 from then on
        self.closed = False  # set just before exit: no request may start processing any more
        self.connections = 0
        self.processing = 0

    def begin_request(self):
        with self.cond:
            if self.closed:
                return False
            self.processing += 1
            return True

    def end_request(self):
        with self.cond:
            self.processing -= 1
            self.cond.notify_all()

    def connection_opened(self):
        with self.cond:
            self.connections += 1

    def connection_closed(self):
        with self.cond:
            self.connections -= 1
            self.cond.notify_all()

    def drain(self):
        """Waits until every connection is done (idle ones only briefly), then closes the gate."""
        start = time.monotonic()
        with self.cond:
            while self.connections > 0:
                elapsed = time.monotonic() - start
                if self.processing == 0 and elapsed >= IDLE_GRACE_SECONDS:
                    break
                if elapsed >= HARD_GRACE_SECONDS:
                    break
                self.cond.wait(0.05)
            self.closed = True
            return self.connections, self.processing


class CounterServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # the gate does the waiting, with a deadline
    request_queue_size = 128  # the default of 5 drops SYNs under a burst of clients

    def __init__(self, address, handler, store, gate, config):
        self.store = store
        self.gate = gate
        self.config = config
        super().__init__(address, handler)

    def process_request(self, request, client_address):
        # Counted here, in the accepting thread, so drain() can never miss a connection whose
        # thread has not started yet.
        self.gate.connection_opened()
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.gate.connection_closed()
            raise

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.gate.connection_closed()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    server_version = "k8s-lab-counter"
    timeout = REQUEST_READ_TIMEOUT_SECONDS

    def do_GET(self):
        server = self.server
        if not server.gate.begin_request():
            self.send_json(503, {"error": "shutting down", "pod": server.config["pod"]})
            return
        try:
            path = self.path.split("?", 1)[0]
            if path == "/":
                self.handle_count()
            elif path == "/healthz":
                self.handle_health()
            elif path == "/counter.json":
                self.handle_file()
            else:
                self.send_json(404, {"error": "not found", "path": path})
        finally:
            server.gate.end_request()

    def handle_count(self):
        config = self.server.config
        try:
            value = self.server.store.increment()
        except CorruptCounterError as e:
            log("error: %s" % e, sys.stderr)
            self.send_json(500, {"error": "counter file is corrupt", "pod": config["pod"]})
            return
        except OSError as e:
            log("error: cannot write the counter: %s" % e, sys.stderr)
            self.send_json(500, {"error": "cannot write the counter", "pod": config["pod"]})
            return
        self.send_json(200, {"pod": config["pod"], "counter": value, "version": config["version"]})

    def handle_health(self):
        config = self.server.config
        if self.server.gate.shutting_down:
            status, code = "shutting-down", 503
        elif config["broken"]:
            status, code = "broken", 503
        else:
            status, code = "ok", 200
        self.send_json(code, {"status": status, "pod": config["pod"], "version": config["version"]})

    def handle_file(self):
        # Reads the file, counts nothing: for `k8s-lab counters` through the API server's pod proxy,
        # which costs the node far less than an exec.
        try:
            payload = self.server.store.raw()
        except OSError as e:
            self.send_json(500, {"error": "cannot read the counter file: %s" % e.strerror, "pod": self.server.config["pod"]})
            return
        self.send_payload(200, payload)

    def send_json(self, code, body):
        self.send_payload(code, (json.dumps(body) + "\n").encode("utf-8"))

    def send_payload(self, code, payload):
        """JSON bytes as the whole answer, never cached, and the connection closed after it."""
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)

    def send_error(self, code, message=None, explain=None):
        # Bad request lines, unsupported methods (501) ...: JSON too, never HTML.
        self.close_connection = True
        try:
            self.send_json(code, {"error": message or self.responses.get(code, ("error",))[0]})
        except OSError:
            pass

    def log_message(self, format, *args):
        if self.server.config["access_log"]:
            log("%s %s" % (self.address_string(), format % args))

    def log_error(self, format, *args):
        log("%s %s" % (self.address_string(), format % args), sys.stderr)


def main():
    config = {
        "pod": os.environ.get("POD_NAME") or socket.gethostname(),
        "version": os.environ.get("APP_VERSION") or "v1",
        "broken": truthy(os.environ.get("APP_BROKEN")),
        "access_log": truthy(os.environ.get("ACCESS_LOG")),
    }
    data_dir = os.environ.get("DATA_DIR") or "/data"
    try:
        port = int(os.environ.get("PORT") or "8000")
    except ValueError:
        log("fatal: PORT must be a number, got %r" % os.environ.get("PORT"), sys.stderr)
        return 2

    store = CounterStore(data_dir)
    try:
        counter = store.open()
    except CorruptCounterError as e:
        log(
            "fatal: %s. Refusing to start rather than reset the count to 0 (that would lose data): "
            'repair the file to {"counter": N} or delete it to start from 0.' % e,
            sys.stderr,
        )
        return 1
    except OSError as e:
        log("fatal: cannot use DATA_DIR %s: %s" % (data_dir, e), sys.stderr)
        return 1

    gate = ShutdownGate()
    try:
        server = CounterServer(("", port), Handler, store, gate, config)
    except OSError as e:
        log("fatal: cannot listen on port %d: %s" % (port, e), sys.stderr)
        return 1

    stop = threading.Event()

    def on_signal(signum, frame):
        gate.shutting_down = True
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    serving.start()
    log(
        "listening on :%d pod=%s version=%s broken=%s counter=%d file=%s"
        % (port, config["pod"], config["version"], config["broken"], counter, store.path)
    )
    while not stop.wait(0.5):
        pass

    log("signal received: no new connections, finishing requests in flight")
    server.shutdown()  # the accept loop has stopped once this returns
    server.socket.close()  # new connections are refused from here on
    connections, processing = gate.drain()
    if processing:
        log("warning: exiting with %d request(s) still being processed" % processing, sys.stderr)
    log("stopped (%d idle connection(s) dropped)" % connections)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # daemon threads of dropped idle connections must not delay the exit


if __name__ == "__main__":
    sys.exit(main())
