package emr.hadoop.fs;

import java.io.EOFException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * S3 REST operations over java.net.http with path-style addressing and SigV4.
 *
 * <p>Errors: 404 becomes FileNotFoundException, 403 AccessDeniedException, anything else an
 * IOException naming the S3 error Code and Message and the path. Connection failures and
 * 500/503 answers are retried with exponential backoff. Messages never carry credentials.
 */
final class S3Client {
  /** Shared by every instance: thread-safe, and one selector thread for the whole JVM. */
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(30))
          .followRedirects(HttpClient.Redirect.NEVER)
          .build();

  private static final int ATTEMPTS = 4;
  private static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(10);

  /** What HEAD Object says about a key. */
  record Head(long length, long modified) {}

  private final String endpoint;
  /** An endpoint's own path (a gateway's prefix), part of every request path; usually "". */
  private final String basePath;
  private final String host;
  private final String scheme;
  private final SigV4Signer signer;

  S3Client(URI endpoint, String scheme, SigV4Signer signer) {
    String path = endpoint.getRawPath() == null ? "" : endpoint.getRawPath();
    this.basePath = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    this.endpoint = endpoint.getScheme() + "://" + endpoint.getRawAuthority();
    this.scheme = scheme;
    this.signer = signer;
    int port = endpoint.getPort();
    boolean defaultPort = port == -1
        || ("https".equalsIgnoreCase(endpoint.getScheme()) ? port == 443 : port == 80);
    this.host = defaultPort ? endpoint.getHost() : endpoint.getHost() + ":" + port;
  }

  /** The path of a key in messages, in the scheme the user wrote. */
  String display(String bucket, String key) {
    return scheme + "://" + bucket + "/" + key;
  }

  // ---- object operations -----------------------------------------------------------------

  /** HEAD Object, or null when there is no such key. */
  Head head(String bucket, String key) throws IOException {
    Response response;
    try {
      response = send("HEAD", bucket, key, Map.of(), Map.of(), null, 0, false, true);
    } catch (FileNotFoundException | InterruptedIOException e) {
      throw e;
    } catch (IOException e) {
      // A HEAD error has no body: ask again with a GET so the message can name the S3 Code.
      get(bucket, key, 0).close();
      throw e;
    }
    if (response.status == 404) {
      return null;
    }
    String length = response.headers.firstValue("content-length").orElse("0");
    long modified = response.headers.firstValue("last-modified")
        .map(value -> ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME)
            .toInstant().toEpochMilli())
        .orElse(0L);
    return new Head(Long.parseLong(length.trim()), modified);
  }

  /** One page of ListObjectsV2 (delimiter and token may be null). */
  S3Xml.ListPage list(String bucket, String prefix, String delimiter, String token, int maxKeys)
      throws IOException {
    Map<String, String> query = new LinkedHashMap<>();
    query.put("list-type", "2");
    query.put("prefix", prefix);
    query.put("max-keys", Integer.toString(maxKeys));
    if (delimiter != null) {
      query.put("delimiter", delimiter);
    }
    if (token != null) {
      query.put("continuation-token", token);
    }
    Response response = send("GET", bucket, "", query, Map.of(), null, 0, false, false);
    return S3Xml.listPage(response.body);
  }

  /** Every key under {@code prefix} (no delimiter), in pages. */
  List<S3Xml.ObjectSummary> listAll(String bucket, String prefix, int pageSize)
      throws IOException {
    List<S3Xml.ObjectSummary> all = new ArrayList<>();
    String token = null;
    do {
      S3Xml.ListPage page = list(bucket, prefix, null, token, pageSize);
      all.addAll(page.objects());
      token = page.nextToken();
    } while (token != null);
    return all;
  }

  /** GET Object from {@code position} to the end; EOFException when position is past it. */
  InputStream get(String bucket, String key, long position) throws IOException {
    Map<String, String> headers = Map.of("range", "bytes=" + position + "-");
    Response response = send("GET", bucket, key, Map.of(), headers, null, 0, true, false);
    return response.stream;
  }

  void put(String bucket, String key, byte[] data, int length) throws IOException {
    send("PUT", bucket, key, Map.of(), Map.of(), data, length, false, false);
  }

  void copy(String bucket, String sourceKey, String key) throws IOException {
    String source = "/" + bucket + "/" + SigV4Signer.uriEncode(sourceKey, false);
    Response response = send(
        "PUT", bucket, key, Map.of(), Map.of("x-amz-copy-source", source), null, 0, false, false);
    failOnEmbeddedError(response, "CopyObject", bucket, key);
  }

  void delete(String bucket, String key) throws IOException {
    send("DELETE", bucket, key, Map.of(), Map.of(), null, 0, false, false);
  }

  /** DeleteObjects in batches of 1000; IOException naming the keys that could not go. */
  void deleteAll(String bucket, List<String> keys) throws IOException {
    for (int start = 0; start < keys.size(); start += 1000) {
      List<String> batch = keys.subList(start, Math.min(keys.size(), start + 1000));
      byte[] body = S3Xml.deleteObjects(batch).getBytes(StandardCharsets.UTF_8);
      Map<String, String> headers = Map.of("content-md5", md5(body), "content-type",
          "application/xml");
      Response response =
          send("POST", bucket, "", Map.of("delete", ""), headers, body, body.length, false, false);
      List<String> failures = S3Xml.deleteErrors(response.body);
      if (!failures.isEmpty()) {
        throw new IOException(
            "DeleteObjects in " + scheme + "://" + bucket + " failed for " + failures);
      }
    }
  }

  // ---- multipart uploads ------------------------------------------------------------------

  String createMultipartUpload(String bucket, String key) throws IOException {
    Response response =
        send("POST", bucket, key, Map.of("uploads", ""), Map.of(), null, 0, false, false);
    return S3Xml.uploadId(response.body);
  }

  /** Uploads one part and answers its ETag. */
  String uploadPart(String bucket, String key, String uploadId, int number, byte[] data,
      int length) throws IOException {
    Map<String, String> query = Map.of("partNumber", Integer.toString(number), "uploadId",
        uploadId);
    Response response = send("PUT", bucket, key, query, Map.of(), data, length, false, false);
    return response.headers.firstValue("etag")
        .orElseThrow(() -> new IOException("UploadPart answered without an ETag for "
            + display(bucket, key)));
  }

  void completeMultipartUpload(String bucket, String key, String uploadId, List<String> etags)
      throws IOException {
    byte[] body = S3Xml.completeMultipart(etags).getBytes(StandardCharsets.UTF_8);
    Response response = send("POST", bucket, key, Map.of("uploadId", uploadId),
        Map.of("content-type", "application/xml"), body, body.length, false, false);
    failOnEmbeddedError(response, "CompleteMultipartUpload", bucket, key);
  }

  void abortMultipartUpload(String bucket, String key, String uploadId) throws IOException {
    send("DELETE", bucket, key, Map.of("uploadId", uploadId), Map.of(), null, 0, false, false);
  }

  // ---- transport --------------------------------------------------------------------------

  private static final class Response {
    final int status;
    final java.net.http.HttpHeaders headers;
    final byte[] body;
    final InputStream stream;

    Response(int status, java.net.http.HttpHeaders headers, byte[] body, InputStream stream) {
      this.status = status;
      this.headers = headers;
      this.body = body;
      this.stream = stream;
    }
  }

  /**
   * Sends one request, retrying transient failures. {@code streaming}: a 2xx body is handed
   * back unread. {@code allowMissing}: a 404 is returned rather than raised.
   */
  private Response send(String method, String bucket, String key, Map<String, String> query,
      Map<String, String> extraHeaders, byte[] body, int length, boolean streaming,
      boolean allowMissing) throws IOException {
    String rawPath = basePath + "/" + bucket
        + (key.isEmpty() ? "" : "/" + SigV4Signer.uriEncode(key, false));
    String queryString = SigV4Signer.canonicalQuery(query);
    URI uri = URI.create(endpoint + rawPath + (queryString.isEmpty() ? "" : "?" + queryString));
    IOException last = null;
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (attempt > 0) {
        backoff(attempt);
      }
      Map<String, String> headers = new LinkedHashMap<>(extraHeaders);
      signer.sign(method, host, rawPath, query, headers);
      HttpRequest.Builder request = HttpRequest.newBuilder(uri);
      if (!streaming) {
        request.timeout(REQUEST_TIMEOUT);
      }
      headers.forEach(request::header);
      HttpRequest.BodyPublisher publisher = body == null
          ? HttpRequest.BodyPublishers.noBody()
          : HttpRequest.BodyPublishers.ofByteArray(body, 0, length);
      request.method(method, publisher);
      HttpResponse<InputStream> response;
      try {
        response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException(method + " " + display(bucket, key) + " interrupted");
      } catch (IOException e) {
        last = new IOException(method + " " + display(bucket, key) + " to " + endpoint
            + " failed: " + e, e);
        continue;
      }
      int status = response.statusCode();
      if (status >= 200 && status < 300) {
        if (streaming) {
          return new Response(status, response.headers(), null, response.body());
        }
        byte[] bytes;
        try (InputStream in = response.body()) {
          bytes = in.readAllBytes();
        } catch (IOException e) {
          last = new IOException(method + " " + display(bucket, key) + ": " + e, e);
          continue;
        }
        return new Response(status, response.headers(), bytes, null);
      }
      byte[] errorBody;
      try (InputStream in = response.body()) {
        errorBody = in.readAllBytes();
      } catch (IOException e) {
        errorBody = new byte[0];
      }
      if (status == 404 && allowMissing) {
        return new Response(status, response.headers(), errorBody, null);
      }
      IOException error = translate(status, S3Xml.error(errorBody), method, bucket, key);
      if (status == 500 || status == 503) {
        last = error;
        continue;
      }
      throw error;
    }
    throw last;
  }

  private IOException translate(int status, S3Xml.S3Error error, String method, String bucket,
      String key) {
    String path = display(bucket, key);
    String code = error != null && error.code() != null ? error.code() : "HTTP " + status;
    String detail = code + (error != null && error.message() != null ? ": " + error.message()
        : "");
    switch (status) {
      case 404:
        return new FileNotFoundException(path + ": " + detail);
      case 403:
        return new AccessDeniedException(path, null, detail);
      case 416:
        return new EOFException(path + ": " + detail);
      default:
        return new IOException(method + " " + path + " failed: " + status + " " + detail);
    }
  }

  /** CopyObject and CompleteMultipartUpload may answer 200 with an Error document. */
  private void failOnEmbeddedError(Response response, String operation, String bucket,
      String key) throws IOException {
    S3Xml.S3Error error = S3Xml.error(response.body);
    if (error != null) {
      throw new IOException(operation + " " + display(bucket, key) + " failed: " + error.code()
          + ": " + error.message());
    }
  }

  private static void backoff(int attempt) throws InterruptedIOException {
    try {
      Thread.sleep(100L << (2 * (attempt - 1)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while retrying");
    }
  }

  private static String md5(byte[] body) {
    try {
      return Base64.getEncoder().encodeToString(MessageDigest.getInstance("MD5").digest(body));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return "S3Client{endpoint=" + endpoint + ", " + signer + "}";
  }
}
