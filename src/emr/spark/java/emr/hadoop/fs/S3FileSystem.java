package emr.hadoop.fs;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.CreateFlag;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.ParentNotDirectoryException;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.PathIsNotEmptyDirectoryException;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;

/**
 * EMRFS: {@code s3://}, {@code s3a://} and {@code s3n://} over the S3 REST protocol (SigV4,
 * path-style), for our region server or any S3-compatible store. One instance per bucket, as
 * Hadoop caches file systems by scheme and authority.
 *
 * <p>Directories follow S3A: a directory is a {@code key/} marker object or any key under
 * {@code key/}. mkdirs writes a marker; a file's successful close deletes its ancestors' markers
 * (S3A's "delete" marker policy) so listings show no stale markers; deleting or renaming away the
 * last entry of a directory puts its marker back, so the directory stays, as on HDFS. Rename is
 * server-side copy then delete: not atomic, and O(data).
 *
 * <p>Output committer: Spark's default (SQLHadoopMapReduceCommitProtocol over
 * FileOutputCommitter, algorithm version 1) writes task output under {@code
 * <dest>/_temporary/<attempt>/}, moves a task's files to {@code _temporary/0/task_*} at task
 * commit and into {@code <dest>} only at job commit, then writes {@code _SUCCESS}. A job whose
 * tasks fail never reaches job commit, and job abort deletes {@code _temporary}: no part files and
 * no {@code _SUCCESS} appear. What stays weaker than HDFS: job commit itself is a sequence of
 * copies, so a driver that dies during job commit can leave some part files without {@code
 * _SUCCESS}; readers that must be sure check for {@code _SUCCESS}. Keep algorithm version 1:
 * version 2 publishes files at task commit, so failed jobs would leave partial output.
 *
 * <p>Configuration (first found wins): {@code fs.<scheme>.endpoint|access.key|secret.key|
 * session.token|endpoint.region}, the same under {@code fs.s3a.}, then AWS_ENDPOINT_URL_S3,
 * AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION,
 * AWS_DEFAULT_REGION. {@code fs.s3.block.size} (128 MB) is the split size reported to readers;
 * {@code fs.s3.multipart.size} (16 MB, at least 5 MB) the upload part size; {@code
 * fs.s3.paging.maximum} (1000) the keys per listing page.
 */
public class S3FileSystem extends FileSystem {
  private static final ExecutorService COPIES = Executors.newFixedThreadPool(8, runnable -> {
    Thread thread = new Thread(runnable, "emrfs-copy");
    thread.setDaemon(true);
    return thread;
  });

  private URI uri;
  private String scheme = "s3";
  private String bucket;
  private Path workingDirectory;
  private S3Settings settings;
  private S3Client client;
  private String owner;

  @Override
  public void initialize(URI name, Configuration conf) throws IOException {
    super.initialize(name, conf);
    setConf(conf);
    scheme = name.getScheme().toLowerCase(Locale.ROOT);
    bucket = name.getAuthority();
    if (bucket == null || bucket.isEmpty()) {
      throw new IOException("No bucket in " + name + " (expected " + scheme + "://bucket/key)");
    }
    uri = URI.create(scheme + "://" + bucket);
    workingDirectory = new Path(scheme, bucket, "/");
    settings = new S3Settings(scheme, conf);
    client = new S3Client(settings.endpoint, scheme, settings.signer);
    owner = System.getProperty("user.name", "");
  }

  @Override
  public String getScheme() {
    return scheme;
  }

  @Override
  public URI getUri() {
    return uri;
  }

  @Override
  public Path getWorkingDirectory() {
    return workingDirectory;
  }

  @Override
  public void setWorkingDirectory(Path directory) {
    workingDirectory = makeQualified(directory);
  }

  @Override
  public long getDefaultBlockSize(Path path) {
    return settings.blockSize;
  }

  @Override
  @Deprecated
  public long getDefaultBlockSize() {
    return settings.blockSize;
  }

  /** No delegation tokens: credentials come from configuration or the environment. */
  @Override
  public String getCanonicalServiceName() {
    return null;
  }

  // ---- paths ------------------------------------------------------------------------------

