import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * 票码开放接口签名助手（Java 17+，只用 JDK）。Signing helpers for the Piaoma open API.
 *
 * X-Signature = hex(HMAC-SHA256(appSecret, METHOD\nPATH_WITH_QUERY\nTIMESTAMP\nNONCE\nSHA256_HEX(BODY)))
 *
 * Command line (used by Piaoma's own tests), run without compiling: java PiaomaSign.java …
 *   sign SECRET METHOD PATH TIMESTAMP NONCE BODY_FILE
 *   link SECRET o=… a=… t=… [d=…]
 *   post BASE_URL PATH APP_KEY SECRET BODY_FILE
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

  /** Checks a request Piaoma sent you (order query, webhook); also refuse nonces seen before. */
  public static boolean verify(String secret, Map<String, String> headers, String method, String pathWithQuery,
      byte[] rawBody) throws Exception {
    String timestamp = headers.getOrDefault("X-Timestamp", "");
    if (!timestamp.matches("\\d{1,12}")) return false;
    if (Math.abs(System.currentTimeMillis() / 1000 - Long.parseLong(timestamp)) > 300) return false;
    String expected = sign(secret, method, pathWithQuery, timestamp, headers.getOrDefault("X-Nonce", ""), rawBody);
    return MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
        headers.getOrDefault("X-Signature", "").getBytes(StandardCharsets.UTF_8));
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
      default -> {
        System.err.println("usage: java PiaomaSign.java sign|link|post …");
        System.exit(2);
      }
    }
  }
}
