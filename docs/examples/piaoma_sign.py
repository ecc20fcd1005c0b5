"""票码开放接口签名助手（Python 3.8+，只用标准库）。Signing helpers for the Piaoma open API.

    X-Signature = hex(HMAC-SHA256(appSecret, METHOD\\nPATH_WITH_QUERY\\nTIMESTAMP\\nNONCE\\nSHA256_HEX(BODY)))

Header names are matched without regard to case in verify and verify_with_keys: pass whatever your
framework gives you (Flask/Django/Starlette request.headers, or a plain dict with any spelling, e.g.
{"x-timestamp": …} or {"X-Timestamp": …}). Django's request.META (HTTP_X_TIMESTAMP) is not supported.

Command line (used by Piaoma's own tests):
    python3 piaoma_sign.py sign SECRET METHOD PATH TIMESTAMP NONCE BODY_FILE
    python3 piaoma_sign.py link SECRET o=… a=… t=… [d=…]
    python3 piaoma_sign.py post BASE_URL PATH APP_KEY SECRET BODY_FILE
    python3 piaoma_sign.py verify-keys SECRETS_JSON_FILE HEADERS_JSON_FILE METHOD PATH BODY_FILE
        SECRETS_JSON_FILE: {"appKey": "appSecret", …}; HEADERS_JSON_FILE: {"header-name": "value", …};
        prints true or false; more groups of these five arguments check more webhooks, one line each.
"""
import hashlib
import hmac
import json
import re
import secrets
import sys
import time
import urllib.error
import urllib.request


def string_to_sign(method, path_with_query, timestamp, nonce, body: bytes) -> str:
    return "\n".join([method.upper(), path_with_query, timestamp, nonce, hashlib.sha256(body).hexdigest()])


def sign(app_secret, method, path_with_query, timestamp, nonce, body: bytes) -> str:
    text = string_to_sign(method, path_with_query, timestamp, nonce, body)
    return hmac.new(app_secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def signed_headers(app_key, app_secret, method, path_with_query, body: bytes) -> dict:
    timestamp = str(int(time.time()))
    nonce = secrets.token_hex(16)
    return {
        "X-App-Key": app_key,
        "X-Timestamp": timestamp,
        "X-Nonce": nonce,
        "X-Signature": sign(app_secret, method, path_with_query, timestamp, nonce, body),
    }


def _header(headers, name) -> str:
    """One header's value, whatever the case of its name in `headers` ("" when absent).

    Framework header objects (werkzeug, Django's request.headers, Starlette) already ignore case in
    .get(); a plain dict does not, so fall back to comparing the names case-insensitively.
    """
    value = headers.get(name)
    if value is None:
        lower = name.lower()
        value = next((v for k, v in headers.items() if isinstance(k, str) and k.lower() == lower), None)
    if isinstance(value, (list, tuple)):  # the same header repeated: HTTP joins the values with ","
        value = ",".join(str(v) for v in value)
    return "" if value is None else str(value)


def _is_fresh(timestamp: str) -> bool:
    """Unix seconds (ASCII digits only), at most 300 s away from this machine's clock."""
    return re.fullmatch(r"[0-9]{1,12}", timestamp) is not None and abs(time.time() - int(timestamp)) <= 300


def _same(expected: str, given: str) -> bool:
    # Compare bytes: compare_digest refuses str arguments that are not ASCII.
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


def verify(app_secret, headers, method, path_with_query, raw_body: bytes) -> bool:
    """Checks a request Piaoma sent you (order query, webhook); also refuse nonces seen before."""
    timestamp = _header(headers, "X-Timestamp")
    if not _is_fresh(timestamp):
        return False
    expected = sign(app_secret, method, path_with_query, timestamp, _header(headers, "X-Nonce"), raw_body)
    return _same(expected, _header(headers, "X-Signature"))


def verify_with_keys(secrets: dict, headers, method, path_with_query, raw_body: bytes) -> bool:
    """Checks a webhook with every secret you hold, by App Key ({app_key: app_secret, …}).

    Piaoma signs each webhook with every active key of your organization: the newest in
    X-App-Key / X-Signature, and all of them in X-Signatures: appKey=signature,appKey=signature…
    During a key rotation either the old or the new secret is therefore enough. Same rules as
    verify: the raw body bytes, the path with query as received, ±300 s; refuse nonces seen before.
    """
    timestamp = _header(headers, "X-Timestamp")
    if not _is_fresh(timestamp):
        return False
    nonce = _header(headers, "X-Nonce")
    candidates = [(_header(headers, "X-App-Key"), _header(headers, "X-Signature"))]
    for entry in _header(headers, "X-Signatures").split(","):
        app_key, eq, signature = entry.partition("=")
        if eq and app_key.strip():
            candidates.append((app_key.strip(), signature.strip()))
    for app_key, signature in candidates:
        secret = secrets.get(app_key)
        if secret and _same(sign(secret, method, path_with_query, timestamp, nonce, raw_body), signature):
            return True
    return False


def sign_link(app_secret, params: dict) -> str:
    """3.1.01: the other parameters sorted by name, k=v joined with &, values not URL-encoded."""
    text = "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "sig" and params[k])
    return hmac.new(app_secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def post(base_url, path, app_key, app_secret, body: bytes):
    headers = signed_headers(app_key, app_secret, "POST", path, body)
    headers["Content-Type"] = "application/json"
    req = urllib.request.Request(base_url.rstrip("/") + path, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            return res.status, res.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def main(argv):
    command = argv[1] if len(argv) > 1 else ""
    if command == "sign":
        secret, method, path, timestamp, nonce, body_file = argv[2:8]
        with open(body_file, "rb") as f:
            print(sign(secret, method, path, timestamp, nonce, f.read()))
    elif command == "link":
        print(sign_link(argv[2], dict(p.split("=", 1) for p in argv[3:])))
    elif command == "post":
        base, path, key, secret, body_file = argv[2:7]
        with open(body_file, "rb") as f:
            status, text = post(base, path, key, secret, f.read())
        print(json.dumps({"status": status, "body": json.loads(text)}, ensure_ascii=False))
    elif command == "verify-keys" and len(argv) >= 7 and (len(argv) - 2) % 5 == 0:
        for i in range(2, len(argv), 5):
            secrets_file, headers_file, method, path, body_file = argv[i : i + 5]
            with open(secrets_file, encoding="utf-8") as f:
                key_secrets = json.load(f)
            with open(headers_file, encoding="utf-8") as f:
                headers = json.load(f)
            with open(body_file, "rb") as f:
                print("true" if verify_with_keys(key_secrets, headers, method, path, f.read()) else "false")
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
