#!/usr/bin/env python3
"""Order round trip of a live session, from its journal.

For every order.place answered on the WS API: the exec stage's RS_EV_ORDER
record (ts_local: when the signed request was committed, just before the
exec sink writes it to the socket) to the venue answer's RS_EV_VENUE_MSG
record (ts_local: the kernel's receive stamp of the answer). Both are
CLOCK_REALTIME on this host, so this is the whole loop: wire out, TLS, the
venue, wire back.

usage: ringside journal cat JOURNAL --type order,venue_msg | tools/python/order_rtt.py
"""
import re
import sys

sent, rtt = {}, []
for line in sys.stdin:
    if ' type=order ' in line and ' kind=1 ' in line:
        cid = int(re.search(r' client_id=(\d+)', line).group(1))
        sent['rs%016x' % cid] = int(re.search(r' ts_local=(\d+)', line).group(1))
    elif ' type=venue_msg ' in line and '"id":' in line:
        m = re.search(r'"clientOrderId":"(rs[0-9a-f]{16})"', line)
        if m and m.group(1) in sent:
            rtt.append(int(re.search(r' ts_local=(\d+)', line).group(1)) - sent.pop(m.group(1)))
if not rtt:
    sys.exit("no answered order.place in the input")
rtt.sort()


def pct(q):
    return rtt[min(len(rtt) - 1, int(q * len(rtt)))] / 1000.0


print(f"order.place -> answer: n={len(rtt)}  p50 {pct(.5):.0f} us  p90 {pct(.9):.0f} us  "
      f"p99 {pct(.99):.0f} us  max {rtt[-1] / 1000.0:.0f} us")
