#!/usr/bin/python3
"""An independent RFC 6455 peer for the ringside WebSocket client:
python3-websockets (Debian) over TLS. Prints "PORT <n>" once listening.

Paths:
  /echo            echo every message back
  /stream?n=N      send N text messages "msg <i>" then wait
  /frag            send one message in 3 fragments ("frag-a", "frag-b", "frag-c")
  /ping            ping with payload b"ringside-ping", await the matching pong,
                   then send "pong-ok" (websockets resolves the waiter only
                   when the pong carries the same payload)
  /close           close with code 4000 reason "bye"; after the handshake
                   completes send nothing more
  /big?n=N         send one N-byte text message
Usage: ws_peer_server.py CERT KEY
"""
import asyncio
import ssl
import sys
import urllib.parse

import websockets


async def handler(ws, path):
    u = urllib.parse.urlparse(path)
    q = urllib.parse.parse_qs(u.query)
    try:
        if u.path == "/echo":
            async for m in ws:
                await ws.send(m)
        elif u.path == "/stream":
            n = int(q.get("n", ["10"])[0])
            for i in range(n):
                await ws.send("msg %d" % i)
            await ws.wait_closed()
        elif u.path == "/frag":
            await ws.send(["frag-a", "frag-b", "frag-c"])
            await ws.wait_closed()
        elif u.path == "/ping":
            w = await ws.ping(b"ringside-ping")
            await asyncio.wait_for(w, 5)
            await ws.send("pong-ok")
            await ws.wait_closed()
        elif u.path == "/close":
            await ws.close(4000, "bye")
            print("CLOSED-CLEANLY %s" % (ws.close_code,), flush=True)
        elif u.path == "/big":
            n = int(q.get("n", ["100000"])[0])
            await ws.send("x" * n)
            await ws.wait_closed()
        else:
            await ws.close(1008, "unknown path")
    except websockets.ConnectionClosed:
        pass


async def main():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[1], sys.argv[2])
    async with websockets.serve(handler, "127.0.0.1", 0, ssl=ctx, max_size=2**22) as srv:
        port = srv.sockets[0].getsockname()[1]
        print("PORT %d" % port, flush=True)
        await asyncio.Future()


asyncio.run(main())
