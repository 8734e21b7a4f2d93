#!/usr/bin/env python3
"""The YAML and JSON half of scripts/check-deploy: what no off-the-shelf tool
checks about tally's deployment files.

Subcommands (each prints what it checked; exit status 1 on any failure):

  split OUTDIR FILE...   one file per built-in resource, for kubernetes-validate;
                         '-' reads a rendered kustomization from stdin
  crossref FILE          references inside one rendered kustomization resolve
  rules FILE OUT         the PrometheusRule's spec to OUT, for promtool
  grafana FILE           the dashboard parses and uses only exported metrics
  polls FILE...          poll definitions tally would accept
"""

import json
import re
import sys
import tomllib
from datetime import datetime
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

# The metrics tally exports (the product's contract). A name used by the
# dashboard or the alerts must be here and, when the source is present, in
# src/ as well.
METRICS = {
    "tally_http_requests_total",
    "tally_http_request_duration_seconds",
    "tally_http_connections",
    "tally_hits_total",
    "tally_visits_total",
    "tally_page_views_total",
    "tally_page_views_dropped_total",
    "tally_ballots_total",
    "tally_rate_limited_total",
    "tally_store_operation_duration_seconds",
    "tally_store_errors_total",
    "tally_store_up",
    "tally_store_writable",
    "tally_store_write_failures_total",
    "tally_hit_buffer",
    "tally_hit_buffer_dropped_total",
    "tally_batch_flush_duration_seconds",
    "tally_rate_limiter_keys",
    "tally_admin_auth_failures_total",
    "tally_admin_lockouts_total",
    "tally_ballot_retractions_waiting",
    "tally_ballots_retracted_total",
    "tally_live_streams",
    "tally_challenges_issued_total",
    "tally_challenge_failures_total",
    "tally_challenge_level",
    "tally_challenge_level_changes_total",
    "tally_retention_deleted_total",
    "tally_retention_last_success_timestamp_seconds",
    "tally_retention_sweep_failures_total",
    "tally_build_info",
    "tally_process_resident_memory_bytes",
    "tally_process_cpu_seconds_total",
    "tally_process_open_fds",
    "tally_process_max_fds",
    "tally_process_start_time_seconds",
    "tally_process_virtual_memory_bytes",
}
HISTOGRAMS = {
    "tally_http_request_duration_seconds",
    "tally_store_operation_duration_seconds",
    "tally_batch_flush_duration_seconds",
}

# Settings tally reads (the contract's table); names found in src/ are added.
SETTINGS = {
    "TALLY_LISTEN", "TALLY_OPS_LISTEN", "TALLY_REDIS_URL", "TALLY_REDIS_CLUSTER_NODES",
    "TALLY_DATA_DIR", "TALLY_ADMIN_TOKEN", "TALLY_ADMIN_TOKENS", "TALLY_TRUSTED_PROXIES", "TALLY_ALLOWED_ORIGINS",
    "TALLY_TIMEZONE", "TALLY_COUNTER_BASELINE", "TALLY_POLLS_FILE", "TALLY_VISIT_WINDOW",
    "TALLY_VOTES_PER_ADDRESS", "TALLY_RATE_LIMIT", "TALLY_VOTE_RATE_LIMIT", "TALLY_MAX_PAGES",
    "TALLY_FLUSH_INTERVAL", "TALLY_STORE_TIMEOUT", "TALLY_HIT_BUFFER", "TALLY_SHUTDOWN_GRACE",
    "TALLY_MAX_BODY_BYTES", "TALLY_MAX_HEADER_BYTES", "TALLY_HEADER_TIMEOUT",
    "TALLY_IDLE_TIMEOUT", "TALLY_REQUEST_TIMEOUT", "TALLY_MAX_CONNECTIONS",
    "TALLY_LOG_FORMAT", "TALLY_LOG", "TALLY_BODY_TIMEOUT",
}

SEVERITIES = {"critical", "warning", "info"}
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "CronJob"}


class Report:
    def __init__(self):
        self.failures = 0

    def ok(self, msg):
        print(f"  ok: {msg}")

    def fail(self, msg):
        print(f"  FAIL: {msg}")
        self.failures += 1

    def check(self, cond, ok_msg, fail_msg):
        if cond:
            self.ok(ok_msg)
        else:
            self.fail(fail_msg)

    def exit(self):
        sys.exit(1 if self.failures else 0)


