package emr.hadoop.fs;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/** The few S3 XML documents EMRFS reads and writes. */
final class S3Xml {
  private S3Xml() {}

  /** One object of a listing. */
  record ObjectSummary(String key, long size, long modified) {}

  /** One page of ListObjectsV2. */
  record ListPage(List<ObjectSummary> objects, List<String> prefixes, String nextToken) {}

  /** An S3 error document's Code and Message (either may be null). */
  record S3Error(String code, String message) {}

  static Document parse(byte[] body) throws IOException {
    try {
      DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
      factory.setNamespaceAware(false);
      factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      DocumentBuilder builder = factory.newDocumentBuilder();
      return builder.parse(new ByteArrayInputStream(body));
    } catch (ParserConfigurationException | SAXException e) {
      throw new IOException("malformed S3 response: " + e.getMessage(), e);
    }
  }

  static ListPage listPage(byte[] body) throws IOException {
    Element root = parse(body).getDocumentElement();
    List<ObjectSummary> objects = new ArrayList<>();
    List<String> prefixes = new ArrayList<>();
    for (Element contents : children(root, "Contents")) {
      String modified = text(contents, "LastModified");
      String size = text(contents, "Size");
      objects.add(
          new ObjectSummary(
              text(contents, "Key"),
              size == null ? 0 : Long.parseLong(size.trim()),
              modified == null ? 0 : Instant.parse(modified.trim()).toEpochMilli()));
    }
    for (Element common : children(root, "CommonPrefixes")) {
      prefixes.add(text(common, "Prefix"));
    }
    String truncated = text(root, "IsTruncated");
    String token = "true".equalsIgnoreCase(truncated == null ? "" : truncated.trim())
        ? text(root, "NextContinuationToken") : null;
    return new ListPage(objects, prefixes, token);
  }

  /** The Code and Message of an error body, or null when the body is not an Error document. */
  static S3Error error(byte[] body) {
    if (body == null || body.length == 0) {
      return null;
    }
    try {
      Element root = parse(body).getDocumentElement();
      if (!"Error".equals(root.getTagName())) {
        return null;
      }
      return new S3Error(text(root, "Code"), text(root, "Message"));
    } catch (IOException e) {
      return null;
    }
  }

  static String uploadId(byte[] body) throws IOException {
    String id = text(parse(body).getDocumentElement(), "UploadId");
    if (id == null) {
      throw new IOException("CreateMultipartUpload answered without an UploadId");
    }
    return id;
  }

  static String completeMultipart(List<String> etags) {
    StringBuilder xml = new StringBuilder("<CompleteMultipartUpload>");
    for (int i = 0; i < etags.size(); i++) {
      xml.append("<Part><PartNumber>").append(i + 1).append("</PartNumber><ETag>")
          .append(escape(etags.get(i))).append("</ETag></Part>");
    }
    return xml.append("</CompleteMultipartUpload>").toString();
  }

  static String deleteObjects(List<String> keys) {
    StringBuilder xml = new StringBuilder("<Delete><Quiet>true</Quiet>");
    for (String key : keys) {
      xml.append("<Object><Key>").append(escape(key)).append("</Key></Object>");
    }
    return xml.append("</Delete>").toString();
  }

  /** "Key: Code Message" for each key DeleteObjects could not delete. */
  static List<String> deleteErrors(byte[] body) throws IOException {
    List<String> failures = new ArrayList<>();
    for (Element error : children(parse(body).getDocumentElement(), "Error")) {
      failures.add(text(error, "Key") + ": " + text(error, "Code") + " " + text(error, "Message"));
    }
    return failures;
  }

  private static List<Element> children(Element parent, String name) {
    List<Element> found = new ArrayList<>();
    NodeList nodes = parent.getChildNodes();
    for (int i = 0; i < nodes.getLength(); i++) {
      Node node = nodes.item(i);
      if (node instanceof Element element && name.equals(element.getTagName())) {
        found.add(element);
      }
    }
    return found;
  }

  private static String text(Element parent, String name) {
    List<Element> found = children(parent, name);
    return found.isEmpty() ? null : found.get(0).getTextContent();
  }

  private static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("\"", "&quot;").replace("'", "&apos;");
  }
}
