"""Every byte the server sends, counted on its socket: status lines, headers and bodies of every
request — the page's, the service worker's and the browser's own (icons, manifest) alike.

    server = MeteredServer(app).start()
    ... the phone does something ...
    server.meter.since(mark)  → [(method, path with query, bytes), …]
"""
import threading

from werkzeug.serving import WSGIRequestHandler, make_server


class _CountingWriter:
    def __init__(self, raw):
        self.raw, self.count = raw, 0

    def write(self, data):
        self.count += len(data)
        return self.raw.write(data)

    def __getattr__(self, name):
        return getattr(self.raw, name)


class Meter:
    """The requests answered so far, each with the bytes sent for it."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []

    def add(self, method, path, sent):
        with self.lock:
            self.requests.append((method, path, sent))

    def mark(self):
        with self.lock:
            return len(self.requests)

    def since(self, mark=0):
        with self.lock:
            return list(self.requests[mark:])

    def bytes(self, mark=0, prefix=""):
        return sum(n for _m, path, n in self.since(mark) if path.startswith(prefix))


class _CountingHandler(WSGIRequestHandler):
    def setup(self):
        super().setup()
        self.wfile = _CountingWriter(self.wfile)

    def handle_one_request(self):
        before = self.wfile.count
        super().handle_one_request()
        sent = self.wfile.count - before
        if sent and getattr(self, "path", None):
            self.server.meter.add(self.command, self.path, sent)

    def log_request(self, *args, **kwargs):
        pass  # a benchmark's output is its figures


class MeteredServer:
    """The app served by werkzeug in a thread on 127.0.0.1, counting what it sends."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True,
                                  request_handler=_CountingHandler)
        self.server.meter = self.meter = Meter()
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()