def load_docs(path):
    text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    return [d for d in yaml.safe_load_all(text) if d is not None]


def is_builtin(api_version):
    group = api_version.rpartition("/")[0]
    return group == "" or "." not in group or group.endswith(".k8s.io")


def ident(doc):
    return f"{doc.get('kind')}/{(doc.get('metadata') or {}).get('name')}"


def source_metrics():
    """Metric names src/ registers, or None when the source is not here."""
    src = ROOT / "src"
    if not src.is_dir():
        return None
    names = set()
    process = False
    for f in src.rglob("*.rs"):
        text = f.read_text(encoding="utf-8")
        names.update(re.findall(r'"(tally_[a-z0-9_]+)"', text))
        process = process or "ProcessCollector" in text
    if process:
        names.update(m for m in METRICS if m.startswith("tally_process_"))
    return names


def source_settings():
    src = ROOT / "src"
    found = set()
    if src.is_dir():
        for f in src.rglob("*.rs"):
            found.update(re.findall(r'"(TALLY_[A-Z0-9_]+)"', f.read_text(encoding="utf-8")))
    return SETTINGS | found


def metric_names(expr):
    return set(re.findall(r"\btally_[a-z0-9_]+", expr))


def base_metric(name):
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and name[: -len(suffix)] in HISTOGRAMS:
            return name[: -len(suffix)]
    return name


def check_metric_use(report, where, exprs):
    """Every tally_* name in exprs is a metric tally exports."""
    in_source = source_metrics()
    used = set()
    for expr in exprs:
        used |= metric_names(expr)
    bad = False
    for name in sorted(used):
        base = base_metric(name)
        if base not in METRICS:
            report.fail(f"{where}: {name} is not a tally metric")
            bad = True
        elif name != base and base not in HISTOGRAMS:
            report.fail(f"{where}: {name}: {base} is not a histogram")
            bad = True
        elif in_source is not None and base not in in_source:
            report.fail(f"{where}: {base} is not registered anywhere in src/")
            bad = True
    if not bad:
        src_note = " and registered in src/" if in_source is not None else ""
        report.ok(f"{where}: {len(used)} metric names, all in the contract{src_note}")
    return used


# --- split -----------------------------------------------------------------

