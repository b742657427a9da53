package emr.hadoop.fs;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import org.apache.hadoop.fs.FSExceptionMessages;
import org.apache.hadoop.fs.FSInputStream;
import org.apache.hadoop.fs.FileSystem;

/**
 * Reads an object with ranged GETs ({@code Range: bytes=pos-}), opened lazily on first read.
 *
 * <p>Seeks are lazy: they only move the position. A read at the open response's position goes
 * on in it, one less than {@link #SKIP_LIMIT} ahead skips within it, and any other reopens it at
 * the new position. Positional reads (pread, and Hadoop's vectored reads built on them) share
 * the open response and leave the stream's own position alone, so ascending preads, as Parquet
 * issues them in 64 KB pieces, stream through one GET rather than one GET each. A read that fails
 * mid-stream is retried once from where it was.
 */
final class S3InputStream extends FSInputStream {
  static final long SKIP_LIMIT = 64 * 1024;
  private static final int BUFFER = 64 * 1024;

  private final S3Client client;
  private final String bucket;
  private final String key;
  private final long length;
  private final FileSystem.Statistics statistics;
  private InputStream wrapped;
  /** Where the open response is; meaningless while none is. */
  private long streamPosition;
  /** getPos(): where the next read() reads. */
  private long position;
  private boolean closed;

  S3InputStream(S3Client client, String bucket, String key, long length,
      FileSystem.Statistics statistics) {
    this.client = client;
    this.bucket = bucket;
    this.key = key;
    this.length = length;
    this.statistics = statistics;
  }

  @Override
  public synchronized long getPos() {
    return position;
  }

  @Override
  public synchronized void seek(long target) throws IOException {
    checkOpen();
    checkPosition(target);
    position = target;
  }

  private void checkPosition(long target) throws EOFException {
    if (target < 0) {
      throw new EOFException(FSExceptionMessages.NEGATIVE_SEEK + " " + target);
    }
    if (target > length) {
      throw new EOFException(FSExceptionMessages.CANNOT_SEEK_PAST_EOF + " " + target + " > "
          + length + " in " + client.display(bucket, key));
    }
  }

  @Override
  public boolean seekToNewSource(long targetPos) {
    return false;
  }

  @Override
  public synchronized int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n <= 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public synchronized int read(byte[] buffer, int offset, int count) throws IOException {
    int n = readAt(position, buffer, offset, count);
    if (n > 0) {
      position += n;
    }
    return n;
  }

  /** pread: reads at {@code at} without moving getPos(). */
  @Override
  public synchronized int read(long at, byte[] buffer, int offset, int count)
      throws IOException {
    validatePositionedReadArgs(at, buffer, offset, count);
    return readAt(at, buffer, offset, count);
  }

  @Override
  public synchronized void readFully(long at, byte[] buffer, int offset, int count)
      throws IOException {
    validatePositionedReadArgs(at, buffer, offset, count);
    int done = 0;
    while (done < count) {
      int n = readAt(at + done, buffer, offset + done, count - done);
      if (n < 0) {
        throw new EOFException(FSExceptionMessages.EOF_IN_READ_FULLY + " "
            + client.display(bucket, key) + " at " + (at + done));
      }
      done += n;
    }
  }

  private int readAt(long at, byte[] buffer, int offset, int count) throws IOException {
    checkOpen();
    if (count == 0) {
      return 0;
    }
    if (at >= length) {
      return -1;
    }
    int n;
    try {
      n = streamAt(at).read(buffer, offset, count);
    } catch (java.io.InterruptedIOException e) {
      throw e;
    } catch (IOException e) {
      closeStream();
      n = streamAt(at).read(buffer, offset, count);
    }
    if (n < 0) {
      closeStream();
      throw new EOFException("premature end of " + client.display(bucket, key) + " at " + at
          + " of " + length + " bytes");
    }
    streamPosition += n;
    if (statistics != null) {
      statistics.incrementBytesRead(n);
    }
    return n;
  }

  /** The open response positioned at {@code at}: reused, skipped forward, or reopened. */
  private InputStream streamAt(long at) throws IOException {
    if (wrapped != null && at != streamPosition) {
      long forward = at - streamPosition;
      if (forward > 0 && forward < SKIP_LIMIT) {
        while (streamPosition < at) {
          long skipped = wrapped.skip(at - streamPosition);
          if (skipped <= 0) {
            break;
          }
          streamPosition += skipped;
        }
      }
      if (streamPosition != at) {
        closeStream();
      }
    }
    if (wrapped == null) {
      wrapped = new BufferedInputStream(client.get(bucket, key, at), BUFFER);
      streamPosition = at;
    }
    return wrapped;
  }

  @Override
  public synchronized int available() throws IOException {
    checkOpen();
    return (int) Math.min(Integer.MAX_VALUE, length - position);
  }

  @Override
  public synchronized void close() throws IOException {
    if (!closed) {
      closed = true;
      closeStream();
    }
  }

  private void closeStream() {
    if (wrapped != null) {
      try {
        wrapped.close();
      } catch (IOException ignored) {
        // the connection is gone either way
      }
      wrapped = null;
    }
  }

  private void checkOpen() throws IOException {
    if (closed) {
      throw new IOException(FSExceptionMessages.STREAM_IS_CLOSED + ": "
          + client.display(bucket, key));
    }
  }
}
