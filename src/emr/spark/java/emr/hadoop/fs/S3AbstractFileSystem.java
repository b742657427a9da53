package emr.hadoop.fs;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.DelegateToFileSystem;

/** FileContext's view of {@link S3FileSystem} (fs.AbstractFileSystem.s3|s3a|s3n.impl). */
public class S3AbstractFileSystem extends DelegateToFileSystem {
  public S3AbstractFileSystem(URI uri, Configuration conf)
      throws IOException, URISyntaxException {
    super(uri, new S3FileSystem(), conf, uri.getScheme(), false);
  }

  @Override
  public int getUriDefaultPort() {
    return -1;
  }
}
