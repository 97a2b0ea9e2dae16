package io.bootcache.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.bootcache.node.Main;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The Helm chart, rendered by helm's engine and read back as Kubernetes API types, with no unknown
 * field anywhere. Nothing here talks to a cluster: what a cluster would do with it is not tested.
 */
class HelmChartTest {
  /** TLS on, with the secrets it needs. */
  static final Map<String, Object> TLS = Map.of("tls.enabled", true, "tls.secretName", "bootcache-node-tls",
      "tls.grantsSecretName", "bootcache-grants");
  static final Map<String, Class<?>> TYPES = Map.of("DaemonSet", DaemonSet.class, "Service", Service.class,
      "ServiceAccount", ServiceAccount.class, "Role", Role.class, "RoleBinding", RoleBinding.class,
      "ConfigMap", ConfigMap.class);

  static DaemonSet daemonSet(RenderedChart chart) throws IOException {
    return chart.get("DaemonSet", DaemonSet.class);
  }

  static Container container(DaemonSet ds, String name) {
    return ds.getSpec().getTemplate().getSpec().getContainers().stream().filter(c -> c.getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no container " + name));
  }

  static String env(Container c, String name) {
    EnvVar v = c.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no " + name + " in " + c.getName()));
    return v.getValue() != null ? v.getValue() : "fieldRef:" + v.getValueFrom().getFieldRef().getFieldPath();
  }

  @Test
  void helmLintFindsNothing() {
    LintResult lint = new Helm(RenderedChart.CHART).lint().strict().call();
    assertFalse(lint.isFailed(), lint.getMessages().toString());
  }

  @Test
  void everyRenderedObjectIsAKnownKubernetesTypeWithNoUnknownField() throws IOException {
    RenderedChart chart = RenderedChart.render(with(TLS, Map.of("serviceMonitor.enabled", true,
        "serviceMonitor.tlsSecretName", "prometheus-tls", "grafanaDashboard.enabled", true, "imagePaths[0]", "/srv/images", "diskPaths[0]", "/srv/disks",
        "nodeSelector.hypervisor", "yes", "tolerations[0].operator", "Exists")));
    Set<String> kinds = new TreeSet<>();
    for (JsonNode object : chart.objects) {
      String kind = object.path("kind").asText();
      kinds.add(kind);
      if (kind.equals("ServiceMonitor")) continue; // no Java type for it here: checked field by field below
      Class<?> type = TYPES.get(kind);
      assertTrue(type != null, "unexpected kind " + kind);
      Object parsed = RenderedChart.YAML.treeToValue(object, type);
      assertEquals(List.of(), UnknownFields.of(parsed), kind + " has fields its type does not know");
    }
    assertEquals(new TreeSet<>(List.of("ConfigMap", "DaemonSet", "Role", "RoleBinding", "Service", "ServiceAccount",
        "ServiceMonitor")), kinds);
    assertEquals("apps/v1", chart.get("DaemonSet").path("apiVersion").asText());
  }

  @Test
  void theStrictReadingCatchesAMisspeltField() throws IOException {
    JsonNode ds = RenderedChart.render(Map.of()).get("DaemonSet").deepCopy();
    ((ObjectNode) ds.path("spec").path("template").path("spec")).put("hostNetwrk", true);
    List<String> unknown = UnknownFields.of(RenderedChart.YAML.treeToValue(ds, DaemonSet.class));
    assertEquals(List.of(".spec.template.spec [hostNetwrk]"), unknown);
  }

  @Test
  void nodesDiscoverEachOtherThroughTheHeadlessService() throws IOException {
    RenderedChart chart = RenderedChart.render(Map.of());
    DaemonSet ds = daemonSet(chart);
    Service service = chart.get("Service", Service.class);
    Container node = container(ds, "node");
    assertEquals("kubernetes", env(node, "BOOTCACHE_DISCOVERY"));
    assertEquals(service.getMetadata().getName(), env(node, "BOOTCACHE_K8S_SERVICE"));
    assertEquals("fieldRef:metadata.namespace", env(node, "BOOTCACHE_K8S_NAMESPACE"));
    assertEquals("fieldRef:status.podIP", env(node, "BOOTCACHE_BIND"));
    assertEquals("None", service.getSpec().getClusterIP());
    assertTrue(service.getSpec().getPublishNotReadyAddresses());
    Map<String, String> podLabels = ds.getSpec().getTemplate().getMetadata().getLabels();
    assertTrue(podLabels.entrySet().containsAll(service.getSpec().getSelector().entrySet()), "the service selects the pods");
    assertTrue(podLabels.entrySet().containsAll(ds.getSpec().getSelector().getMatchLabels().entrySet()));
    int discoveryPort = node.getPorts().stream().filter(p -> p.getName().equals("discovery")).findFirst().orElseThrow().getContainerPort();
    assertEquals(String.valueOf(discoveryPort), env(node, "BOOTCACHE_DISCOVERY_PORT"));
  }

  @Test
  void theDiscoveryRoleReadsEndpointsOfItsNamespaceOnly() throws IOException {
    RenderedChart chart = RenderedChart.render(Map.of());
    Role role = chart.get("Role", Role.class);
    assertEquals(1, role.getRules().size());
    PolicyRule rule = role.getRules().get(0);
    assertEquals(List.of(""), rule.getApiGroups());
    assertEquals(List.of("endpoints"), rule.getResources());
    assertEquals(List.of("get", "list"), rule.getVerbs());
    RoleBinding binding = chart.get("RoleBinding", RoleBinding.class);
    assertEquals(role.getMetadata().getName(), binding.getRoleRef().getName());
    String account = daemonSet(chart).getSpec().getTemplate().getSpec().getServiceAccountName();
    assertEquals(account, chart.get("ServiceAccount", ServiceAccount.class).getMetadata().getName());
    assertEquals(account, binding.getSubjects().get(0).getName());
    assertEquals(RenderedChart.NAMESPACE, binding.getSubjects().get(0).getNamespace());
  }

  @Test
  void memoryIsSizedFromTheNodesRegionsAndHostTier() throws IOException {
    DaemonSet ds = daemonSet(RenderedChart.render(Map.of("node.memoryMiB", 4096, "node.hostMemoryMiB", 512)));
    Container node = container(ds, "node");
    assertEquals("4096m", env(node, "BOOTCACHE_MEMORY"));
    assertEquals("128m", env(node, "BOOTCACHE_META_MEMORY"));
    assertEquals("64m", env(node, "BOOTCACHE_MANIFEST_MEMORY"));
    assertEquals("512m", env(node, "BOOTCACHE_HOST_MEMORY"));
    assertTrue(env(node, "JAVA_TOOL_OPTIONS").contains("-Xmx512m"), env(node, "JAVA_TOOL_OPTIONS"));
    assertTrue(env(node, "JAVA_TOOL_OPTIONS").contains("-XX:MaxDirectMemorySize=640m"), "host tier 512 + network 128");
    assertTrue(env(node, "JAVA_TOOL_OPTIONS").contains("-XX:+ExitOnOutOfMemoryError"), "out of memory, the node exits and is restarted");
    // blocks 4096 + meta 128 + manifests 64 + direct 640 + heap 512 + JVM overhead 256
    assertEquals(new Quantity("5696Mi"), node.getResources().getLimits().get("memory"));
    assertEquals(node.getResources().getLimits().get("memory"), node.getResources().getRequests().get("memory"));
  }

  @Test
  void aDiskCacheIsKeptInTheHostDataDirectoryOnlyWhenSized() throws IOException {
    Container plain = container(daemonSet(RenderedChart.render(Map.of())), "node");
    assertTrue(plain.getEnv().stream().noneMatch(e -> e.getName().equals("BOOTCACHE_DISK_CACHE")));

    Container node = container(daemonSet(RenderedChart.render(Map.of("node.diskCacheMiB", 8192))), "node");
    assertEquals("/var/lib/bootcache/disk-cache", env(node, "BOOTCACHE_DISK_CACHE"));
    assertEquals("8192m", env(node, "BOOTCACHE_DISK_CACHE_SIZE"));
    assertEquals("2m", env(node, "BOOTCACHE_REJOIN_GRACE"));
    assertEquals("1", env(node, "BOOTCACHE_INITIAL_NODES"));
    assertTrue(node.getVolumeMounts().stream().anyMatch(m -> m.getMountPath().equals("/var/lib/bootcache")),
        "the disk cache lives on the data directory's hostPath, so it outlives the pod");
    Exception e = assertThrows(Exception.class, () -> RenderedChart.render(Map.of("node.diskCacheMiB", 64)));
    assertTrue(e.getMessage().contains("node.diskCacheMiB is at least 128"), e.getMessage());
  }

  @Test
  void livenessAndReadinessAskTheAdminPortForHealth() throws IOException {
    Container node = container(daemonSet(RenderedChart.render(Map.of())), "node");
    assertEquals("/health/live", node.getLivenessProbe().getHttpGet().getPath());
    assertEquals("/health/ready", node.getReadinessProbe().getHttpGet().getPath(), "ready once joined and serving");
    for (var probe : List.of(node.getLivenessProbe(), node.getReadinessProbe())) {
      assertEquals("admin", probe.getHttpGet().getPort().getStrVal());
      assertEquals("HTTP", probe.getHttpGet().getScheme());
    }
    Container secure = container(daemonSet(RenderedChart.render(TLS)), "node");
    assertEquals("HTTPS", secure.getLivenessProbe().getHttpGet().getScheme(), "with TLS the admin port speaks HTTPS");
    assertEquals("HTTPS", secure.getReadinessProbe().getHttpGet().getScheme());
    int admin = node.getPorts().stream().filter(p -> p.getName().equals("admin")).findFirst().orElseThrow().getContainerPort();
    assertEquals(String.valueOf(admin), env(node, "BOOTCACHE_ADMIN_PORT"));
  }

  @Test
  void theNbdSocketIsOnAHostPathForQemuOnTheHost() throws IOException {
    DaemonSet ds = daemonSet(RenderedChart.render(Map.of()));
    PodSpec pod = ds.getSpec().getTemplate().getSpec();
    Container nbd = container(ds, "nbd");
    assertTrue(nbd.getArgs().get(0).contains("nbd --socket /run/bootcache/nbd.sock"), nbd.getArgs().toString());
    String volume = nbd.getVolumeMounts().stream().filter(m -> m.getMountPath().equals("/run/bootcache")).findFirst()
        .orElseThrow().getName();
    assertEquals("/run/bootcache", pod.getVolumes().stream().filter(v -> v.getName().equals(volume)).findFirst().orElseThrow()
        .getHostPath().getPath());

    PodSpec without = daemonSet(RenderedChart.render(Map.of("nbd.enabled", false))).getSpec().getTemplate().getSpec();
    assertEquals(List.of("node"), without.getContainers().stream().map(Container::getName).toList());
    assertTrue(without.getVolumes().stream().noneMatch(v -> v.getName().equals(volume)));
  }

  @Test
  void theNodeMayServeTheNbdSocketItselfWithoutTheClientContainer() throws IOException {
    DaemonSet ds = daemonSet(RenderedChart.render(Map.of("nbd.server", "node", "imagePaths[0]", "/srv/images",
        "diskPaths[0]", "/srv/disks")));
    PodSpec pod = ds.getSpec().getTemplate().getSpec();
    assertEquals(List.of("node"), pod.getContainers().stream().map(Container::getName).toList());
    Container node = container(ds, "node");
    assertEquals("/run/bootcache/nbd.sock", env(node, "BOOTCACHE_NBD_SOCKET"));
    // the mounted paths are the only roots files register under
    assertEquals("/srv/images", env(node, "BOOTCACHE_IMAGE_ROOT"));
    assertEquals("/srv/disks", env(node, "BOOTCACHE_DISK_ROOT"));
    assertEquals(List.of(), UnknownFields.of(ds));
    assertEquals(List.of(), unknownVariables(node, longNames(new CommandLine(new Main()))));
    String socketVolume = mounts(node).get("/run/bootcache");
    assertEquals("/run/bootcache", pod.getVolumes().stream().filter(v -> v.getName().equals(socketVolume)).findFirst()
        .orElseThrow().getHostPath().getPath());
    assertTrue(node.getCommand().get(2).startsWith("umask 0007 && exec java -jar"), "the socket is group read-write");
    assertTrue(mount(node, "/srv/images").getReadOnly(), "images are never written");
    assertFalse(Boolean.TRUE.equals(mount(node, "/srv/disks").getReadOnly()), "the node writes full clones into their files");

    DaemonSet clientMode = daemonSet(RenderedChart.render(Map.of("imagePaths[0]", "/srv/images", "diskPaths[0]", "/srv/disks")));
    Container client = container(clientMode, "node");
    assertTrue(client.getCommand().isEmpty(), "the image's entrypoint");
    assertTrue(client.getEnv().stream().noneMatch(e -> e.getName().equals("BOOTCACHE_NBD_SOCKET")));
    assertTrue(mount(client, "/srv/images").getReadOnly());
    assertFalse(Boolean.TRUE.equals(mount(client, "/srv/disks").getReadOnly()),
        "registration checks that a full clone's file is writable");
    Container nbd = container(clientMode, "nbd");
    assertTrue(mount(nbd, "/srv/images").getReadOnly());
    assertFalse(Boolean.TRUE.equals(mount(nbd, "/srv/disks").getReadOnly()), "the NBD server writes full clones");
    Exception e = assertThrows(Exception.class, () -> RenderedChart.render(Map.of("nbd.server", "qemu")));
    assertTrue(e.getMessage().contains("nbd.server is node or client, got qemu"), e.getMessage());
  }

  @Test
  void hypervisorPlacementAndHostNetworkComeFromValues() throws IOException {
    PodSpec pod = daemonSet(RenderedChart.render(Map.of("hostNetwork", true, "nodeSelector.hypervisor", "yes",
        "tolerations[0].key", "dedicated", "tolerations[0].operator", "Exists"))).getSpec().getTemplate().getSpec();
    assertTrue(pod.getHostNetwork());
    assertEquals("ClusterFirstWithHostNet", pod.getDnsPolicy());
    assertEquals(Map.of("hypervisor", "yes"), pod.getNodeSelector());
    assertEquals("dedicated", pod.getTolerations().get(0).getKey());
    assertFalse(daemonSet(RenderedChart.render(Map.of())).getSpec().getTemplate().getSpec().getHostNetwork());
  }

  @Test
  void theServiceMonitorIsThereOnlyWhenAskedAndScrapesTheAdminPort() throws IOException {
    assertTrue(RenderedChart.render(Map.of()).find("ServiceMonitor").isEmpty());
    RenderedChart chart = RenderedChart.render(Map.of("serviceMonitor.enabled", true));
    JsonNode monitor = chart.get("ServiceMonitor");
    assertEquals("monitoring.coreos.com/v1", monitor.path("apiVersion").asText());
    Service service = chart.get("Service", Service.class);
    Map<String, String> selector = RenderedChart.YAML.convertValue(monitor.path("spec").path("selector").path("matchLabels"),
        RenderedChart.YAML.getTypeFactory().constructMapType(Map.class, String.class, String.class));
    assertTrue(service.getMetadata().getLabels().entrySet().containsAll(selector.entrySet()), "it selects the service");
    JsonNode endpoint = monitor.path("spec").path("endpoints").get(0);
    assertTrue(service.getSpec().getPorts().stream().map(ServicePort::getName).anyMatch(endpoint.path("port").asText()::equals));
    assertEquals("admin", endpoint.path("port").asText());
    assertEquals("/metrics", endpoint.path("path").asText());
    assertEquals(List.of(RenderedChart.NAMESPACE), List.of(monitor.path("spec").path("namespaceSelector").path("matchNames").get(0).asText()));
  }

  @Test
  void withTlsCertificatesAndGrantsComeFromSecretsAndTheNodeIsNotInsecure() throws IOException {
    DaemonSet ds = daemonSet(RenderedChart.render(TLS));
    PodSpec pod = ds.getSpec().getTemplate().getSpec();
    Container node = container(ds, "node");
    assertTrue(node.getEnv().stream().noneMatch(e -> e.getName().equals("BOOTCACHE_INSECURE")));
    Map<String, String> mounts = mounts(node);
    assertEquals("bootcache-node-tls", secretOf(pod, mounts.get("/etc/bootcache/tls")));
    assertEquals("bootcache-grants", secretOf(pod, mounts.get("/etc/bootcache/grants")));
    assertEquals("/etc/bootcache/tls/tls.crt", env(node, "BOOTCACHE_TLS_CERT"));
    assertEquals("/etc/bootcache/tls/tls.key", env(node, "BOOTCACHE_TLS_KEY"));
    assertEquals("/etc/bootcache/tls/ca.crt", env(node, "BOOTCACHE_TLS_CA"));
    assertEquals("/etc/bootcache/grants/grants", env(node, "BOOTCACHE_GRANTS"));

    // the NBD container dials the node over TLS with its own certificate, the node's unless told otherwise
    Container nbd = container(ds, "nbd");
    assertEquals("/etc/bootcache/tls/tls.crt", env(nbd, "BOOTCACHE_TLS_CERT"));
    assertEquals("/etc/bootcache/tls/ca.crt", env(nbd, "BOOTCACHE_TLS_CA"));
    assertEquals("bootcache-node-tls", secretOf(pod, mounts(nbd).get("/etc/bootcache/tls")));
    PodSpec own = daemonSet(RenderedChart.render(with(TLS, Map.of("tls.nbdSecretName", "host-a-tls"))))
        .getSpec().getTemplate().getSpec();
    Container ownNbd = own.getContainers().stream().filter(c -> c.getName().equals("nbd")).findFirst().orElseThrow();
    assertEquals("host-a-tls", secretOf(own, mounts(ownNbd).get("/etc/bootcache/tls")));

    PodSpec plain = daemonSet(RenderedChart.render(Map.of())).getSpec().getTemplate().getSpec();
    assertEquals("true", env(plain.getContainers().get(0), "BOOTCACHE_INSECURE"), "a pod IP is not loopback: without TLS the node must be told");
    assertTrue(plain.getVolumes().stream().noneMatch(v -> v.getSecret() != null), "no secrets without TLS");
  }

  @Test
  void tlsWithoutItsSecretsIsRefusedAtRender() {
    Exception e = assertThrows(Exception.class, () -> RenderedChart.render(Map.of("tls.enabled", true)));
    assertTrue(e.getMessage().contains("tls.enabled needs tls.secretName"), e.getMessage());
    e = assertThrows(Exception.class, () -> RenderedChart.render(Map.of("tls.enabled", true, "tls.secretName", "s")));
    assertTrue(e.getMessage().contains("tls.enabled needs tls.grantsSecretName"), e.getMessage());
    e = assertThrows(Exception.class, () -> RenderedChart.render(with(TLS, Map.of("serviceMonitor.enabled", true))));
    assertTrue(e.getMessage().contains("serviceMonitor.tlsSecretName"), e.getMessage());
  }

  @Test
  void withTlsTheServiceMonitorScrapesOverHttpsWithPrometheusCertificate() throws IOException {
    JsonNode endpoint = RenderedChart.render(with(TLS, Map.of("serviceMonitor.enabled", true,
        "serviceMonitor.tlsSecretName", "prometheus-tls"))).get("ServiceMonitor").path("spec").path("endpoints").get(0);
    assertEquals("https", endpoint.path("scheme").asText());
    JsonNode tls = endpoint.path("tlsConfig");
    assertEquals("prometheus-tls", tls.path("ca").path("secret").path("name").asText());
    assertEquals("ca.crt", tls.path("ca").path("secret").path("key").asText());
    assertEquals("tls.crt", tls.path("cert").path("secret").path("key").asText());
    assertEquals("prometheus-tls", tls.path("keySecret").path("name").asText());
    assertEquals("tls.key", tls.path("keySecret").path("key").asText());
    JsonNode plain = RenderedChart.render(Map.of("serviceMonitor.enabled", true)).get("ServiceMonitor")
        .path("spec").path("endpoints").get(0);
    assertTrue(plain.path("tlsConfig").isMissingNode());
  }

  @Test
  void theDashboardIsAConfigMapForGrafanasSidecarOnlyWhenAsked() throws IOException {
    assertTrue(RenderedChart.render(Map.of()).find("ConfigMap").isEmpty());
    ConfigMap map = RenderedChart.render(Map.of("grafanaDashboard.enabled", true)).get("ConfigMap", ConfigMap.class);
    assertEquals("1", map.getMetadata().getLabels().get("grafana_dashboard"));
    assertEquals(Files.readString(DashboardTest.DASHBOARD).strip(), map.getData().get("bootcache.json").strip(),
        "the same dashboard as deploy/grafana/bootcache.json");
  }

  @Test
  void theChartPassesOnlyOptionsTheNodeAndTheCliKnow() throws IOException {
    DaemonSet ds = daemonSet(RenderedChart.render(TLS));
    Set<String> nodeOptions = longNames(new CommandLine(new Main()));
    assertEquals(List.of(), unknownVariables(container(ds, "node"), nodeOptions),
        "variables that match no node option: " + nodeOptions);

    // the NBD container's command line parses as the CLI's own (io.bootcache.cli.Main, named in full beside the node's)
    String command = container(ds, "nbd").getArgs().get(0);
    String cli = command.substring(command.indexOf("bootcache.jar") + "bootcache.jar".length()).replace("\"$(POD_IP)", "\"10.0.0.5");
    String[] args = cli.trim().replace("\"", "").split("\\s+");
    CommandLine cliLine = io.bootcache.cli.Main.commandLine(new io.bootcache.cli.Main());
    CommandLine.ParseResult parsed = cliLine.parseArgs(args);
    assertEquals("nbd", parsed.subcommand().commandSpec().name());
    Set<String> cliOptions = longNames(cliLine);
    assertEquals(List.of(), unknownVariables(container(ds, "nbd"), cliOptions),
        "variables that match no CLI option: " + cliOptions);
  }

  static VolumeMount mount(Container c, String path) {
    return c.getVolumeMounts().stream().filter(m -> m.getMountPath().equals(path)).findFirst().orElseThrow(() ->
        new AssertionError(c.getName() + " mounts nothing at " + path));
  }

  /** BOOTCACHE_* variables of the container that name none of the options. */
  private static List<String> unknownVariables(Container c, Set<String> options) {
    List<String> unknown = new ArrayList<>();
    for (EnvVar e : c.getEnv()) {
      if (!e.getName().startsWith("BOOTCACHE_")) continue;
      String option = "--" + e.getName().substring("BOOTCACHE_".length()).toLowerCase(Locale.ROOT).replace('_', '-');
      if (!options.contains(option)) unknown.add(e.getName());
    }
    return unknown;
  }

  static Map<String, Object> with(Map<String, Object> values, Map<String, Object> more) {
    Map<String, Object> all = new HashMap<>(values);
    all.putAll(more);
    return all;
  }

  /** Mount path to volume name. */
  static Map<String, String> mounts(Container c) {
    return c.getVolumeMounts().stream().collect(Collectors.toMap(VolumeMount::getMountPath, VolumeMount::getName));
  }

  static String secretOf(PodSpec pod, String volume) {
    Volume v = pod.getVolumes().stream().filter(x -> x.getName().equals(volume)).findFirst()
        .orElseThrow(() -> new AssertionError("no volume " + volume));
    assertEquals(0440, v.getSecret().getDefaultMode(), "readable by the container's user and group only");
    return v.getSecret().getSecretName();
  }

  private static Set<String> longNames(CommandLine cl) {
    return cl.getCommandSpec().options().stream().map(OptionSpec::longestName).collect(Collectors.toSet());
  }
}
