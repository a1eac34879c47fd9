#!/usr/bin/env python3
"""A forge for berth's tests: the commit-status APIs of GitHub, GitLab and
Gitea, each forge's own rules enforced with its own codes and error bodies.

CONFIG.json, read again on every request: {"token": "...", "projects":
{"owner/repo": "/path/to/bare.git"}, "rate_limit": 5000 (optional: GitHub's
hourly budget), "pulls": {"owner/repo": [1, 7]} (optional: the pull
requests whose comments may be listed, added and edited; absent: any), "api_versions": [...] (optional: the GitHub API versions
served), "users": {"token": "login"} (optional: more accounts, each with its
token; "token" is the account "berth-test"'s), "installation_tokens":
["token", ...] (optional: tokens of "users" that are GitHub App
installations, which GitHub's GET /user refuses with 403)}. A sha is known
when the project's bare repository holds it. Each token's account is its
GET /user (GitLab: /api/v4/user, Gitea: /api/v1/user) and the author of the
comments it adds; GitLab and Gitea let only its author edit a comment
(403), GitHub any account that may write to the repository.
STATE.json keeps the statuses across restarts; RECORD.jsonl gets one line per
request received. /_forge/ is the control API: fault, ratelimit, statuses.
"""

import argparse
import hmac
import json
import math
import os
import re
import signal
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# GitHub's limit; applied on all three, since berth must never send more.
DESCRIPTION_MAX = 140
# GitHub: at most 1000 statuses per sha and context in a repository.
GITHUB_PER_CONTEXT = 1000
GITHUB_DOCS = "https://docs.github.com/rest/commits/statuses#create-a-commit-status"
GITHUB_RATE_DOCS = "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api"
STATES = {
    "github": ("error", "failure", "pending", "success"),
    # lib/api/commit_statuses.rb: `values: %w[pending running success failed
    # canceled skipped]` (skipped is recent; older GitLab refused it).
    "gitlab": ("pending", "running", "success", "failed", "canceled", "skipped"),
    "gitea": ("pending", "success", "error", "failure", "warning"),
}
# The REST API versions served (the config's "api_versions" overrides it).
# A request without X-GitHub-Api-Version gets 2022-11-28; one that names a
# version not served gets a 410 (forges.md: "a retired version answers
# 410").
GITHUB_API_VERSIONS = ("2022-11-28", "2026-03-10")
SHA_RE = re.compile(r"[0-9a-f]{40}")
MAX_BODY = 1 << 20

# GitLab's CommitStatus state machine (app/models/commit_status.rb), event ->
# (from, to), cut down to the states a job posted here can be in: created
# (new), pending or running (only those are found again to be updated).
GITLAB_EVENTS = {
    "enqueue": ({"created"}, "pending"), "run": ({"pending"}, "running"),
    "success": ({"created", "pending", "running"}, "success"),
    "drop": ({"created", "pending", "running"}, "failed"),
    "cancel": ({"created", "pending", "running"}, "canceled"),
    "skip": ({"created", "pending"}, "skipped"),
}
# Ci::CreateCommitStatusService#apply_job_state!: the events a posted state
# fires, each raising (bang) or not.
GITLAB_STATE_EVENTS = {
    "pending": [("enqueue", True)], "running": [("enqueue", False), ("run", True)],
    "success": [("success", True)], "failed": [("drop", True)],
    "canceled": [("cancel", True)], "skipped": [("skip", True)],
}


def log(msg):
    sys.stderr.write(f"forge_server: {msg}\n")
    sys.stderr.flush()


def iso(t, ms=False):
    s = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t))
    return s + (".%03dZ" % int(t % 1 * 1000) if ms else "Z")


def page(items, query, size_name, size, most):
    """One page of items, as the query's page and size_name ask."""
    size = min(max(int(query.get(size_name) or size), 1), most)
    n = max(int(query.get("page") or 1), 1)
    return items[(n - 1) * size:n * size]


