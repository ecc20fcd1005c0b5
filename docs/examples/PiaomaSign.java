import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * 票码开放接口签名助手（Java 17+，只用 JDK）。Signing helpers for the Piaoma open API.
 *
 * X-Signature = hex(HMAC-SHA256(appSecret, METHOD\nPATH_WITH_QUERY\nTIMESTAMP\nNONCE\nSHA256_HEX(BODY)))
 *
 * verify and verifyWithKeys take the headers as a Map and match their names without regard to case
 * (frameworks spell them differently: "X-Timestamp", "x-timestamp", "X-timestamp"…).
 *
 * Command line (used by Piaoma's own tests), run without compiling: java PiaomaSign.java …
 *   sign SECRET METHOD PATH TIMESTAMP NONCE BODY_FILE
 *   link SECRET o=… a=… t=… [d=…]
 *   post BASE_URL PATH APP_KEY SECRET BODY_FILE
 *   verify-keys SECRETS_JSON_FILE HEADERS_JSON_FILE METHOD PATH BODY_FILE
 *     the two JSON files are flat objects of strings, {"appKey": "appSecret", …} and
 *     {"header-name": "value", …}; prints true or false. More groups of these five arguments check
 *     more webhooks in one run, one line each (the JVM starts once).
 */
public final class PiaomaSign {
  private PiaomaSign() {}

  public static String sha256Hex(byte[] body) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
  }

  public static String hmacHex(String secret, String text) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return HexFormat.of().formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
  }

  public static String stringToSign(String method, String pathWithQuery, String timestamp, String nonce, byte[] body)
      throws Exception {
    return String.join("\n", method.toUpperCase(), pathWithQuery, timestamp, nonce, sha256Hex(body));
  }

  public static String sign(String secret, String method, String pathWithQuery, String timestamp, String nonce,
      byte[] body) throws Exception {
    return hmacHex(secret, stringToSign(method, pathWithQuery, timestamp, nonce, body));
  }

  public static Map<String, String> signedHeaders(String appKey, String secret, String method, String pathWithQuery,
      byte[] body) throws Exception {
    String timestamp = Long.toString(System.currentTimeMillis() / 1000);
    byte[] random = new byte[16];
    new SecureRandom().nextBytes(random);
    String nonce = HexFormat.of().formatHex(random);
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("X-App-Key", appKey);
    headers.put("X-Timestamp", timestamp);
    headers.put("X-Nonce", nonce);
    headers.put("X-Signature", sign(secret, method, pathWithQuery, timestamp, nonce, body));
    return headers;
  }

  /** The headers with names compared case-insensitively; a null name (a status line) is left out. */
  private static Map<String, String> byName(Map<String, String> headers) {
    Map<String, String> out = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    headers.forEach((name, value) -> {
      if (name != null && value != null) out.put(name, value);
    });
    return out;
  }

  /** Unix seconds, at most 300 s away from this machine's clock. */
  private static boolean isFresh(String timestamp) {
    if (!timestamp.matches("\\d{1,12}")) return false;
    return Math.abs(System.currentTimeMillis() / 1000 - Long.parseLong(timestamp)) <= 300;
  }

  private static boolean same(String expected, String given) {
    return MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), given.getBytes(StandardCharsets.UTF_8));
  }

  /** Checks a request Piaoma sent you (order query, webhook); also refuse nonces seen before. */
  public static boolean verify(String secret, Map<String, String> headers, String method, String pathWithQuery,
      byte[] rawBody) throws Exception {
    Map<String, String> h = byName(headers);
    String timestamp = h.getOrDefault("X-Timestamp", "");
    if (!isFresh(timestamp)) return false;
    String expected = sign(secret, method, pathWithQuery, timestamp, h.getOrDefault("X-Nonce", ""), rawBody);
    return same(expected, h.getOrDefault("X-Signature", ""));
  }

  /**
   * Checks a webhook with every secret you hold, by App Key (appKey → appSecret). Piaoma signs each
   * webhook with every active key of your organization: the newest in X-App-Key / X-Signature, and
   * all of them in X-Signatures: appKey=signature,appKey=signature… — so during a key rotation either
   * the old or the new secret is enough. Same rules as verify: raw body bytes, path with query as
   * received, ±300 s; refuse nonces seen before.
   */
  public static boolean verifyWithKeys(Map<String, String> secrets, Map<String, String> headers, String method,
      String pathWithQuery, byte[] rawBody) throws Exception {
    Map<String, String> h = byName(headers);
    String timestamp = h.getOrDefault("X-Timestamp", "");
    if (!isFresh(timestamp)) return false;
    String nonce = h.getOrDefault("X-Nonce", "");
    List<String[]> candidates = new ArrayList<>();
    candidates.add(new String[] {h.getOrDefault("X-App-Key", ""), h.getOrDefault("X-Signature", "")});
    for (String entry : h.getOrDefault("X-Signatures", "").split(",")) {
      int i = entry.indexOf('=');
      if (i > 0 && !entry.substring(0, i).isBlank()) {
        candidates.add(new String[] {entry.substring(0, i).trim(), entry.substring(i + 1).trim()});
      }
    }
    for (String[] candidate : candidates) {
      String secret = secrets.get(candidate[0]);
      if (secret == null || secret.isEmpty()) continue;
      if (same(sign(secret, method, pathWithQuery, timestamp, nonce, rawBody), candidate[1])) return true;
    }
    return false;
  }

  /** 3.1.01: the other parameters sorted by name, k=v joined with &, values not URL-encoded. */
  public static String signLink(String secret, Map<String, String> params) throws Exception {
    StringBuilder text = new StringBuilder();
    for (Map.Entry<String, String> e : new TreeMap<>(params).entrySet()) {
      if (e.getKey().equals("sig") || e.getValue() == null || e.getValue().isEmpty()) continue;
      if (text.length() > 0) text.append('&');
      text.append(e.getKey()).append('=').append(e.getValue());
    }
    return hmacHex(secret, text.toString());
  }

  /**
   * Reads a flat JSON object whose values are all strings, {"name": "value", …} — enough for the
   * verify-keys command (the JDK has no JSON parser). Anything else is an IllegalArgumentException.
   */
  static Map<String, String> readFlatJson(String text) {
    Map<String, String> out = new LinkedHashMap<>();
    int[] at = {skipSpace(text, 0)};
    expect(text, at, '{');
    if (peek(text, at) == '}') {
      at[0]++;
    } else {
      while (true) {
        String name = readString(text, at);
        expect(text, at, ':');
        out.put(name, readString(text, at));
        char next = peek(text, at);
        at[0]++;
        if (next == '}') break;
        if (next != ',') throw new IllegalArgumentException("expected , or } at " + (at[0] - 1));
      }
    }
    if (skipSpace(text, at[0]) != text.length()) throw new IllegalArgumentException("text after the object");
    return out;
  }

  private static int skipSpace(String text, int i) {
    while (i < text.length() && " \t\r\n".indexOf(text.charAt(i)) >= 0) i++;
    return i;
  }

  private static char peek(String text, int[] at) {
    at[0] = skipSpace(text, at[0]);
    if (at[0] >= text.length()) throw new IllegalArgumentException("unexpected end of JSON");
    return text.charAt(at[0]);
  }

  private static void expect(String text, int[] at, char c) {
    if (peek(text, at) != c) throw new IllegalArgumentException("expected " + c + " at " + at[0]);
    at[0]++;
  }

  private static String readString(String text, int[] at) {
    expect(text, at, '"');
    StringBuilder out = new StringBuilder();
    while (true) {
      if (at[0] >= text.length()) throw new IllegalArgumentException("unterminated string");
      char c = text.charAt(at[0]++);
      if (c == '"') return out.toString();
      if (c < 0x20) throw new IllegalArgumentException("control character in string");
      if (c != '\\') {
        out.append(c);
        continue;
      }
      if (at[0] >= text.length()) throw new IllegalArgumentException("unterminated string");
      char e = text.charAt(at[0]++);
      switch (e) {
        case '"', '\\', '/' -> out.append(e);
        case 'b' -> out.append('\b');
        case 'f' -> out.append('\f');
        case 'n' -> out.append('\n');
        case 'r' -> out.append('\r');
        case 't' -> out.append('\t');
        case 'u' -> {
          if (at[0] + 4 > text.length() || !text.substring(at[0], at[0] + 4).matches("[0-9a-fA-F]{4}")) {
            throw new IllegalArgumentException("bad \\u escape");
          }
          out.append((char) Integer.parseInt(text.substring(at[0], at[0] + 4), 16));
          at[0] += 4;
        }
        default -> throw new IllegalArgumentException("bad escape \\" + e);
      }
    }
  }

  private static Map<String, String> readFlatJsonFile(String file) throws Exception {
    return readFlatJson(Files.readString(Path.of(file), StandardCharsets.UTF_8));
  }

  public static void main(String[] args) throws Exception {
    String command = args.length > 0 ? args[0] : "";
    switch (command) {
      case "sign" -> System.out.println(sign(args[1], args[2], args[3], args[4], args[5], Files.readAllBytes(Path.of(args[6]))));
      case "link" -> {
        Map<String, String> params = new TreeMap<>();
        for (int i = 2; i < args.length; i++) {
          String[] kv = args[i].split("=", 2);
          params.put(kv[0], kv[1]);
        }
        System.out.println(signLink(args[1], params));
      }
      case "post" -> {
        byte[] body = Files.readAllBytes(Path.of(args[5]));
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(args[1].replaceAll("/+$", "") + args[2]))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        signedHeaders(args[3], args[4], "POST", args[2], body).forEach(request::header);
        HttpResponse<String> res = HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
        System.out.println("{\"status\":" + res.statusCode() + ",\"body\":" + res.body() + "}");
      }
      case "verify-keys" -> {
        if (args.length < 6 || (args.length - 1) % 5 != 0) {
          System.err.println("usage: java PiaomaSign.java verify-keys SECRETS_JSON_FILE HEADERS_JSON_FILE METHOD PATH BODY_FILE …");
          System.exit(2);
        }
        for (int i = 1; i < args.length; i += 5) {
          System.out.println(verifyWithKeys(readFlatJsonFile(args[i]), readFlatJsonFile(args[i + 1]), args[i + 2],
              args[i + 3], Files.readAllBytes(Path.of(args[i + 4]))));
        }
      }
      default -> {
        System.err.println("usage: java PiaomaSign.java sign|link|post|verify-keys … (see the comment at the top)");
        System.exit(2);
      }
    }
  }
}