  /** The object key of a path of this bucket ("" for the root); "Wrong FS" for others. */
  private String key(Path path) {
    String decoded = makeQualified(path).toUri().getPath();
    String key = decoded.startsWith("/") ? decoded.substring(1) : decoded;
    return key.endsWith("/") ? key.substring(0, key.length() - 1) : key;
  }

  private Path pathOf(String key) {
    String trimmed = key.endsWith("/") ? key.substring(0, key.length() - 1) : key;
    return new Path(scheme, bucket, "/" + trimmed);
  }

  private static String parentKey(String key) {
    int slash = key.lastIndexOf('/');
    return slash < 0 ? "" : key.substring(0, slash);
  }

  private FileStatus fileStatus(String key, long length, long modified) {
    return new FileStatus(length, false, 1, settings.blockSize, modified, 0, null, owner, owner,
        pathOf(key));
  }

  private FileStatus directoryStatus(String key) {
    return new FileStatus(0, true, 1, 0, 0, 0, null, owner, owner, pathOf(key));
  }

  private FileNotFoundException notFound(String key) {
    return new FileNotFoundException("No such file or directory: " + client.display(bucket, key));
  }

  // ---- metadata ---------------------------------------------------------------------------

  @Override
  public FileStatus getFileStatus(Path path) throws IOException {
    String key = key(path);
    if (key.isEmpty()) {
      return directoryStatus(key);
    }
    S3Client.Head head = client.head(bucket, key);
    if (head != null) {
      return fileStatus(key, head.length(), head.modified());
    }
    if (isDirectory(key)) {
      return directoryStatus(key);
    }
    throw notFound(key);
  }

  /** Whether anything (a marker or a child) lies under {@code key/}. */
  private boolean isDirectory(String key) throws IOException {
    S3Xml.ListPage page = client.list(bucket, key + "/", null, null, 1);
    return !page.objects().isEmpty() || !page.prefixes().isEmpty();
  }

  @Override
  public FileStatus[] listStatus(Path path) throws IOException {
    String key = key(path);
    String prefix = key.isEmpty() ? "" : key + "/";
    List<FileStatus> entries = new ArrayList<>();
    boolean exists = key.isEmpty();
    String token = null;
    do {
      S3Xml.ListPage page = client.list(bucket, prefix, "/", token, settings.pageSize);
      for (S3Xml.ObjectSummary object : page.objects()) {
        exists = true;
        if (!object.key().equals(prefix)) {
          entries.add(fileStatus(object.key(), object.size(), object.modified()));
        }
      }
      for (String common : page.prefixes()) {
        exists = true;
        if (!common.equals(prefix + "/")) {
          entries.add(directoryStatus(common));
        }
      }
      token = page.nextToken();
    } while (token != null);
    if (exists) {
      return entries.toArray(new FileStatus[0]);
    }
    S3Client.Head head = client.head(bucket, key);
    if (head != null) {
      return new FileStatus[] {fileStatus(key, head.length(), head.modified())};
    }
    throw notFound(key);
  }

  /** Recursive listings are one flat ListObjectsV2 walk, not a tree walk. */
  @Override
  public RemoteIterator<LocatedFileStatus> listFiles(Path path, boolean recursive)
      throws IOException {
    if (!recursive) {
      return super.listFiles(path, false);
    }
    String key = key(path);
    List<LocatedFileStatus> files = new ArrayList<>();
    String prefix = key.isEmpty() ? "" : key + "/";
    List<S3Xml.ObjectSummary> objects = client.listAll(bucket, prefix, settings.pageSize);
    for (S3Xml.ObjectSummary object : objects) {
      if (!object.key().endsWith("/")) {
        files.add(located(fileStatus(object.key(), object.size(), object.modified())));
      }
    }
    if (objects.isEmpty() && !key.isEmpty()) {
      FileStatus status = getFileStatus(path);
      if (status.isFile()) {
        files.add(located(status));
      }
    }
    Iterator<LocatedFileStatus> iterator = files.iterator();
    return new RemoteIterator<>() {
      @Override
      public boolean hasNext() {
        return iterator.hasNext();
      }

      @Override
      public LocatedFileStatus next() {
        if (!iterator.hasNext()) {
          throw new NoSuchElementException();
        }
        return iterator.next();
      }
    };
  }