def git(repo, *argv):
    """git's stdout in the bare repository, or None when it fails."""
    r = subprocess.run(["git", "--git-dir", repo, *argv], capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


class Answer:
    def __init__(self, code, body, headers=None):
        self.code, self.body, self.headers = code, body, dict(headers or {})


class Request:
    """One request as received: method, raw path (still URL-encoded), query,
    lower-cased headers, body (parsed JSON, else the raw text, else None)."""

    def __init__(self, h):
        self.method = h.command
        self.path, _, self.rawquery = h.path.partition("?")
        self.query = {k: v[-1] for k, v in
                      urllib.parse.parse_qs(self.rawquery, keep_blank_values=True).items()}
        self.headers = {}
        for k, v in h.headers.items():
            k = k.lower()
            self.headers[k] = f"{self.headers[k]}, {v}" if k in self.headers else v
        self.raw = self._read(h)
        text = self.raw.decode("utf-8", "replace")
        try:
            self.body = json.loads(text) if text else None
            self.json_ok = True
        except ValueError:
            self.body, self.json_ok = text, False

    def _read(self, h):
        if "transfer-encoding" in self.headers:
            raise ValueError("send a Content-Length, not a Transfer-Encoding")
        n = int(self.headers.get("content-length") or 0)
        if n > MAX_BODY:
            raise ValueError("body too large")
        return h.rfile.read(n) if n else b""

    def object(self):
        """The body as a JSON object, or None."""
        return self.body if self.json_ok and isinstance(self.body, dict) else None

    def token(self, schemes):
        """The token of an Authorization header in one of schemes, or None."""
        scheme, _, value = self.headers.get("authorization", "").partition(" ")
        return value.strip() if scheme.lower() in schemes and value.strip() else None


class Forge:
    def __init__(self, args):
        self.provider, self.config_path, self.state_path = args.provider, args.config, args.state
        self.scheme = "https" if args.tls_cert else "http"
        self.lock = threading.Lock()
        # The statuses posted (and GitLab's jobs and pipelines), kept in
        # STATE.json: loaded here, rewritten atomically after each change.
        self.data = {"next_id": 1, "posts": [], "jobs": [], "pipelines": [], "comments": []}
        if os.path.exists(self.state_path):
            with open(self.state_path) as f:
                self.data.update(json.load(f))
        self.record_file = open(args.record, "a")
        self.known = set()  # (repository, sha) seen to exist: objects stay
        self.fault = None
        self.ratelimit = None
        self.window_end = int(time.time()) + 3600  # GitHub's hourly budget
        self.used = 0

    # --- common -----------------------------------------------------------

    def config(self):
        with open(self.config_path) as f:
            return json.load(f)

    # The account of CONFIG.json's "token".
    LOGIN = "berth-test"

    def user_of(self, cfg, token):
        """The login of the account whose token this is, or None."""
        users = cfg.get("users", {})
        if not isinstance(users, dict) or not all(
                isinstance(k, str) and k and isinstance(v, str) and v and v != self.LOGIN
                for k, v in users.items()):
            raise ValueError('"users" must map tokens to logins other than "berth-test"')
        if token is None:
            return None
        found = None
        for t, login in [(str(cfg["token"]), self.LOGIN), *users.items()]:
            if hmac.compare_digest(token.encode(), t.encode()):
                found = login
        return found

    def token_ok(self, cfg, token):
        return self.user_of(cfg, token) is not None

    def user_json(self, login):
        """An account as the forge shows it: a comment's author, GET /user."""
        uid = 1 if login == self.LOGIN else 1000 + zlib.crc32(login.encode()) % 1000000
        if self.provider == "gitlab":
            return {"id": uid, "username": login, "name": login, "state": "active"}
        if self.provider == "gitea":
            return {"id": uid, "login": login, "login_name": "", "full_name": login}
        return {"login": login, "id": uid, "node_id": f"U_{uid}", "type": "User",
                "site_admin": False}

    def user(self, req, cfg, token, err):
        """GET /user: the token's account; a GitHub App installation has none."""
        if req.method != "GET":
            return err(404, "not found")
        if token in cfg.get("installation_tokens", []):
            return err(403, "Resource not accessible by integration")
        return Answer(200, self.user_json(self.user_of(cfg, token)))

    def commit_known(self, repo, sha):
        if (repo, sha) not in self.known and SHA_RE.fullmatch(sha) and \
                git(repo, "cat-file", "-e", sha + "^{commit}") is not None:
            self.known.add((repo, sha))
        return (repo, sha) in self.known

    def resolve(self, repo, ref):
        """The commit a branch, tag or sha names, or None."""
        if not ref or ref.startswith("-"):
            return None
        return git(repo, "rev-parse", "--verify", "--quiet", ref + "^{commit}")

    def record(self, req, code, fault):
        line = {"time": time.time(), "method": req.method, "path": req.path,
                "query": req.query, "headers": req.headers, "body": req.body,
                "code": code, "fault": fault}
        with self.lock:
            self.record_file.write(json.dumps(line) + "\n")
            self.record_file.flush()

    def new_id(self):
        self.data["next_id"] += 1
        return self.data["next_id"] - 1

    def save(self):
        tmp = f"{self.state_path}.tmp{os.getpid()}"
        with open(tmp, "w") as f:
            f.write(json.dumps(self.data))  # one write: json.dump makes thousands
        os.replace(tmp, self.state_path)

    def add_post(self, **status):
        """Store a status posted (under self.lock): returns it."""
        status.setdefault("id", self.new_id())
        status["time"] = time.time()
        self.data["posts"].append(status)
        return status

    def take_fault(self):
        """The fault this API request gets, if any (counting it)."""
        with self.lock:
            f = self.fault
            if f and f["until"] and time.time() >= f["until"]:
                f = self.fault = None
            if f and f["count"]:
                f["count"] -= 1
                if f["count"] <= 0:
                    self.fault = None
            return f and {"mode": f["mode"], "code": f["code"]}

    # --- control API (/_forge/) ------------------------------------------

    def control(self, req):
        body = req.object() or {}
        if req.path == "/_forge/fault" and req.method == "POST":
            mode = body.get("mode", "none")
            if mode not in ("none", "error", "hang", "reset"):
                return Answer(400, {"message": f"unknown fault mode '{mode}'"})
            seconds, count = float(body.get("seconds") or 0), int(body.get("count") or 0)
            with self.lock:
                # Neither seconds nor count: an hour.
                self.fault = None if mode == "none" else {
                    "mode": mode, "code": int(body.get("code") or 503), "count": count or None,
                    "until": time.time() + (seconds or 3600) if seconds or not count else None}
                return Answer(200, {"fault": self.fault})
        if req.path == "/_forge/ratelimit" and req.method == "POST":
            code = int(body.get("code") or 429)
            if code not in (403, 429):
                return Answer(400, {"message": "code must be 403 or 429"})
            seconds = float(body.get("seconds") or 0)
            with self.lock:
                self.ratelimit = seconds > 0 and {"code": code, "until": time.time() + seconds,
                                                  "retry_after": bool(body.get("retry_after"))} or None
                return Answer(200, {"ratelimit": self.ratelimit})
        if req.path == "/_forge/comments" and req.method == "GET":
            with self.lock:
                keys = ("project", "number", "id", "body", "created", "updated", "edits",
                        "author", "editors")
                return Answer(200, [{k: c.get(k) for k in keys} for c in self.data["comments"]])
        if req.path == "/_forge/statuses" and req.method == "GET":
            with self.lock:
                keys = ("project", "sha", "context", "state", "description", "target_url", "time")
                return Answer(200, [{k: p.get(k) for k in keys} for p in self.data["posts"]])
        return Answer(404, {"message": "no such control request"})

    # --- rate limits ------------------------------------------------------

    def forced_ratelimit(self):
        """The answer of a /_forge/ratelimit window in force, or None."""
        with self.lock:
            r = self.ratelimit
            if r is None or time.time() >= r["until"]:
                self.ratelimit = None
                return None
            left = r["until"] - time.time()
            h = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(math.ceil(r["until"]))}
            if r["retry_after"]:
                h["retry-after"] = str(math.ceil(left))
        if self.provider == "github":
            # GitHub's secondary limit is the one that sends retry-after.
            msg = ("You have exceeded a secondary rate limit. Please wait a few minutes before "
                   "you try again." if r["retry_after"] else "API rate limit exceeded for user ID 1.")
            body = {"message": msg, "documentation_url": GITHUB_RATE_DOCS, "status": str(r["code"])}
        elif self.provider == "gitlab":
            body = b"Retry later\n"  # Rack::Attack's throttled answer
        else:
            body = {"message": "rate limit exceeded", "url": ""}
        return Answer(r["code"], body, h)

    def github_budget(self, cfg):
        """GitHub's rate-limit headers for one more request of the budget,
        and whether the budget is spent."""
        with self.lock:
            now = time.time()
            if now >= self.window_end:
                self.window_end, self.used = int(now) + 3600, 0
            limit = int(cfg.get("rate_limit", 5000))
            self.used += 1
            h = {"x-ratelimit-limit": str(limit),
                 "x-ratelimit-remaining": str(max(0, limit - self.used)),
                 "x-ratelimit-reset": str(self.window_end),
                 "x-ratelimit-used": str(min(self.used, limit)),
                 "x-ratelimit-resource": "core"}
            return h, self.used > limit

    def api(self, req):
        limited = self.forced_ratelimit()
        try:
            cfg = self.config()
        except (OSError, ValueError) as e:
            return Answer(500, {"message": f"{self.config_path}: {e}"})
        if self.provider != "github":
            return limited or getattr(self, self.provider)(req, cfg)
        headers, spent = self.github_budget(cfg)
        if limited:
            answer = limited
        elif spent:
            answer = Answer(403, {"message": "API rate limit exceeded for user ID 1.",
                                  "documentation_url": GITHUB_RATE_DOCS, "status": "403"})
            headers["x-ratelimit-remaining"] = "0"
        else:
            answer = self.github(req, cfg)
        answer.headers = {**headers, **answer.headers}
        return answer

    # --- pull request comments (GitLab: merge request notes) ---------------

    # The longest comment each forge takes (GitHub's documented limit;
    # GitLab's Note validation; Gitea sets none, so none here).
    COMMENT_MAX = {"github": 65536, "gitlab": 1000000, "gitea": None}
    COMMENT_ROUTES = {
        "github": r"(?:/api/v3)?/repos/([^/]+)/([^/]+)/issues/(?:(\d+)/comments|comments/(\d+))",
        "gitlab": r"/api/v4/projects/([^/]+)/merge_requests/(\d+)/notes(?:/(\d+))?",
        "gitea": r"/api/v1/repos/([^/]+)/([^/]+)/issues/(?:(\d+)/comments|comments/(\d+))",
    }

    def comment_route(self, req):
        """(project, number, comment id) of a comment request, or None."""
        m = re.fullmatch(self.COMMENT_ROUTES[self.provider], req.path)
        if not m:
            return None
        if self.provider == "gitlab":
            return urllib.parse.unquote(m[1]), int(m[2]), m[3] and int(m[3])
        project = urllib.parse.unquote(m[1]) + "/" + urllib.parse.unquote(m[2])
        return project, m[3] and int(m[3]), m[4] and int(m[4])

    def comments(self, req, cfg, route, err, login):
        """List, add or edit comments as account `login`; `err(code, message)`
        answers in the forge's words."""
        project, number, cid = route
        if cfg["projects"].get(project) is None:
            return err(404, "not found")
        pulls = cfg.get("pulls", {}).get(project)
        with self.lock:
            if cid is not None:
                c = next((c for c in self.data["comments"]
                          if c["id"] == cid and c["project"] == project), None)
                if c is None or (number is not None and c["number"] != number):
                    return err(404, "comment not found")
                number = c["number"]
        if number is None or number <= 0 or (pulls is not None and number not in pulls):
            return err(404, "pull request not found")
        edit = {"github": "PATCH", "gitlab": "PUT", "gitea": "PATCH"}[self.provider]
        if req.method == "GET" and cid is None:
            with self.lock:
                mine = [c for c in self.data["comments"]
                        if c["project"] == project and c["number"] == number]
            if self.provider == "gitlab" and req.query.get("sort", "desc") == "desc":
                mine.reverse()  # GitLab lists notes newest first unless told
            if self.provider == "gitea":
                return Answer(200, [self.comment_json(c) for c in mine])
            size, most = (30, 100) if self.provider == "github" else (20, 100)
            shown = page(mine, req.query, "per_page", size, most)
            headers = {"x-total": str(len(mine))} if self.provider == "gitlab" else {}
            return Answer(200, [self.comment_json(c) for c in shown], headers)
        if req.method not in (("POST",) if cid is None else (edit,)):
            return err(404, "not found")
        body = req.object()
        if self.provider == "gitlab" and body is None and req.raw:
            body = {k: v[-1] for k, v in urllib.parse.parse_qs(
                req.raw.decode("utf-8", "replace"), keep_blank_values=True).items()}
        text = (body or {}).get("body")
        if not isinstance(text, str) or not text:
            return err(400 if self.provider == "gitlab" else 422, "body is missing")
        most = self.COMMENT_MAX[self.provider]
        if most is not None and len(text) > most:
            return err(400 if self.provider == "gitlab" else 422,
                       f"body is too long (maximum is {most} characters)")
        with self.lock:
            now = time.time()
            if cid is None:
                c = {"id": self.new_id(), "project": project, "number": number, "body": text,
                     "created": now, "updated": now, "edits": 0, "author": login}
                self.data["comments"].append(c)
            else:
                c = next(c for c in self.data["comments"] if c["id"] == cid)
                # GitLab's notes and Gitea's comments: their authors' only.
                if self.provider != "github" and c.get("author", self.LOGIN) != login:
                    return err(403, "Forbidden")
                c.update(body=text, updated=now, edits=c["edits"] + 1,
                         editors=sorted({*c.get("editors", []), login}))
            self.save()
            return Answer(201 if cid is None else 200, self.comment_json(c))

    def comment_json(self, c):
        user = self.user_json(c.get("author", self.LOGIN))
        if self.provider == "gitlab":
            return {"id": c["id"], "body": c["body"], "author": user, "system": False,
                    "noteable_type": "MergeRequest", "noteable_iid": c["number"],
                    "created_at": iso(c["created"], ms=True), "updated_at": iso(c["updated"], ms=True)}
        return {"id": c["id"], "body": c["body"], "user": user,
                "created_at": iso(c["created"]), "updated_at": iso(c["updated"])}

    # --- GitHub -----------------------------------------------------------

    def github_error(self, code, message, **extra):
        return Answer(code, {"message": message, **extra,
                             "documentation_url": GITHUB_DOCS, "status": str(code)})

    def github(self, req, cfg):
        # GitHub Enterprise serves the same API under /api/v3.
        prefix = "/api/v3" if req.path.startswith("/api/v3/") else ""
        m = re.fullmatch(r"/repos/([^/]+)/([^/]+)/(?:statuses/([^/]+)|commits/([^/]+)/(statuses|status))",
                         req.path[len(prefix):])
        version = req.headers.get("x-github-api-version", GITHUB_API_VERSIONS[0])
        if version not in cfg.get("api_versions", GITHUB_API_VERSIONS):
            return self.github_error(410, f"API version {version} is not supported. Set "
                                          "X-GitHub-Api-Version to a supported version.")
        token = req.token(("bearer", "token"))
        if not self.token_ok(cfg, token):
            return self.github_error(401, "Bad credentials")
        if req.path[len(prefix):] == "/user":
            return self.user(req, cfg, token, lambda code, msg: self.github_error(code, msg))
        route = self.comment_route(req)
        if route:
            return self.comments(req, cfg, route, lambda code, msg: self.github_error(
                code, "Validation Failed" if code == 422 else "Not Found",
                **({"errors": [{"resource": "IssueComment", "code": "custom", "field": "body",
                                "message": msg}]} if code == 422 else {})), self.user_of(cfg, token))
        if not m or req.method != ("POST" if m[3] else "GET"):
            return self.github_error(404, "Not Found")
        project = urllib.parse.unquote(m[1]) + "/" + urllib.parse.unquote(m[2])
        repo = cfg["projects"].get(project)
        if repo is None:
            return self.github_error(404, "Not Found")
        base = f"{self.scheme}://{req.headers.get('host', '127.0.0.1')}{prefix}"
        if m[3] is not None:
            return self.github_post(req, project, repo, urllib.parse.unquote(m[3]), base)
        ref = urllib.parse.unquote(m[4])
        sha = self.resolve(repo, ref)
        if sha is None:
            return self.github_error(422, f"No commit found for SHA: {ref}")
        with self.lock:
            mine = [p for p in self.data["posts"] if p["project"] == project and p["sha"] == sha]
        mine.reverse()  # newest first
        if m[5] == "statuses":
            mine = page(mine, req.query, "per_page", 30, 100)
            return Answer(200, [self.github_status(p, base) for p in mine])
        latest = {}
        for p in mine:
            latest.setdefault(p["context"].lower(), p)
        states = {p["state"] for p in latest.values()}
        # The combined state: failure if any error or failure, pending if
        # none at all or any pending, else success.
        state = ("failure" if states & {"error", "failure"} else
                 "pending" if not states or "pending" in states else "success")
        return Answer(200, {"state": state, "sha": sha, "total_count": len(latest),
                            "statuses": [self.github_status(p, base) for p in latest.values()],
                            "repository": {"full_name": project},
                            "commit_url": f"{base}/repos/{project}/commits/{sha}",
                            "url": f"{base}/repos/{project}/commits/{sha}/status"})

    def github_post(self, req, project, repo, sha, base):
        body = req.object()
        if body is None:
            return Answer(400, {"message": "Problems parsing JSON",
                                "documentation_url": GITHUB_DOCS, "status": "400"})
        for k in ("state", "context", "description", "target_url"):
            if body.get(k) is not None and not isinstance(body[k], str):
                return self.github_error(
                    422, f"Invalid request.\n\nFor 'properties/{k}', {json.dumps(body[k])} is not a string.")
        if not self.commit_known(repo, sha):
            return self.github_error(422, f"No commit found for SHA: {sha}")
        state, desc = body.get("state"), body.get("description")
        context = body.get("context") or "default"
        errors = []
        if state not in STATES["github"]:
            errors.append({"resource": "Status", "code": "custom", "field": "state",
                           "message": "state is not included in the list"})
        if desc is not None and len(desc) > DESCRIPTION_MAX:
            errors.append({"resource": "Status", "code": "custom", "field": "description",
                           "message": f"description is too long (maximum is {DESCRIPTION_MAX} characters)"})
        with self.lock:
            # Contexts compare case-insensitively.
            same = sum(1 for p in self.data["posts"] if p["project"] == project
                       and p["sha"] == sha and p["context"].lower() == context.lower())
            if same >= GITHUB_PER_CONTEXT:
                errors.append({"resource": "Status", "code": "custom",
                               "message": "This SHA and context has reached the maximum number of statuses."})
            if errors:
                return self.github_error(422, "Validation Failed", errors=errors)
            status = self.add_post(project=project, sha=sha, context=context, state=state,
                                   description=desc, target_url=body.get("target_url"))
            self.save()
        return Answer(201, self.github_status(status, base))

    def github_status(self, s, base):
        return {"url": f"{base}/repos/{s['project']}/statuses/{s['sha']}", "avatar_url": None,
                "id": s["id"], "node_id": f"SC_{s['id']}", "state": s["state"],
                "description": s["description"], "target_url": s["target_url"],
                "context": s["context"], "created_at": iso(s["time"]), "updated_at": iso(s["time"]),
                "creator": {"login": "berth-test", "id": 1, "type": "User"}}

    # --- GitLab -----------------------------------------------------------

    def gitlab(self, req, cfg):
        route = self.comment_route(req)
        if route or req.path == "/api/v4/user":
            token = req.headers.get("private-token") or req.token(("bearer",))
            if not self.token_ok(cfg, token):
                return Answer(401, {"message": "401 Unauthorized"})
            err = lambda code, msg: Answer(
                code, {"error": msg} if code == 400 else {"message": f"{code} {msg}"})
            if not route:
                return self.user(req, cfg, token, err)
            return self.comments(req, cfg, route, err, self.user_of(cfg, token))
        # {id} is one path segment: a project path must come with every "/"
        # escaped as %2F; a raw "/" matches no route.
        m = re.fullmatch(r"/api/v4/projects/([^/]+)/(?:statuses/([^/]+)|repository/commits/([^/]+)/statuses)",
                         req.path)
        if not m or req.method != ("POST" if m[2] else "GET"):
            return Answer(404, {"error": "404 Not Found"})
        token = req.headers.get("private-token") or req.token(("bearer",))
        if not self.token_ok(cfg, token):
            return Answer(401, {"message": "401 Unauthorized"})
        params = dict(req.query)
        if req.method == "POST":
            if "application/x-www-form-urlencoded" in req.headers.get("content-type", ""):
                params.update({k: v[-1] for k, v in urllib.parse.parse_qs(
                    req.raw.decode("utf-8", "replace"), keep_blank_values=True).items()})
            elif req.object() is not None:
                params.update(req.object())
            elif req.raw:
                return Answer(400, {"error": "The provided content-type '' is not supported."
                                    if not req.headers.get("content-type") else "body is invalid"})
            # Grape checks the parameters before the endpoint finds the project.
            if params.get("state") in (None, ""):
                return Answer(400, {"error": "state is missing"})
            if params["state"] not in STATES["gitlab"]:
                return Answer(400, {"error": "state does not have a valid value"})
            if params.get("pipeline_id") is not None and not str(params["pipeline_id"]).isdigit():
                return Answer(400, {"error": "pipeline_id is invalid"})
        project = urllib.parse.unquote(m[1])
        repo = cfg["projects"].get(project)
        if repo is None:
            return Answer(404, {"message": "404 Project Not Found"})
        if req.method == "GET":
            return self.gitlab_list(req, project, repo, urllib.parse.unquote(m[3]))
        if len(str(params.get("description") or "")) > DESCRIPTION_MAX:  # berth's rule, not GitLab's
            return Answer(422, {"message": {"description": [
                f"is too long (maximum is {DESCRIPTION_MAX} characters)"]}})
        return self.gitlab_post(params, project, repo, urllib.parse.unquote(m[2]))

    def gitlab_post(self, params, project, repo, sha):
        """Ci::CreateCommitStatusService, as far as a test needs it."""
        if not self.commit_known(repo, sha):
            return Answer(404, {"message": "404 Commit Not Found"})
        name = str(params.get("name") or params.get("context") or "default")
        ref, pid = params.get("ref"), params.get("pipeline_id")
        with self.lock:
            # The newest pipeline for the sha (of ref, of pipeline_id, if given).
            pipeline = next((p for p in reversed(self.data["pipelines"]) if p["project"] == project
                             and p["sha"] == sha and ref in (None, p["ref"])
                             and pid in (None, p["id"], str(p["id"]))), None)
        # No ref: the pipeline's, else the first branch holding the commit.
        ref = ref or (pipeline and pipeline["ref"]) or (git(
            repo, "for-each-ref", "--contains", sha, "--format=%(refname:short)", "refs/heads/")
            or "").partition("\n")[0]
        if not ref:
            return Answer(404, {"message": "404 References for commit Not Found"})
        if pid is not None and pipeline is None:
            return Answer(404, {"message": "404 Pipeline for pipeline_id, sha and ref Not Found"})
        with self.lock:
            if pipeline is None:
                pipeline = {"id": self.new_id(), "project": project, "sha": sha, "ref": ref}
                self.data["pipelines"].append(pipeline)
            # Only a running or pending job of that name and ref is updated;
            # any other post makes a new job.
            jobs = self.data["jobs"]
            old = next((j for j in jobs if j["pipeline_id"] == pipeline["id"] and j["name"] == name
                        and j["ref"] == ref and j["status"] in ("running", "pending")), None)
            job = dict(old or {"id": None, "pipeline_id": pipeline["id"], "sha": sha, "ref": ref,
                               "name": name, "status": "created", "created_at": time.time(),
                               "started_at": None, "finished_at": None, "target_url": None,
                               "description": None, "retried": False})
            job.update({k: params[k] for k in ("target_url", "description") if k in params})
            invalid = {k: ["is too long (maximum is 255 characters)"] for k in
                       ("ref", "target_url", "description") if len(str(job[k] or "")) > 255}
            if invalid:
                return Answer(400, {"message": invalid})
            for event, bang in GITLAB_STATE_EVENTS[params["state"]]:
                froms, to = GITLAB_EVENTS[event]
                if job["status"] in froms:
                    job["status"] = to
                elif bang:  # state_machines' InvalidTransition, as the API words it
                    return Answer(400, {"message": f"Cannot transition status via :{event} from "
                                        f":{job['status']} (Reason(s): Status cannot transition "
                                        f"via \"{event}\")"})
            if job["status"] == "running":
                job["started_at"] = time.time()
            elif job["status"] != "pending":
                job["finished_at"] = time.time()
            if old:
                jobs.remove(old)
            job["id"] = job["id"] or self.new_id()
            # update_older_statuses_retried!: the others of that name are retried.
            for j in jobs:
                j["retried"] = j["retried"] or (j["pipeline_id"], j["name"]) == (pipeline["id"], name)
            jobs.append(job)
            self.add_post(id=job["id"], project=project, sha=sha, context=name, state=job["status"],
                          description=job["description"], target_url=job["target_url"], ref=ref)
            self.save()
        return Answer(201, self.gitlab_job(job))

    def gitlab_list(self, req, project, repo, sha):
        if not self.commit_known(repo, sha):
            return Answer(404, {"message": "404 Commit Not Found"})
        q = req.query
        with self.lock:
            pipelines = {p["id"] for p in self.data["pipelines"]
                         if p["project"] == project and p["sha"] == sha}
            jobs = [j for j in self.data["jobs"] if j["pipeline_id"] in pipelines]
        if q.get("all", "").lower() not in ("true", "1", "yes", "t"):
            jobs = [j for j in jobs if not j["retried"]]
        for k in ("ref", "name", "pipeline_id"):
            if q.get(k):
                jobs = [j for j in jobs if str(j[k]) == q[k]]
        jobs.sort(key=lambda j: j["id"], reverse=q.get("sort") == "desc")
        return Answer(200, [self.gitlab_job(j) for j in page(jobs, q, "per_page", 20, 100)],
                      {"x-total": str(len(jobs))})

    def gitlab_job(self, j):
        at = lambda t: iso(t, ms=True) if t else None
        return {"id": j["id"], "sha": j["sha"], "ref": j["ref"], "status": j["status"],
                "name": j["name"], "target_url": j["target_url"], "description": j["description"],
                "created_at": at(j["created_at"]), "started_at": at(j["started_at"]),
                "finished_at": at(j["finished_at"]), "allow_failure": False, "coverage": None,
                "pipeline_id": j["pipeline_id"],
                "author": {"id": 1, "username": "berth-test", "name": "berth test", "state": "active"}}

    # --- Gitea ------------------------------------------------------------

    def gitea(self, req, cfg):
        base = f"{self.scheme}://{req.headers.get('host', '127.0.0.1')}"
        err = lambda code, msg: Answer(code, {"message": msg, "url": f"{base}/api/swagger"})
        route = self.comment_route(req)
        if route or req.path == "/api/v1/user":
            token = req.token(("token", "bearer"))
            if not self.token_ok(cfg, token):
                return err(401, "token is required")
            if not route:
                return self.user(req, cfg, token, err)
            return self.comments(req, cfg, route, err, self.user_of(cfg, token))
        m = re.fullmatch(r"/api/v1/repos/([^/]+)/([^/]+)/(?:statuses/([^/]+)|commits/([^/]+)/statuses)",
                         req.path)
        if not m or req.method not in (("GET",) if m[4] else ("GET", "POST")):
            return err(404, "not found")
        token = req.token(("token", "bearer"))
        # A token that is given but wrong fails at once; a missing one only
        # after the repository is found (reqToken comes after repoAssignment).
        if token is not None and not self.token_ok(cfg, token):
            return err(401, "token is required")
        project = urllib.parse.unquote(m[1]) + "/" + urllib.parse.unquote(m[2])
        repo = cfg["projects"].get(project)
        if repo is None:
            return err(404, "not found")
        if token is None:
            return err(401, "token is required")
        if req.method == "GET":
            ref = urllib.parse.unquote(m[3] or m[4])
            sha = self.resolve(repo, ref)
            if sha is None and m[4] is not None:
                return err(404, "not found")
            return self.gitea_list(req, project, sha or ref, base)
        body = req.object()
        if body is None or any(not isinstance(body.get(k) or "", str)
                               for k in ("state", "context", "description", "target_url")):
            return err(422, "invalid JSON body")
        state = body.get("state")
        if state not in STATES["gitea"]:  # assumed: Gitea's API layer does not check
            return err(422, f"invalid commit status state '{state}'")
        desc = body.get("description") or ""
        if len(desc) > DESCRIPTION_MAX:  # berth's rule, not Gitea's
            return err(422, f"description is too long (maximum is {DESCRIPTION_MAX} characters)")
        sha = urllib.parse.unquote(m[3])
        if not self.commit_known(repo, sha):
            # CreateCommitStatus's GetCommit error goes out as a 500, its
            # message hidden from a non-admin in production.
            return err(500, "")
        with self.lock:
            # NewCommitStatus trims the text fields; no default context.
            status = self.add_post(project=project, sha=sha, state=state,
                                   context=(body.get("context") or "").strip(),
                                   description=desc.strip(),
                                   target_url=(body.get("target_url") or "").strip())
            self.save()
        return Answer(201, self.gitea_status(status, base))

    def gitea_list(self, req, project, sha, base):
        with self.lock:
            mine = [p for p in self.data["posts"] if p["project"] == project and p["sha"] == sha]
        if req.query.get("sort") not in ("oldest", "leastindex", "leastupdate"):
            mine.reverse()  # newest first
        return Answer(200, [self.gitea_status(p, base) for p in page(mine, req.query, "limit", 30, 50)],
                      {"x-total-count": str(len(mine))})

    def gitea_status(self, s, base):
        # Gitea names the state "status" in its answers.
        return {"id": s["id"], "status": s["state"], "target_url": s["target_url"],
                "description": s["description"], "context": s["context"],
                "url": f"{base}/api/v1/repos/{s['project']}/statuses/{s['sha']}",
                "creator": {"id": 1, "login": "berth-test"},
                "created_at": iso(s["time"]), "updated_at": iso(s["time"])}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every answer has a Content-Length
    server_version = "forge-test"

    def setup(self):
        super().setup()
        # Headers and body go out in two writes: without this, Nagle and a
        # delayed ACK hold the second for 40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.do_handshake()  # here, in this thread, not in accept()

    def log_message(self, fmt, *args):
        log(f"{self.address_string()} {fmt % args}")

    def serve(self):
        forge = self.server.forge
        try:
            req = Request(self)
        except ValueError as e:
            self.close_connection = True
            return self.send(Answer(400, {"message": str(e)}))
        control = req.path.startswith("/_forge/")
        fault = None if control else forge.take_fault()
        if fault and fault["mode"] in ("hang", "reset"):
            forge.record(req, None, fault)
            return self.hang() if fault["mode"] == "hang" else self.reset()
        try:
            answer = (forge.control(req) if control else
                      Answer(fault["code"], {"message": f"fault injected: {fault['code']}"}) if fault
                      else forge.api(req))
        except Exception as e:  # a bug here, or input no forge would take
            log(f"{req.method} {req.path}: {e!r}")
            answer = Answer(500, {"message": f"forge_server: {e!r}"})
        forge.record(req, answer.code, fault)
        self.send(answer)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = serve

    def send(self, a):
        if isinstance(a.body, bytes):
            body, ctype = a.body, "text/plain"
        else:
            body, ctype = json.dumps(a.body).encode(), "application/json; charset=utf-8"
        self.send_response(a.code)
        for k, v in a.headers.items():
            self.send_header(k, v)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def hang(self):
        """Say nothing until the client hangs up."""
        self.close_connection = True
        try:
            while self.connection.recv(4096):
                pass
        except OSError:
            pass

    def reset(self):
        """Close at once with a TCP reset (SO_LINGER 0), no answer, no FIN."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        log(f"{client_address[0]}:{client_address[1]}: {sys.exc_info()[1]!r}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--provider", required=True, choices=("github", "gitlab", "gitea"))
    for name in ("--config", "--record", "--state"):
        p.add_argument(name, required=True)
    p.add_argument("--listen", default="127.0.0.1:0")
    for name in ("--port-file", "--tls-cert", "--tls-key"):
        p.add_argument(name)
    args = p.parse_args()
    if bool(args.tls_cert) != bool(args.tls_key):
        p.error("--tls-cert and --tls-key go together")
    host, _, port = args.listen.rpartition(":")
    server = Server((host or "127.0.0.1", int(port)), Handler)
    server.forge = Forge(args)
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    port = server.server_address[1]
    if args.port_file:
        # A reader never sees a half-written file.
        tmp = f"{args.port_file}.tmp{os.getpid()}"
        with open(tmp, "w") as f:
            f.write(f"{port}\n")
        os.replace(tmp, args.port_file)
    print(f"listening on {server.forge.scheme}://{host or '127.0.0.1'}:{port}", flush=True)
    # shutdown() waits for serve_forever() to return: call it from elsewhere.
    stop = lambda *_: threading.Thread(target=server.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever()
    server.server_close()
    log("stopped")


if __name__ == "__main__":
    main()
