#!/usr/bin/env python3
"""Calls a pytrack server's HTTP API with Python's standard library only.

Makes an open and a click link, adapts an HTML email (every link tracked, the pixel added) and
reads the counts of a campaign. Settings from the environment:
  PYTRACK_URL        the server (default http://localhost:8080)
  PYTRACK_API_TOKEN  its API token, when it has one
Prints one JSON object with what it got.
"""
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

BASE = os.environ.get("PYTRACK_URL", "http://localhost:8080").rstrip("/") + "/api/v1"
TOKEN = os.environ.get("PYTRACK_API_TOKEN")


def call(method, path, body=None):
    """One API request; raises SystemExit with the server's error message when it refuses."""
    headers = {"accept": "application/json"}
    if TOKEN:
        headers["authorization"] = "Bearer " + TOKEN
    data = None
    if body is not None:
        headers["content-type"] = "application/json"
        data = json.dumps(body).encode("utf-8")
    request = urllib.request.Request(BASE + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        detail = json.load(error).get("error", {})
        raise SystemExit(f"{method} {path}: {error.code} {detail.get('code')}: {detail.get('message')}")


def main():
    metadata = {"message_id": "py-1", "campaign": "python-example"}
    open_link = call("POST", "/links/open", {"metadata": metadata})["url"]
    click_link = call("POST", "/links/click", {"url": "https://example.com/offer", "metadata": metadata})["url"]
    adapted = call("POST", "/adapt", {
        "html": '<html><body><p>Hello</p><a href="https://example.com/offer">See the offer</a></body></html>',
        "metadata": metadata,
    })
    query = urllib.parse.urlencode({"groupBy": "campaign"})
    stats = call("GET", "/stats?" + query)
    json.dump({
        "openLink": open_link,
        "clickLink": click_link,
        "adaptedHtml": adapted["html"],
        "trackedLinks": len(adapted["links"]),
        "stats": stats,
    }, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