  private LocatedFileStatus located(FileStatus status) throws IOException {
    return new LocatedFileStatus(status, getFileBlockLocations(status, 0, status.getLen()));
  }

  // ---- data -------------------------------------------------------------------------------

  @Override
  public FSDataInputStream open(Path path, int bufferSize) throws IOException {
    String key = key(path);
    S3Client.Head head = key.isEmpty() ? null : client.head(bucket, key);
    if (head == null) {
      if (key.isEmpty() || isDirectory(key)) {
        throw new FileNotFoundException("Can't open " + client.display(bucket, key)
            + " because it is a directory");
      }
      throw notFound(key);
    }
    return new FSDataInputStream(
        new S3InputStream(client, bucket, key, head.length(), statistics));
  }

  @Override
  public FSDataOutputStream create(Path path, FsPermission permission, boolean overwrite,
      int bufferSize, short replication, long blockSize, Progressable progress)
      throws IOException {
    String key = key(path);
    FileStatus existing = null;
    if (key.isEmpty()) {
      throw new FileAlreadyExistsException(client.display(bucket, key) + " is a directory");
    }
    try {
      existing = getFileStatus(path);
    } catch (FileNotFoundException absent) {
      // the usual case
    }
    if (existing != null && existing.isDirectory()) {
      throw new FileAlreadyExistsException(client.display(bucket, key) + " is a directory");
    }
    if (existing != null && !overwrite) {
      throw new FileAlreadyExistsException(client.display(bucket, key) + " already exists");
    }
    S3OutputStream out = new S3OutputStream(client, bucket, key, settings.partSize,
        () -> deleteAncestorMarkers(key));
    return new FSDataOutputStream(out, statistics);
  }

  @Override
  public FSDataOutputStream createNonRecursive(Path path, FsPermission permission,
      EnumSet<CreateFlag> flags, int bufferSize, short replication, long blockSize,
      Progressable progress) throws IOException {
    Path parent = makeQualified(path).getParent();
    if (parent != null && !getFileStatus(parent).isDirectory()) {
      throw new ParentNotDirectoryException(parent + " is not a directory");
    }
    return create(path, permission, flags.contains(CreateFlag.OVERWRITE), bufferSize,
        replication, blockSize, progress);
  }

  @Override
  public FSDataOutputStream append(Path path, int bufferSize, Progressable progress)
      throws IOException {
    throw new IOException("Append is not supported by " + scheme + "://");
  }

  // ---- namespace --------------------------------------------------------------------------

  @Override
  public boolean mkdirs(Path path, FsPermission permission) throws IOException {
    String key = key(path);
    if (key.isEmpty()) {
      return true;
    }
    if (client.head(bucket, key) != null) {
      throw new FileAlreadyExistsException(client.display(bucket, key) + " is a file");
    }
    if (isDirectory(key)) {
      return true;
    }
    for (String ancestor = parentKey(key); !ancestor.isEmpty(); ancestor = parentKey(ancestor)) {
      if (client.head(bucket, ancestor) != null) {
        throw new ParentNotDirectoryException(client.display(bucket, ancestor) + " is a file");
      }
      if (isDirectory(ancestor)) {
        break;
      }
    }
    client.put(bucket, key + "/", new byte[0], 0);
    deleteAncestorMarkers(key);
    return true;
  }

  @Override
  public boolean delete(Path path, boolean recursive) throws IOException {
    String key = key(path);
    if (key.isEmpty()) {
      return false; // never empty a whole bucket through the file system
    }
    FileStatus status;
    try {
      status = getFileStatus(path);
    } catch (FileNotFoundException absent) {
      return false;
    }
    if (status.isFile()) {
      client.delete(bucket, key);
    } else {
      String marker = key + "/";
      List<String> keys = new ArrayList<>();
      for (S3Xml.ObjectSummary object : client.listAll(bucket, marker, settings.pageSize)) {
        if (!object.key().equals(marker)) {
          keys.add(object.key());
        }
      }
      if (!keys.isEmpty() && !recursive) {
        throw new PathIsNotEmptyDirectoryException(client.display(bucket, key));
      }
      keys.add(marker);
      client.deleteAll(bucket, keys);
    }
    keepParent(key);
    return true;
  }

