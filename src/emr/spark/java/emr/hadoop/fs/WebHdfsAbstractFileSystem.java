package emr.hadoop.fs;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.DelegateToFileSystem;
import org.apache.hadoop.fs.FsServerDefaults;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.web.WebHdfsFileSystem;
import org.apache.hadoop.ipc.RemoteException;
import org.apache.hadoop.util.DataChecksum;

/**
 * FileContext for {@code hdfs://} over Hadoop's own WebHdfsFileSystem
 * (fs.AbstractFileSystem.hdfs.impl), used by Structured Streaming checkpoints.
 *
 * <p>The port of an {@code hdfs://} URI is the NameNode's WebHDFS HTTP port (8020 on our
 * clusters). FileContext resolves scheme-less paths ({@code /x}) through fs.defaultFS; like
 * Hadoop's own Hdfs class it needs an authority in {@code hdfs://} URIs (FileSystem, not
 * FileContext, also accepts {@code hdfs:///x}).
 *
 * <p>FileContext's create asks for the server defaults; a NameNode that does not know
 * GETSERVERDEFAULTS answers IllegalArgumentException, which WebHdfsFileSystem itself treats as
 * "old server" (HDFS-13100). Here too: the client-side defaults are used instead.
 */
public class WebHdfsAbstractFileSystem extends DelegateToFileSystem {
  public WebHdfsAbstractFileSystem(URI uri, Configuration conf)
      throws IOException, URISyntaxException {
    super(uri, new WebHdfsFileSystem(), conf, "hdfs", true);
  }

  @Override
  public FsServerDefaults getServerDefaults(Path path) throws IOException {
    try {
      return super.getServerDefaults(path);
    } catch (RemoteException e) {
      return clientDefaults(e, path);
    }
  }

  @Override
  @Deprecated
  public FsServerDefaults getServerDefaults() throws IOException {
    try {
      return super.getServerDefaults();
    } catch (RemoteException e) {
      return clientDefaults(e, new Path("/"));
    }
  }

  private FsServerDefaults clientDefaults(RemoteException e, Path path) throws RemoteException {
    if (!IllegalArgumentException.class.getName().equals(e.getClassName())) {
      throw e;
    }
    Configuration conf = fsImpl.getConf();
    return new FsServerDefaults(
        fsImpl.getDefaultBlockSize(path),
        conf.getInt("dfs.bytes-per-checksum", 512),
        conf.getInt("dfs.client-write-packet-size", 64 * 1024),
        fsImpl.getDefaultReplication(path),
        conf.getInt("io.file.buffer.size", 4096),
        false,
        conf.getLong("fs.trash.interval", 0),
        DataChecksum.Type.CRC32C);
  }
}
