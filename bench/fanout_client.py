"""A fleet of Socket.IO clients for the fan-out benchmark, in one asyncio loop per process.

Each client speaks Engine.IO 4 / Socket.IO 5 over a WebSocket (wsproto on an asyncio protocol):
it opens, answers pings, connects with an API token, joins a thread's room and notes the moment each
``post.new`` arrives. The receipt time is taken when the bytes come off the socket, before any
parsing, with ``time.monotonic()``: CLOCK_MONOTONIC is one clock for every process of the machine,
so the parent process that makes the post can subtract its own reading. A client does a few
microseconds of work per message, so a fleet of 250 in one process measures the server, not itself
(the threaded python-socketio ``Client`` used before needed three threads per connection, and with
500 of them in one process the receipt times were those of the GIL's queue).

Driven by bench/discussions_bench.py (``fanout``): the settings come as one JSON line on standard
input; the process answers ``ready <json>`` once its clients have joined, ``done <post id>`` when
each of them has the post, and its receipts as JSON after ``quit``.

    {"ports": [5001, 5002], "token": "hub_…", "room": "thread:1", "first": 0, "count": 250}
"""
import asyncio
import json
import sys
import time

from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Ping, RejectConnection, Request, TextMessage


class Client(asyncio.Protocol):
    def __init__(self, fleet, port, token, room):
        self.fleet, self.port, self.token, self.room = fleet, port, token, room
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.transport = None
        self.joined = asyncio.get_running_loop().create_future()
        self.partial = []
        self.closed = False

    # transport
    def connection_made(self, transport):
        self.transport = transport
        self.transport.write(self.ws.send(Request(
            host=f"127.0.0.1:{self.port}", target="/socket.io/?EIO=4&transport=websocket",
            extra_headers=[(b"origin", f"http://127.0.0.1:{self.port}".encode())],
        )))

    def data_received(self, data):
        now = time.monotonic()
        self.ws.receive_data(data)
        for event in self.ws.events():
            if isinstance(event, TextMessage):
                self.partial.append(event.data)
                if event.message_finished:
                    message, self.partial = "".join(self.partial), []
                    self.on_message(message, now)
            elif isinstance(event, Ping):
                self.transport.write(self.ws.send(event.response()))
            elif isinstance(event, (CloseConnection, RejectConnection)):
                self.lost(f"closed by the server: {event!r}")
            elif isinstance(event, AcceptConnection):
                pass

    def connection_lost(self, exc):
        self.lost(f"connection lost: {exc!r}")

    def lost(self, why):
        if not self.closed:
            self.closed = True
            self.fleet.lost.append(why)
            if not self.joined.done():
                self.joined.set_exception(ConnectionError(why))

    def send(self, text):
        if not self.closed:
            self.transport.write(self.ws.send(TextMessage(data=text)))

    # Engine.IO / Socket.IO
    def on_message(self, message, now):
        kind = message[:1]
        if kind == "2":  # ping
            self.send("3")
        elif kind == "0":  # Engine.IO open: connect to the default namespace with the token
            self.send("40" + json.dumps({"token": self.token}))
        elif message.startswith('42["post.new"'):
            post_id = json.loads(message[2:])[1]["post_id"]
            self.fleet.received(post_id, now)
        elif message.startswith("40"):  # connected: join the room (acknowledgement id 1)
            self.send("421" + json.dumps(["join", {"room": self.room}]))
        elif message.startswith("431"):
            answer = json.loads(message[3:])[0]
            if not self.joined.done():
                if answer.get("ok"):
                    self.joined.set_result(True)
                else:
                    self.joined.set_exception(ConnectionError(f"join refused: {answer}"))
        elif message.startswith("44"):
            self.lost(f"connection refused: {message}")
        elif kind == "4":
            self.fleet.other += 1  # other events (presence…)

    def close(self):
        if not self.closed and self.transport is not None:
            self.closed = True
            try:
                self.transport.write(self.ws.send(CloseConnection(code=1000)))
            except Exception:
                pass
            self.transport.close()


class Fleet:
    def __init__(self, count):
        self.count = count
        self.receipts = {}
        self.lost = []
        self.other = 0
        self.done = set()

    def received(self, post_id, now):
        times = self.receipts.setdefault(post_id, [])
        times.append(now)
        if len(times) == self.count and post_id not in self.done:
            self.done.add(post_id)
            print(f"done {post_id}", flush=True)


async def connect(fleet, port, token, room, timeout=60):
    loop = asyncio.get_running_loop()
    _transport, client = await asyncio.wait_for(
        loop.create_connection(lambda: Client(fleet, port, token, room), "127.0.0.1", port), timeout)
    await asyncio.wait_for(client.joined, timeout)
    return client


async def main():
    settings = json.loads(sys.stdin.readline())
    ports, first, count = settings["ports"], settings["first"], settings["count"]
    fleet = Fleet(count)
    started = time.monotonic()
    gate = asyncio.Semaphore(settings.get("parallel", 25))  # handshakes in flight at once

    async def one(i):
        async with gate:
            return await connect(fleet, ports[i % len(ports)], settings["token"], settings["room"])

    clients = await asyncio.gather(*(one(i) for i in range(first, first + count)))
    print("ready " + json.dumps({"connected": len(clients), "connect_seconds": time.monotonic() - started}), flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = (await reader.readline()).decode().strip()
        if line in ("quit", ""):
            break
    for client in clients:
        client.close()
    await asyncio.sleep(0.2)
    print(json.dumps({"receipts": fleet.receipts, "lost": fleet.lost[:20], "lost_count": len(fleet.lost), "other_messages": fleet.other}), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
