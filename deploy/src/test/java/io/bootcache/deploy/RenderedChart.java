package io.bootcache.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The chart rendered by helm's own engine (helm template), as a list of objects. */
final class RenderedChart {
  static final Path CHART = Path.of("helm/bootcache");
  static final String RELEASE = "bc";
  static final String NAMESPACE = "vdi";
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  final List<JsonNode> objects;

  private RenderedChart(List<JsonNode> objects) {
    this.objects = objects;
  }

  /** `helm template bc helm/bootcache --namespace vdi --set KEY=VALUE...` */
  static RenderedChart render(Map<String, Object> values) throws IOException {
    TemplateCommand template = new Helm(CHART).template().withName(RELEASE).withNamespace(NAMESPACE);
    values.forEach(template::set);
    List<JsonNode> objects = new ArrayList<>();
    try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(template.call())) {
      while (docs.hasNext()) {
        JsonNode doc = docs.next();
        if (doc != null && !doc.isNull() && !doc.isEmpty()) objects.add(doc);
      }
    }
    return new RenderedChart(objects);
  }

  Optional<JsonNode> find(String kind) {
    return objects.stream().filter(o -> o.path("kind").asText().equals(kind)).findFirst();
  }

  JsonNode get(String kind) {
    return find(kind).orElseThrow(() -> new AssertionError("no " + kind + " rendered"));
  }

  /** The object as its Kubernetes API type. */
  <T> T get(String kind, Class<T> type) throws IOException {
    return YAML.treeToValue(get(kind), type);
  }
}
