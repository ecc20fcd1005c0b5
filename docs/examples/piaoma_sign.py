"""票码开放接口签名助手（Python 3.8+，只用标准库）。Signing helpers for the Piaoma open API.

    X-Signature = hex(HMAC-SHA256(appSecret, METHOD\\nPATH_WITH_QUERY\\nTIMESTAMP\\nNONCE\\nSHA256_HEX(BODY)))

Command line (used by Piaoma's own tests):
    python3 piaoma_sign.py sign SECRET METHOD PATH TIMESTAMP NONCE BODY_FILE
    python3 piaoma_sign.py link SECRET o=… a=… t=… [d=…]
    python3 piaoma_sign.py post BASE_URL PATH APP_KEY SECRET BODY_FILE
"""
import hashlib
import hmac
import json
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


def verify(app_secret, headers, method, path_with_query, raw_body: bytes) -> bool:
    """Checks a request Piaoma sent you (order query, webhook); also refuse nonces seen before."""
    timestamp = headers.get("X-Timestamp", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300:
        return False
    expected = sign(app_secret, method, path_with_query, timestamp, headers.get("X-Nonce", ""), raw_body)
    return hmac.compare_digest(expected, headers.get("X-Signature", ""))


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
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
