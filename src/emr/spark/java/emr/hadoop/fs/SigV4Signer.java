package emr.hadoop.fs;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * AWS Signature Version 4 for S3 requests signed in the Authorization header.
 *
 * <p>Bodies are declared {@code UNSIGNED-PAYLOAD} (S3 accepts it for header-signed requests), so
 * a part can be streamed without hashing it twice. The secret key lives only in this object and
 * is never part of any string it returns except the derived signature.
 */
final class SigV4Signer {
  static final String UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
  private static final DateTimeFormatter TIMESTAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private final String accessKey;
  private final String secretKey;
  private final String sessionToken;
  private final String region;

  SigV4Signer(String accessKey, String secretKey, String sessionToken, String region) {
    this.accessKey = accessKey;
    this.secretKey = secretKey;
    this.sessionToken = sessionToken;
    this.region = region;
  }

  boolean anonymous() {
    return accessKey == null || accessKey.isEmpty() || secretKey == null;
  }

  /**
   * Adds x-amz-date, x-amz-content-sha256, the session token and Authorization to {@code
   * headers} (lower-case names). {@code host} is the Host header as it goes on the wire; {@code
   * rawPath} and {@code query} (already encoded, sorted or not) exactly as in the request line.
   */
  void sign(
      String method, String host, String rawPath, Map<String, String> query,
      Map<String, String> headers) {
    headers.put("x-amz-content-sha256", UNSIGNED_PAYLOAD);
    if (anonymous()) {
      return;
    }
    String timestamp = ZonedDateTime.now(ZoneOffset.UTC).format(TIMESTAMP);
    String date = timestamp.substring(0, 8);
    headers.put("x-amz-date", timestamp);
    if (sessionToken != null && !sessionToken.isEmpty()) {
      headers.put("x-amz-security-token", sessionToken);
    }
    TreeMap<String, String> signed = new TreeMap<>();
    signed.put("host", host);
    for (Map.Entry<String, String> header : headers.entrySet()) {
      String name = header.getKey().toLowerCase(java.util.Locale.ROOT);
      if (name.startsWith("x-amz-") || name.equals("content-md5") || name.equals("range")
          || name.equals("content-type")) {
        signed.put(name, header.getValue().trim());
      }
    }
    StringBuilder canonicalHeaders = new StringBuilder();
    for (Map.Entry<String, String> header : signed.entrySet()) {
      canonicalHeaders.append(header.getKey()).append(':').append(header.getValue()).append('\n');
    }
    String signedHeaders = String.join(";", signed.keySet());
    String canonicalRequest =
        method + "\n" + rawPath + "\n" + canonicalQuery(query) + "\n" + canonicalHeaders + "\n"
            + signedHeaders + "\n" + UNSIGNED_PAYLOAD;
    String scope = date + "/" + region + "/s3/aws4_request";
    String stringToSign =
        "AWS4-HMAC-SHA256\n" + timestamp + "\n" + scope + "\n" + hex(sha256(canonicalRequest));
    byte[] key = hmac(("AWS4" + secretKey).getBytes(StandardCharsets.UTF_8), date);
    key = hmac(key, region);
    key = hmac(key, "s3");
    key = hmac(key, "aws4_request");
    String signature = hex(hmac(key, stringToSign));
    headers.put(
        "authorization",
        "AWS4-HMAC-SHA256 Credential=" + accessKey + "/" + scope + ", SignedHeaders="
            + signedHeaders + ", Signature=" + signature);
  }

  /** The query string as sent: {@code name=value} pairs, both URI-encoded, sorted by name. */
  static String canonicalQuery(Map<String, String> query) {
    TreeMap<String, String> sorted = new TreeMap<>();
    for (Map.Entry<String, String> entry : query.entrySet()) {
      sorted.put(uriEncode(entry.getKey(), true), uriEncode(entry.getValue(), true));
    }
    StringBuilder out = new StringBuilder();
    for (Map.Entry<String, String> entry : sorted.entrySet()) {
      if (out.length() > 0) {
        out.append('&');
      }
      out.append(entry.getKey()).append('=').append(entry.getValue());
    }
    return out.toString();
  }

  /** RFC 3986 encoding as SigV4 wants it; '/' kept unless {@code encodeSlash}. */
  static String uriEncode(String value, boolean encodeSlash) {
    StringBuilder out = new StringBuilder();
    for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
          || c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && !encodeSlash)) {
        out.append(c);
      } else {
        out.append('%').append(Character.toUpperCase(HEX[(b >> 4) & 0xf]))
            .append(Character.toUpperCase(HEX[b & 0xf]));
      }
    }
    return out.toString();
  }

  static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static String hex(byte[] bytes) {
    char[] out = new char[bytes.length * 2];
    for (int i = 0; i < bytes.length; i++) {
      out[2 * i] = HEX[(bytes[i] >> 4) & 0xf];
      out[2 * i + 1] = HEX[bytes[i] & 0xf];
    }
    return new String(out);
  }

  private static byte[] hmac(byte[] key, String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return "SigV4Signer{region=" + region + ", anonymous=" + anonymous() + "}";
  }
}