  @Override
  public boolean rename(Path src, Path dst) throws IOException {
    String srcKey = key(src);
    String dstKey = key(dst);
    if (srcKey.isEmpty()) {
      return false;
    }
    FileStatus source;
    try {
      source = getFileStatus(src);
    } catch (FileNotFoundException absent) {
      return false;
    }
    if (dstKey.equals(srcKey)) {
      return source.isFile();
    }
    if (source.isDirectory() && (dstKey + "/").startsWith(srcKey + "/")) {
      return false; // into itself
    }
    FileStatus target = statusOrNull(dstKey);
    if (target != null) {
      if (target.isFile()) {
        return false;
      }
      String name = srcKey.substring(srcKey.lastIndexOf('/') + 1);
      dstKey = dstKey.isEmpty() ? name : dstKey + "/" + name;
      if (dstKey.equals(srcKey)) {
        return source.isFile();
      }
      FileStatus inner = statusOrNull(dstKey);
      if (inner != null && (inner.isFile() || listStatus(pathOf(dstKey)).length > 0)) {
        return false;
      }
    } else {
      String parent = parentKey(dstKey);
      if (!parent.isEmpty() && !parent.equals(parentKey(srcKey))
          && client.head(bucket, parent) != null) {
        return false; // the destination's parent is a file
      }
    }
    boolean filledDirectory = false;
    if (source.isFile()) {
      client.copy(bucket, srcKey, dstKey);
      client.delete(bucket, srcKey);
    } else {
      filledDirectory = renameDirectory(srcKey, dstKey);
    }
    deleteAncestorMarkers(filledDirectory ? dstKey + "/" : dstKey);
    keepParent(srcKey);
    return true;
  }

  /** Copies then deletes everything under {@code srcKey/}; whether it had children. */
  private boolean renameDirectory(String srcKey, String dstKey) throws IOException {
    String marker = srcKey + "/";
    List<S3Xml.ObjectSummary> objects = client.listAll(bucket, marker, settings.pageSize);
    List<String> sources = new ArrayList<>();
    List<Future<Void>> copies = new ArrayList<>();
    for (S3Xml.ObjectSummary object : objects) {
      String from = object.key();
      sources.add(from);
      if (from.equals(marker) && objects.size() > 1) {
        continue; // the destination is not empty: no marker
      }
      String to = dstKey + "/" + from.substring(marker.length());
      copies.add(COPIES.submit(() -> {
        client.copy(bucket, from, to);
        return null;
      }));
    }
    awaitAll(copies);
    client.deleteAll(bucket, sources);
    return objects.size() > 1 || (objects.size() == 1 && !objects.get(0).key().equals(marker));
  }

  private static void awaitAll(List<Future<Void>> futures) throws IOException {
    IOException failure = null;
    for (Future<Void> future : futures) {
      try {
        future.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("rename interrupted");
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        IOException io = cause instanceof IOException ? (IOException) cause
            : new IOException(cause);
        if (failure == null) {
          failure = io;
        } else {
          failure.addSuppressed(io);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  private FileStatus statusOrNull(String key) throws IOException {
    try {
      return getFileStatus(pathOf(key));
    } catch (FileNotFoundException absent) {
      return null;
    }
  }

  /**
   * Drops the markers of {@code key}'s ancestors: its existence now implies them. A key ending
   * in "/" stands for a non-empty directory, whose own marker goes too.
   */
  private void deleteAncestorMarkers(String key) throws IOException {
    List<String> markers = new ArrayList<>();
    if (key.endsWith("/")) {
      markers.add(key);
      key = key.substring(0, key.length() - 1);
    }
    for (String ancestor = parentKey(key); !ancestor.isEmpty(); ancestor = parentKey(ancestor)) {
      markers.add(ancestor + "/");
    }
    if (!markers.isEmpty()) {
      client.deleteAll(bucket, markers);
    }
  }

  /** After {@code key} went away, its parent directory keeps existing (as on HDFS). */
  private void keepParent(String key) throws IOException {
    String parent = parentKey(key);
    if (!parent.isEmpty() && !isDirectory(parent)) {
      client.put(bucket, parent + "/", new byte[0], 0);
    }
  }

  @Override
  public String toString() {
    return "S3FileSystem{uri=" + uri + ", " + settings + "}";
  }
}