def cmd_split(outdir, paths):
    report = Report()
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    written, skipped = 0, []
    for path in paths:
        label = "rendered" if path == "-" else path
        try:
            docs = load_docs(path)
        except yaml.YAMLError as e:
            report.fail(f"{label}: not YAML: {e}")
            continue
        for i, doc in enumerate(docs):
            meta = doc.get("metadata") or {}
            if not (doc.get("apiVersion") and doc.get("kind") and meta.get("name")):
                report.fail(f"{label} document {i}: not a complete resource "
                            "(apiVersion, kind and metadata.name)")
                continue
            if not is_builtin(doc["apiVersion"]):
                skipped.append(f"{ident(doc)} ({doc['apiVersion']})")
                continue
            stem = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{Path(label).stem}-{doc['kind']}-{meta['name']}")
            (out / f"{written:03d}-{stem}.yaml").write_text(
                yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
            written += 1
    print(f"  {written} built-in resources to validate")
    for s in sorted(set(skipped)):
        print(f"  skipped (custom resource, no built-in schema): {s}")
    report.exit()


# --- crossref --------------------------------------------------------------

def matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def pod_template(doc):
    spec = doc.get("spec") or {}
    if doc.get("kind") == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    return spec.get("template") or {}


def pod_spec(doc):
    return pod_template(doc).get("spec") or {}


def pod_labels(doc):
    return (pod_template(doc).get("metadata") or {}).get("labels") or {}


def cmd_crossref(path):
    report = Report()
    docs = load_docs(path)
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
    workloads = [d for d in docs if d["kind"] in WORKLOADS]
    configmaps = by_kind.get("ConfigMap", {})
    secrets = by_kind.get("Secret", {})
    services = by_kind.get("Service", {})
    print(f"  {len(docs)} resources: " + ", ".join(f"{len(v)} {k}" for k, v in sorted(by_kind.items())))

    for w in workloads:
        name = ident(w)
        spec = pod_spec(w)
        if w["kind"] == "CronJob":
            report.check(w["spec"].get("concurrencyPolicy") == "Forbid", f"{name}: never two runs at once",
                         f"{name}: concurrencyPolicy is not Forbid")
        else:
            sel = ((w["spec"].get("selector") or {}).get("matchLabels")) or {}
            report.check(matches(sel, pod_labels(w)), f"{name}: selector matches its pod labels",
                         f"{name}: selector {sel} does not match pod labels {pod_labels(w)}")
        report.check(spec.get("automountServiceAccountToken") is False,
                     f"{name}: no service account token", f"{name}: automountServiceAccountToken is not false")
        report.check(spec.get("enableServiceLinks") is False, f"{name}: no service-link variables",
                     f"{name}: enableServiceLinks must be false (a Service named tally would inject "
                     "TALLY_PORT, TALLY_SERVICE_HOST, ... into the environment)")
        psc = spec.get("securityContext") or {}
        report.check((psc.get("seccompProfile") or {}).get("type") == "RuntimeDefault",
                     f"{name}: seccomp RuntimeDefault", f"{name}: pod seccompProfile is not RuntimeDefault")
        volumes = {v["name"]: v for v in spec.get("volumes") or []}
        claim_names = {c["metadata"]["name"] for c in w["spec"].get("volumeClaimTemplates") or []}
        for c in spec.get("containers") or []:
            cname = f"{name} container {c['name']}"
            csc = c.get("securityContext") or {}
            hardened = (csc.get("readOnlyRootFilesystem") is True
                        and csc.get("allowPrivilegeEscalation") is False
                        and "ALL" in ((csc.get("capabilities") or {}).get("drop") or [])
                        and (csc.get("runAsNonRoot") or psc.get("runAsNonRoot")) is True)
            report.check(hardened, f"{cname}: read-only root, non-root, no privilege escalation, no capabilities",
                         f"{cname}: securityContext is not hardened")
            res = c.get("resources") or {}
            report.check(res.get("requests") and res.get("limits"), f"{cname}: resource requests and limits",
                         f"{cname}: requests and limits must both be set")
            ports = {p.get("name"): p["containerPort"] for p in c.get("ports") or []}
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                p = c.get(probe)
                if not p:
                    if probe != "startupProbe" and w["kind"] != "CronJob":
                        report.fail(f"{cname}: no {probe}")
                    continue
                port = (p.get("httpGet") or p.get("tcpSocket") or {}).get("port")
                if isinstance(port, str):
                    report.check(port in ports, f"{cname}: {probe} port {port} is declared",
                                 f"{cname}: {probe} names port {port!r}, not declared")
            for ef in c.get("envFrom") or []:
                ref = ef.get("configMapRef") or ef.get("secretRef") or {}
                pool = configmaps if "configMapRef" in ef else secrets
                report.check(ref.get("name") in pool or ref.get("optional"),
                             f"{cname}: envFrom {ref.get('name')} exists",
                             f"{cname}: envFrom {ref.get('name')} is not part of the render")
            for e in c.get("env") or []:
                src = e.get("valueFrom") or {}
                ref = src.get("secretKeyRef") or src.get("configMapKeyRef")
                if ref:
                    pool = secrets if "secretKeyRef" in src else configmaps
                    report.check(ref["name"] in pool or ref.get("optional") is True,
                                 f"{cname}: {e['name']} from {ref['name']} (exists or optional)",
                                 f"{cname}: {e['name']} needs {ref['name']}, which is not rendered and not optional")
            for m in c.get("volumeMounts") or []:
                report.check(m["name"] in volumes or m["name"] in claim_names,
                             f"{cname}: mount {m['mountPath']} has a volume",
                             f"{cname}: mount {m['name']} has no volume")
        for v in volumes.values():
            if "persistentVolumeClaim" in v:
                claim = v["persistentVolumeClaim"]["claimName"]
                report.check(claim in by_kind.get("PersistentVolumeClaim", {}),
                             f"{name}: volume {v['name']} -> PersistentVolumeClaim {claim}",
                             f"{name}: volume {v['name']} needs PersistentVolumeClaim {claim}")
            if "configMap" in v:
                report.check(v["configMap"]["name"] in configmaps,
                             f"{name}: volume {v['name']} -> ConfigMap {v['configMap']['name']}",
                             f"{name}: volume {v['name']} needs ConfigMap {v['configMap']['name']}")

    for s in services.values():
        sel = s["spec"].get("selector") or {}
        targets = [w for w in workloads if matches(sel, pod_labels(w))]
        if not report_target(report, f"Service/{s['metadata']['name']}", targets):
            continue
        ports = {p.get("name") for w in targets for c in pod_spec(w)["containers"] for p in c.get("ports") or []}
        numbers = {p["containerPort"] for w in targets for c in pod_spec(w)["containers"] for p in c.get("ports") or []}
        for p in s["spec"]["ports"]:
            tp = p.get("targetPort", p["port"])
            report.check(tp in ports or tp in numbers,
                         f"Service/{s['metadata']['name']}: port {p['port']} -> {tp}",
                         f"Service/{s['metadata']['name']}: targetPort {tp} is not a container port")
        if s["spec"].get("clusterIP") == "None":
            for w in targets:
                if w["kind"] == "StatefulSet":
                    report.check(w["spec"].get("serviceName") == s["metadata"]["name"],
                                 f"{ident(w)}: governed by headless Service {s['metadata']['name']}",
                                 f"{ident(w)}: serviceName is not {s['metadata']['name']}")

    for kind in ("HorizontalPodAutoscaler",):
        for h in by_kind.get(kind, {}).values():
            ref = h["spec"]["scaleTargetRef"]
            report.check(ref["name"] in by_kind.get(ref["kind"], {}),
                         f"{ident(h)} scales {ref['kind']}/{ref['name']}",
                         f"{ident(h)}: target {ref['kind']}/{ref['name']} is not rendered")
            lo, hi = h["spec"].get("minReplicas", 1), h["spec"]["maxReplicas"]
            report.check(2 <= lo <= hi, f"{ident(h)}: {lo}..{hi} replicas",
                         f"{ident(h)}: minReplicas {lo} must be at least 2 and at most maxReplicas {hi}")
    for p in by_kind.get("PodDisruptionBudget", {}).values():
        sel = (p["spec"].get("selector") or {}).get("matchLabels") or {}
        report_target(report, ident(p), [w for w in workloads if matches(sel, pod_labels(w))])
    for n in by_kind.get("NetworkPolicy", {}).values():
        sel = (n["spec"].get("podSelector") or {}).get("matchLabels") or {}
        report_target(report, ident(n), [w for w in workloads if matches(sel, pod_labels(w))])
    for i in by_kind.get("Ingress", {}).values():
        for rule in i["spec"].get("rules") or []:
            for hp in (rule.get("http") or {}).get("paths") or []:
                svc = hp["backend"]["service"]
                target = services.get(svc["name"])
                port = svc["port"].get("name") or svc["port"].get("number")
                ok = target is not None and any(port in (p.get("name"), p["port"]) for p in target["spec"]["ports"])
                report.check(ok, f"{ident(i)}: {rule.get('host')}{hp['path']} -> Service {svc['name']}:{port}",
                             f"{ident(i)}: backend {svc['name']}:{port} is not a rendered Service port")
    for m in by_kind.get("ServiceMonitor", {}).values():
        sel = (m["spec"].get("selector") or {}).get("matchLabels") or {}
        chosen = [s for s in services.values() if matches(sel, s["metadata"].get("labels") or {})]
        report.check(len(chosen) == 1, f"{ident(m)} selects Service/{chosen[0]['metadata']['name'] if chosen else '?'}",
                     f"{ident(m)}: selects {len(chosen)} Services, want exactly 1")
        for ep in m["spec"].get("endpoints") or []:
            names = {p.get("name") for s in chosen for p in s["spec"]["ports"]}
            report.check(ep.get("port") in names, f"{ident(m)}: endpoint port {ep.get('port')}",
                         f"{ident(m)}: endpoint port {ep.get('port')} is not on the selected Service")

    known = source_settings()
    for cm in configmaps.values():
        data = cm.get("data") or {}
        if cm["metadata"]["name"].startswith("tally-settings"):
            unknown = sorted(k for k in data if k not in known)
            report.check(not unknown, f"{ident(cm)}: {len(data)} settings, all known to tally",
                         f"{ident(cm)}: unknown settings {unknown}")
            report.check("TALLY_ADMIN_TOKEN" not in data and "TALLY_ADMIN_TOKENS" not in data,
                         f"{ident(cm)}: no admin token in a ConfigMap",
                         f"{ident(cm)}: TALLY_ADMIN_TOKEN belongs in a Secret")
        for key, text in data.items():
            if key.endswith(".toml") and "polls" in key:
                check_polls(report, f"{ident(cm)} {key}", text)
    report.exit()


def report_target(report, name, targets):
    report.check(len(targets) >= 1, f"{name} selects " + ", ".join(ident(t) for t in targets),
                 f"{name}: selects no workload's pods")
    return bool(targets)


# --- rules -----------------------------------------------------------------

def cmd_rules(path, out):
    report = Report()
    rules = [d for d in load_docs(path) if d.get("kind") == "PrometheusRule"]
    if len(rules) != 1:
        report.fail(f"{path}: want exactly one PrometheusRule, found {len(rules)}")
        report.exit()
    spec = rules[0]["spec"]
    Path(out).write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    exprs, alerts = [], 0
    for group in spec["groups"]:
        for rule in group["rules"]:
            exprs.append(str(rule["expr"]))
            if "alert" not in rule:
                continue
            alerts += 1
            name = rule["alert"]
            ann = rule.get("annotations") or {}
            sev = (rule.get("labels") or {}).get("severity")
            problems = []
            if sev not in SEVERITIES:
                problems.append(f"severity {sev!r}")
            if not ann.get("summary"):
                problems.append("no summary")
            if "Runbook:" not in (ann.get("description") or ""):
                problems.append("description without a Runbook: note")
            report.check(not problems, f"alert {name}: severity {sev}, summary, description with runbook",
                         f"alert {name}: " + ", ".join(problems))
    print(f"  {alerts} alerts in {len(spec['groups'])} groups written to {out}")
    check_metric_use(report, f"{ident(rules[0])}", exprs)
    report.exit()


# --- grafana ---------------------------------------------------------------

def cmd_grafana(path):
    report = Report()
    try:
        dash = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        report.fail(f"{path}: {e}")
        report.exit()
    report.ok(f"{path} parses as JSON")
    report.check(dash.get("schemaVersion") == 39, "schemaVersion 39",
                 f"schemaVersion is {dash.get('schemaVersion')}, want 39")
    variables = {v["name"]: v for v in (dash.get("templating") or {}).get("list") or []}
    ds = variables.get("DS_PROMETHEUS")
    report.check(ds is not None and ds.get("type") == "datasource" and ds.get("query") == "prometheus",
                 "data source variable DS_PROMETHEUS (prometheus)",
                 "no datasource variable DS_PROMETHEUS of type prometheus")
    panels = []
    for p in dash.get("panels") or []:
        panels.append(p)
        panels.extend(p.get("panels") or [])
    ids = [p.get("id") for p in panels]
    report.check(len(ids) == len(set(ids)) and None not in ids, f"{len(panels)} panels with unique ids",
                 "panel ids are missing or repeated")
    exprs = []
    for p in panels:
        if p.get("type") == "row":
            continue
        title = p.get("title")
        if "gridPos" not in p:
            report.fail(f"panel {title!r}: no gridPos")
        targets = p.get("targets") or []
        if not targets:
            report.fail(f"panel {title!r}: no queries")
        for t in [p] + targets:
            uid = (t.get("datasource") or {}).get("uid")
            if uid != "${DS_PROMETHEUS}":
                report.fail(f"panel {title!r}: data source {uid!r}, want ${{DS_PROMETHEUS}}")
        exprs.extend(t.get("expr", "") for t in targets)
    for v in variables.values():
        q = v.get("query")
        exprs.append(q.get("query", "") if isinstance(q, dict) else "")
    empty = [e for e in exprs[: len(exprs) - len(variables)] if not e.strip()]
    report.check(not empty, f"{len(exprs) - len(variables)} queries, none empty", f"{len(empty)} empty queries")
    used = check_metric_use(report, Path(path).name, exprs)
    wanted = {
        "tally_http_requests_total", "tally_http_request_duration_seconds", "tally_hits_total",
        "tally_visits_total", "tally_page_views_total", "tally_ballots_total",
        "tally_rate_limited_total", "tally_store_operation_duration_seconds",
        "tally_store_errors_total", "tally_store_up", "tally_hit_buffer",
        "tally_process_resident_memory_bytes", "tally_process_cpu_seconds_total",
        "tally_http_connections",
    }
    missing = sorted(wanted - {base_metric(n) for n in used})
    report.check(not missing, "every operational metric has a panel", f"no panel shows {missing}")
    report.exit()


# --- polls -----------------------------------------------------------------

SLUG = re.compile(r"^[a-z0-9-]{1,64}$")
POLL_KEYS = {"id", "question", "options", "max_choices", "opens_at", "closes_at", "results", "challenge"}
# Who may see a poll's results, and when (src/poll/visibility.rs).
VISIBILITIES = {"always", "after_vote", "after_close", "never"}
# Whether ballots carry a proof of work (src/challenge/level.rs).
CHALLENGES = {"off", "on", "auto"}


def check_polls(report, where, text):
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        report.fail(f"{where}: not TOML: {e}")
        return
    polls = data.get("polls")
    extra = set(data) - {"polls"}
    if extra or not isinstance(polls, list) or not polls:
        report.fail(f"{where}: want one or more [[polls]] tables and nothing else")
        return
    problems = []
    ids = set()
    for p in polls:
        pid = p.get("id", "?")
        if set(p) - POLL_KEYS:
            problems.append(f"{pid}: unknown keys {sorted(set(p) - POLL_KEYS)}")
        if not SLUG.match(str(pid)) or pid in ids:
            problems.append(f"{pid}: id must be [a-z0-9-]{{1,64}} and unique")
        ids.add(pid)
        question = str(p.get("question", "")).strip()
        if not 1 <= len(question) <= 500:
            problems.append(f"{pid}: question must be 1 to 500 characters")
        options = p.get("options") or []
        if not 2 <= len(options) <= 20:
            problems.append(f"{pid}: needs 2 to 20 options")
        seen = set()
        for o in options:
            if set(o) != {"id", "label"}:
                problems.append(f"{pid}: option {o} must have exactly id and label")
                continue
            if not SLUG.match(o["id"]) or o["id"] in seen:
                problems.append(f"{pid}: option id {o['id']!r} must be [a-z0-9-]{{1,64}} and unique")
            seen.add(o["id"])
            if not 1 <= len(o["label"].strip()) <= 200:
                problems.append(f"{pid}: option {o['id']} needs a label of 1 to 200 characters")
        if p.get("results", "always") not in VISIBILITIES:
            problems.append(f"{pid}: results must be one of {', '.join(sorted(VISIBILITIES))}")
        if p.get("challenge", "off") not in CHALLENGES:
            problems.append(f"{pid}: challenge must be one of {', '.join(sorted(CHALLENGES))}")
        mc = p.get("max_choices", 1)
        if not isinstance(mc, int) or not 1 <= mc <= len(options):
            problems.append(f"{pid}: max_choices must be 1 to the number of options")
        times = {}
        for k in ("opens_at", "closes_at"):
            if k in p:
                try:
                    if not isinstance(p[k], str):
                        raise ValueError
                    times[k] = datetime.fromisoformat(p[k])
                    if times[k].tzinfo is None:
                        raise ValueError
                except ValueError:
                    problems.append(f'{pid}: {k} must be a quoted RFC 3339 time with an offset, '
                                    'e.g. "2026-12-31T23:59:59+07:00"')
        if len(times) == 2 and times["opens_at"] >= times["closes_at"]:
            problems.append(f"{pid}: opens_at must be before closes_at")
    if problems:
        for msg in problems:
            report.fail(f"{where}: {msg}")
    else:
        report.ok(f"{where}: {len(polls)} polls ({', '.join(sorted(ids))}) as tally accepts them")


def cmd_polls(paths):
    report = Report()
    for path in paths:
        check_polls(report, path, Path(path).read_text(encoding="utf-8"))
    report.exit()


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "split" and len(args) >= 2:
        cmd_split(args[0], args[1:])
    elif cmd == "crossref" and len(args) == 1:
        cmd_crossref(args[0])
    elif cmd == "rules" and len(args) == 2:
        cmd_rules(*args)
    elif cmd == "grafana" and len(args) == 1:
        cmd_grafana(args[0])
    elif cmd == "polls" and args:
        cmd_polls(args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
