package emr.hadoop.fs;

import java.net.URI;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;

/**
 * Where and as whom a file system instance talks to S3, resolved once at initialize.
 *
 * <p>First found wins: {@code fs.<scheme>.<name>}, then {@code fs.s3a.<name>} (what users of S3A
 * already set), then the AWS environment variables that our cluster gives every container.
 */
final class S3Settings {
  static final long DEFAULT_BLOCK_SIZE = 128L << 20;
  static final long DEFAULT_PART_SIZE = 16L << 20;
  static final long MIN_PART_SIZE = 5L << 20;
  static final long MAX_PART_SIZE = 1L << 30;

  final URI endpoint;
  final String region;
  final long blockSize;
  final int partSize;
  final int pageSize;
  final SigV4Signer signer;

  S3Settings(String scheme, Configuration conf) {
    region = first(conf, scheme, "endpoint.region", "AWS_REGION", "AWS_DEFAULT_REGION",
        "us-east-1");
    String url = first(conf, scheme, "endpoint", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", null);
    if (url == null) {
      url = "https://s3." + region + ".amazonaws.com";
    } else if (!url.contains("://")) {
      url = "https://" + url;
    }
    endpoint = URI.create(url);
    signer = new SigV4Signer(
        first(conf, scheme, "access.key", "AWS_ACCESS_KEY_ID", null, null),
        first(conf, scheme, "secret.key", "AWS_SECRET_ACCESS_KEY", null, null),
        first(conf, scheme, "session.token", "AWS_SESSION_TOKEN", null, null),
        region);
    blockSize = bytes(conf, scheme, "block.size", DEFAULT_BLOCK_SIZE);
    long part = bytes(conf, scheme, "multipart.size", DEFAULT_PART_SIZE);
    partSize = (int) Math.min(MAX_PART_SIZE, Math.max(MIN_PART_SIZE, part));
    pageSize = (int) Math.max(1, Math.min(1000, bytes(conf, scheme, "paging.maximum", 1000)));
  }

  private static String first(Configuration conf, String scheme, String name, String env,
      String fallbackEnv, String fallback) {
    for (String prefix : new String[] {"fs." + scheme + ".", "fs.s3a."}) {
      String value = conf.getTrimmed(prefix + name);
      if (value != null && !value.isEmpty()) {
        return value;
      }
    }
    for (String variable : new String[] {env, fallbackEnv}) {
      String value = variable == null ? null : System.getenv(variable);
      if (value != null && !value.trim().isEmpty()) {
        return value.trim();
      }
    }
    return fallback;
  }

  /** {@code fs.<scheme>.<name>} then {@code fs.s3.<name>}, with k/m/g suffixes. */
  private static long bytes(Configuration conf, String scheme, String name, long fallback) {
    String own = "fs." + scheme.toLowerCase(Locale.ROOT) + "." + name;
    if (conf.getTrimmed(own) != null) {
      return conf.getLongBytes(own, fallback);
    }
    return conf.getLongBytes("fs.s3." + name, fallback);
  }

  @Override
  public String toString() {
    return "S3Settings{endpoint=" + endpoint + ", region=" + region + "}";
  }
}
