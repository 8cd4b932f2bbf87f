#!/bin/sh
# package.sh — `pipec package FILE.yaml -o DIR`: the binary (static, stripped), a Dockerfile and a
# Kubernetes manifest that are well-formed and refer to what exists: the Dockerfile's COPY sources
# are in DIR, its HEALTHCHECK and the manifest's probes and preStop use the binary's own commands
# and admin port, the manifest parses as YAML (python3-yaml) and mounts the volume it claims.
. "$(dirname "$0")/lib.sh"
[ -x "$PIPEC" ] || { skip package/all "no $PIPEC (build first)"; exit 0; }
python3 -c 'import yaml' 2> /dev/null || { skip package/all "python3-yaml is not installed (scripts/deps.sh installs it)"; exit 0; }
OUT="$TMP_ROOT/pkg"
if "$PIPEC" package "$ROOT/tests/runtime/admin/live.yaml" -o "$OUT" > "$TMP_ROOT/package.out" 2>&1; then
    pass package/runs
else
    fail package/runs "$(head -n 5 "$TMP_ROOT/package.out" | tr '\n' '|')"; exit 0
fi
BIN="$OUT/live_orders"
if file "$BIN" | grep -q 'statically linked.*, stripped'; then pass package/binary-static-stripped
else fail package/binary-static-stripped "$(file "$BIN")"; fi

# Dockerfile: FROM scratch, every COPY source exists in DIR, non-root USER, VOLUME, EXPOSE of the
# admin port, a HEALTHCHECK the binary answers, and the entrypoint is the copied binary
r=$(python3 - "$OUT" <<'EOF'
import json, os, re, sys
d = sys.argv[1]
lines = [l.strip() for l in open(os.path.join(d, "Dockerfile")).read().replace("\\\n", " ").splitlines()]
ins = [l.split(None, 1) for l in lines if l and not l.startswith("#")]
first = {}
for k, v in ins:
    first.setdefault(k, v)
problems = []
if ins[0] != ["FROM", "scratch"]:
    problems.append("not FROM scratch: %r" % (ins[0],))
copied = {}
for k, v in ins:
    if k == "COPY":
        args = [a for a in v.split() if not a.startswith("--")]
        src, dst = args[0], args[1]
        if not os.path.exists(os.path.join(d, src)):
            problems.append("COPY source %s missing" % src)
        copied[dst.rstrip("/") or "/"] = src
user = first.get("USER", "")
if not user or user.split(":")[0] in ("0", "root"):
    problems.append("runs as root: USER %r" % user)
vol = json.loads(first.get("VOLUME", "[]"))
if vol != ["/state"] or "/state" not in copied:
    problems.append("volume %r, copied %r" % (vol, list(copied)))
hc = first.get("HEALTHCHECK", "")
m = re.search(r"CMD (\[.*\])", hc)
cmd = json.loads(m.group(1)) if m else []
entry = json.loads(first.get("ENTRYPOINT", "[]"))
run = json.loads(first.get("CMD", "[]"))
if not cmd or cmd[0] not in copied or cmd[1:3] != ["health", "--admin"]:
    problems.append("healthcheck %r" % cmd)
if entry != ["/live_orders"] or "/live_orders" not in copied:
    problems.append("entrypoint %r" % entry)
port = first.get("EXPOSE", "")
if "--admin" not in run or run[run.index("--admin") + 1] != "0.0.0.0:" + port or cmd[3] != "127.0.0.1:" + port:
    problems.append("admin port: EXPOSE %s, CMD %r, healthcheck %r" % (port, run, cmd))
print("ok" if not problems else "; ".join(problems))
EOF
)
[ "$r" = ok ] && pass package/dockerfile || fail package/dockerfile "$r"

# the manifest: a headless Service and a StatefulSet whose probes, preStop, volume and requests fit
r=$(python3 - "$OUT/live_orders.k8s.yaml" "$OUT/Dockerfile" <<'EOF'
import sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
port = int([l.split()[1] for l in open(sys.argv[2]) if l.startswith("EXPOSE ")][0])
problems = []
kinds = [d["kind"] for d in docs]
if kinds != ["Service", "StatefulSet"]:
    problems.append("kinds %r" % kinds)
svc, sts = docs[0], docs[1]
spec = sts["spec"]
pod = spec["template"]["spec"]
c = pod["containers"][0]
ports = {p["name"]: p["containerPort"] for p in c["ports"]}
if ports.get("admin") != port:
    problems.append("container ports %r, EXPOSE %d" % (ports, port))
if svc["spec"]["ports"][0]["port"] != port or svc["spec"]["selector"] != spec["selector"]["matchLabels"]:
    problems.append("service %r" % svc["spec"])
if spec["template"]["metadata"]["labels"] != spec["selector"]["matchLabels"]:
    problems.append("selector does not match the pod labels")
for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
    g = c[probe]["httpGet"]
    if g["path"] != path or g["port"] not in ports:
        problems.append("%s %r" % (probe, g))
stop = c["lifecycle"]["preStop"]["exec"]["command"]
if stop[:4] != ["/live_orders", "stop", "--admin", "127.0.0.1:%d" % port] or "--savepoint" not in stop:
    problems.append("preStop %r" % stop)
claims = [t["metadata"]["name"] for t in spec["volumeClaimTemplates"]]
mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
if claims != ["state"] or mounts.get("state") != "/state":
    problems.append("claims %r mounts %r" % (claims, mounts))
sp = stop[stop.index("--savepoint") + 1]
if not sp.startswith("/state/") or "checkpoint.dir=/state/checkpoints" not in c["args"]:
    problems.append("state outside the volume: %r %r" % (sp, c["args"]))
if c["args"][:3] != ["run", "--admin", "0.0.0.0:%d" % port]:
    problems.append("args %r" % c["args"])
mem = c["resources"]["requests"]["memory"]
if not (mem.endswith("Mi") and int(mem[:-2]) > 32):
    problems.append("memory request %r" % mem)
if pod["securityContext"].get("runAsNonRoot") is not True:
    problems.append("not runAsNonRoot")
print("ok" if not problems else "; ".join(problems))
EOF
)
[ "$r" = ok ] && pass package/k8s-manifest || fail package/k8s-manifest "$r"

# the HEALTHCHECK command itself: exit 3 when no job answers, 0 when one does
"$BIN" health --admin 127.0.0.1:1 > /dev/null 2>&1
[ $? -eq 3 ] && pass package/health-nobody || fail package/health-nobody "health against a dead address did not exit 3"
(cd "$TMP_ROOT" && exec "$BIN" run --admin 127.0.0.1:0 --quiet < /dev/null > /dev/null 2> live.err) &
PIDS="$PIDS $!"
i=0
while ! grep -q 'admin endpoint on' "$TMP_ROOT/live.err" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
A=$(sed -n 's,.*admin endpoint on http://\([^/]*\)/.*,\1,p' "$TMP_ROOT/live.err" | head -n 1)
if [ -n "$A" ] && "$BIN" health --admin "$A" > /dev/null 2>&1 && "$BIN" health --admin "$A" --ready > /dev/null 2>&1; then
    pass package/health
else
    fail package/health "health at '$A' failed"
fi
