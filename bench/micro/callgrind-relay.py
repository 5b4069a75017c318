#!/usr/bin/env python3
"""bench/micro/callgrind-relay.py — instructions per relayed SIP message, counted by
`valgrind --tool=callgrind` on a real siplb process (dist/cli), whatever else the machine does.

This script plays the caller and one backend (plain UDP sockets on loopback, NOT under valgrind).
Each round sends BURST INVITEs (new Call-IDs) to siplb; the backend answers each forwarded INVITE
with a 200 OK built from it, which siplb relays back: 2 relayed messages per call, the whole
proxy path (parse, route, Via/Record-Route, affinity) both ways. Health probes, overload
control, failover and passive checks are off (valgrind's slowness would trip their timers). Two runs per engine, WARMUP calls and WARMUP + CALLS
calls; the count per message is their DIFFERENCE over the 2 x CALLS extra messages, so start-up,
the JIT's warm-up and shutdown cancel out. (Switching instrumentation on after a warm-up with
`callgrind_control -i on` would be cheaper, but under this sandbox's kernel the process stopped
handling datagrams after the switch.)

Usage: npm run build && npm run build:native &&
       python3 bench/micro/callgrind-relay.py [ENGINE=native|dgram ...]
Env: BURST 32, WARMUP 300, CALLS 1000, PORT 45160, BACKEND_PORT 45171; NO_VALGRIND=1 checks the
driver without valgrind. Prints one JSON line per engine. Loopback only; siplb is started here
and stopped by its PID.
"""
import json, os, re, signal, socket, subprocess, sys, tempfile, time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NODE = os.path.join(REPO, "node_modules/.bin/node")
CLI = os.path.join(REPO, "dist/cli/index.js")
BURST = int(os.environ.get("BURST", "32"))
WARMUP, CALLS = int(os.environ.get("WARMUP", "300")), int(os.environ.get("CALLS", "1000"))
PORT, BPORT = int(os.environ.get("PORT", "45160")), int(os.environ.get("BACKEND_PORT", "45171"))
HOST = "127.0.0.1"


def config(engine: str, d: str) -> str:
    p = os.path.join(d, f"siplb-{engine}.yaml")
    with open(p, "w") as f:
        f.write(f"""sip:
  listen: {HOST}:{PORT}
  udpEngine: {engine}
backends:
  - {{ id: gw1, address: {HOST}:{BPORT} }}
health:
  enabled: false
# valgrind slows siplb ~50x: overload control would shed the calls being counted, and the
# backend's answers would miss failover.timeout (400 ms: a failover, then 503s) and passive checks.
overload:
  enabled: false
failover:
  enabled: false
passive:
  enabled: false
admin:
  listen: {HOST}:0
log:
  level: warn
""")
    return p


def invite(n: int, lport: int) -> bytes:
    return (f"INVITE sip:bob@{HOST}:{PORT} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {HOST}:{lport};branch=z9hG4bK-cg{n};rport\r\n"
            f"Max-Forwards: 70\r\nFrom: <sip:alice@{HOST}>;tag=a{n}\r\nTo: <sip:bob@{HOST}>\r\n"
            f"Call-ID: cg-{n}-{os.getpid()}@{HOST}\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@{HOST}:{lport}>\r\n"
            f"Content-Type: application/sdp\r\nContent-Length: 0\r\n\r\n").encode()


HDR_KEEP = re.compile(rb"^(via|v|from|f|to|t|call-id|i|cseq|record-route):", re.I)


def answer(req: bytes) -> bytes:
    """A 200 OK to a forwarded INVITE: its Vias, From, To (+tag), Call-ID, CSeq, Record-Route."""
    head = req.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]
    keep = [h + (b";tag=b1" if h.lower().startswith(b"to:") else b"") for h in head if HDR_KEEP.match(h)]
    return b"\r\n".join([b"SIP/2.0 200 OK", *keep, b"Content-Length: 0", b"", b""])


LOST = {"messages": 0}


def drive(first: int, calls: int, caller: socket.socket, backend: socket.socket) -> None:
    """Rounds of BURST calls. A message that does not come within the socket timeout is counted
    in LOST (reported) and the round goes on, so one loss cannot hang the run."""
    lport = caller.getsockname()[1]
    done = 0
    while done < calls:
        n = min(BURST, calls - done)
        for i in range(n):
            caller.sendto(invite(first + done + i, lport), (HOST, PORT))
        answered = 0
        for _ in range(n):
            try:
                req, src = backend.recvfrom(65535)
            except socket.timeout:
                LOST["messages"] += n - answered
                break
            backend.sendto(answer(req), src)
            answered += 1
        for _ in range(answered):
            try:
                caller.recvfrom(65535)
            except socket.timeout:
                LOST["messages"] += 1
                break
        done += n


def ping(sock: socket.socket) -> bool:
    lport = sock.getsockname()[1]
    msg = (f"OPTIONS sip:{HOST}:{PORT} SIP/2.0\r\nVia: SIP/2.0/UDP {HOST}:{lport};branch=z9hG4bKping{time.time_ns()}\r\n"
           f"From: <sip:p@{HOST}>;tag=p\r\nTo: <sip:{HOST}:{PORT}>\r\nCall-ID: ping{time.time_ns()}\r\nCSeq: 1 OPTIONS\r\n"
           f"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n").encode()
    sock.sendto(msg, (HOST, PORT))
    try:
        sock.recvfrom(65535)
        return True
    except socket.timeout:
        return False


def measure(engine: str, calls: int, d: str) -> int:
    out = os.path.join(d, f"cg-{engine}-{calls}.out")
    vg = [] if os.environ.get("NO_VALGRIND") else ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
    proc = subprocess.Popen([*vg, NODE, "--max-semi-space-size=4", CLI, "start", "--config", config(engine, d)],
                            stdout=subprocess.DEVNULL, stderr=open(os.path.join(d, f"vg-{engine}-{calls}.log"), "w"))
    caller = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    backend = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        caller.bind((HOST, 0))
        backend.bind((HOST, BPORT))
        caller.settimeout(1.0)
        deadline = time.time() + 300
        while not ping(caller):
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"siplb under valgrind did not come up (see {d})")
        caller.settimeout(30.0)
        backend.settimeout(30.0)
        drive(0, calls, caller, backend)
    except Exception:
        print(open(os.path.join(d, f"vg-{engine}-{calls}.log")).read()[-3000:], file=sys.stderr)
        raise
    finally:
        proc.send_signal(signal.SIGTERM)  # by PID: the process started above
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        caller.close()
        backend.close()
    if not vg:
        return 0
    total = 0
    with open(out) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                total = int(line.split()[1])
    return total


def main() -> None:
    engines = [a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("ENGINE=")] or ["native", "dgram"]
    with tempfile.TemporaryDirectory() as d:
        for engine in engines:
            lo, hi = measure(engine, WARMUP, d), measure(engine, WARMUP + CALLS, d)
            print(json.dumps({"engine": engine, "burst": BURST, "calls_lo": WARMUP, "calls_hi": WARMUP + CALLS, "ir_lo": lo, "ir_hi": hi,
                              "instructions_per_relayed_message": round((hi - lo) / (2 * CALLS)),
                              "lost_messages": LOST["messages"]}), flush=True)


if __name__ == "__main__":
    main()
