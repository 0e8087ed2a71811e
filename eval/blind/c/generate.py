"""Generate runbooks for /work/notes/batch-c/*.yaml with the installed agent at a given checkout.
usage: python gen_c.py OUTDIR [PYTHONPATH]"""
import subprocess, sys, yaml, pathlib, os, tempfile
out = pathlib.Path(sys.argv[1]); out.mkdir(parents=True, exist_ok=True)
env = dict(os.environ)
if len(sys.argv) > 2:
    env["PYTHONPATH"] = sys.argv[2]
crit = {"tier1": "critical", "tier2": "high", "tier3": "medium"}
for f in sorted(pathlib.Path("/work/notes/batch-c").glob("c*.yaml")):
    case = yaml.safe_load(f.read_text())
    a = case.get("answers", {})
    oc = str(a.get("on_call", "")).lower()
    oncall = "business hours" if "business" in oc else "follow-the-sun" if "follow" in oc else "24/7"
    st = str(a.get("service_type", "other"))
    envmap = {"kubernetes": "kubernetes", "docker-compose": "docker", "ecs": "docker", "vm": "vms", "serverless": "serverless"}
    typemap = {"web": "web", "api": "api", "worker": "worker", "database": "database", "cache": "other: cache",
               "queue": "other: queue", "batch": "data pipeline", "streaming": "data pipeline", "serverless": "data pipeline"}
    e = str(a.get("environment", "kubernetes")); e = envmap.get(e, "bare metal" if "bare" in e else "vms")
    m = str(a.get("monitoring", "prometheus")); m = m if not m.startswith("other") else "custom"
    st = typemap.get(st, "other: " + st.split(":", 1)[-1].strip())
    args = ["--type", st, "--env", e, "--monitoring", m,
            "--criticality", crit.get(str(a.get("criticality", "tier2")), "high"),
            "--oncall", oncall]
    d = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False); d.write(case["description"]); d.close()
    tmp = tempfile.mkdtemp()
    r = subprocess.run([sys.executable, "-m", "agent", "generate", "--service-file", d.name, *args, "--out", tmp,
                        "--tracking", tmp + "/T.md"], capture_output=True, text=True, env=env, timeout=300)
    mds = [p for p in pathlib.Path(tmp).glob("runbook-*.md")]
    print(f.stem, r.returncode, mds[0].name if mds else "-", (r.stderr.strip().splitlines() or [""])[-1][:150])
    if mds:
        (out / f"{f.stem}.md").write_text(mds[0].read_text())
    (out / f"{f.stem}.desc.txt").write_text(case["description"])
