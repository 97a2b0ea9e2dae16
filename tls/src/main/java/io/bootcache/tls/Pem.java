package io.bootcache.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The blocks of a PEM file ("-----BEGIN TYPE-----", base64, "-----END TYPE-----"), with their types. */
record Pem(String type, byte[] der) {
  private static final Pattern BLOCK =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*?)-----END \\1-----");

  /** Every block of the file, in order; text around them (openssl's comments) is passed over. */
  static List<Pem> read(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
    }
    List<Pem> blocks = new ArrayList<>();
    Matcher m = BLOCK.matcher(text);
    while (m.find()) {
      try {
        blocks.add(new Pem(m.group(1), Base64.getMimeDecoder().decode(m.group(2))));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(file + ": a " + m.group(1) + " block is not valid base64", e);
      }
    }
    if (blocks.isEmpty()) throw new IllegalArgumentException(file + " holds no PEM block (-----BEGIN ...-----)");
    return blocks;
  }
}
