"""A real HTTP receiver on 127.0.0.1 for webhook tests: it verifies each request's signature
with the standardwebhooks library, as a customer's system would, and records what it got."""

import collections
import http.server
import threading

from standardwebhooks import Webhook, WebhookVerificationError


class Receiver:
    """Start, stop (the port refuses connections) and start again on the same port."""

    def __init__(self, secret: str = "", status: int = 204):
        self.secret = secret
        self.status = status
        self.received = collections.Counter()  # webhook-id -> requests answered 2xx
        self.types = {}  # webhook-id -> event type
        self.bad_signatures = 0
        self.lock = threading.Lock()
        self.port = 0
        self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self):
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                try:
                    event = Webhook(receiver.secret).verify(body, dict(self.headers))
                except WebhookVerificationError:
                    with receiver.lock:
                        receiver.bad_signatures += 1
                    self.send_response(400)
                    self.end_headers()
                    self.wfile.write(b"bad signature")
                    return
                status = receiver.status
                if 200 <= status < 300:
                    with receiver.lock:
                        receiver.received[self.headers["webhook-id"]] += 1
                        receiver.types[self.headers["webhook-id"]] = event["type"]
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"no")

            def log_message(self, *args):
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        """Stop taking connections: requests in progress finish, new ones are refused."""
        self._server.shutdown()
        self._server.server_close()
