package emr.hadoop.fs;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.fs.Syncable;

/**
 * Writes an object without holding it whole: below one part size a single PUT at close, else a
 * multipart upload with at most one part in flight while the next one fills (so at most two part
 * buffers). Nothing is visible until close succeeds; a failed close aborts the upload.
 */
final class S3OutputStream extends OutputStream implements Syncable {
  /** What to do once the object is visible (S3FileSystem drops ancestor markers). */
  interface Published {
    void run() throws IOException;
  }

  private static final ExecutorService UPLOADS = Executors.newCachedThreadPool(runnable -> {
    Thread thread = new Thread(runnable, "emrfs-upload");
    thread.setDaemon(true);
    return thread;
  });

  private final S3Client client;
  private final String bucket;
  private final String key;
  private final int partSize;
  private final Published onSuccess;
  private byte[] buffer;
  private int filled;
  private byte[] spare;
  private String uploadId;
  private final List<String> etags = new ArrayList<>();
  private Future<String> inFlight;
  private boolean closed;

  S3OutputStream(S3Client client, String bucket, String key, int partSize, Published onSuccess) {
    this.client = client;
    this.bucket = bucket;
    this.key = key;
    this.partSize = partSize;
    this.onSuccess = onSuccess;
    this.buffer = new byte[Math.min(partSize, 64 * 1024)];
  }

  @Override
  public synchronized void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public synchronized void write(byte[] data, int offset, int count) throws IOException {
    checkOpen();
    while (count > 0) {
      if (filled == buffer.length && buffer.length < partSize) {
        buffer = Arrays.copyOf(buffer, (int) Math.min(partSize, 2L * buffer.length));
      }
      int n = Math.min(count, buffer.length - filled);
      System.arraycopy(data, offset, buffer, filled, n);
      filled += n;
      offset += n;
      count -= n;
      if (filled == partSize) {
        uploadFullPart();
      }
    }
  }

  private void uploadFullPart() throws IOException {
    try {
      if (uploadId == null) {
        uploadId = client.createMultipartUpload(bucket, key);
      }
      awaitInFlight();
      final byte[] part = buffer;
      final int number = etags.size() + 1;
      final String id = uploadId;
      inFlight = UPLOADS.submit(() -> client.uploadPart(bucket, key, id, number, part, partSize));
      buffer = spare != null ? spare : new byte[partSize];
      spare = part;
      filled = 0;
    } catch (IOException | RuntimeException e) {
      abort(e);
      throw e;
    }
  }

  private void awaitInFlight() throws IOException {
    if (inFlight == null) {
      return;
    }
    try {
      etags.add(inFlight.get());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("upload of " + client.display(bucket, key)
          + " interrupted");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw cause instanceof IOException io ? io
          : new IOException("upload of " + client.display(bucket, key) + " failed", cause);
    } finally {
      inFlight = null;
    }
  }

  /** hflush/hsync cannot make a partial object visible on S3: they do nothing. */
  @Override
  public void hflush() {}

  @Override
  public void hsync() {}

  @Override
  public void flush() {}

  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      if (uploadId == null) {
        client.put(bucket, key, buffer, filled);
      } else {
        awaitInFlight();
        if (filled > 0) {
          etags.add(client.uploadPart(bucket, key, uploadId, etags.size() + 1, buffer, filled));
        }
        client.completeMultipartUpload(bucket, key, uploadId, etags);
      }
    } catch (IOException | RuntimeException e) {
      abort(e);
      throw e;
    } finally {
      buffer = null;
      spare = null;
    }
    onSuccess.run();
  }

  private void abort(Exception cause) {
    closed = true;
    if (inFlight != null) {
      inFlight.cancel(true);
      inFlight = null;
    }
    if (uploadId != null) {
      try {
        client.abortMultipartUpload(bucket, key, uploadId);
      } catch (IOException e) {
        cause.addSuppressed(e);
      }
      uploadId = null;
    }
  }

  private void checkOpen() throws IOException {
    if (closed) {
      throw new IOException("stream closed: " + client.display(bucket, key));
    }
  }
}
