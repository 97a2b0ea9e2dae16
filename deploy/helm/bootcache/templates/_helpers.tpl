{{/* The release's full name, also the headless service the nodes discover each other through. */}}
{{- define "bootcache.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "bootcache.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "bootcache.labels" -}}
{{ include "bootcache.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "bootcache.serviceAccountName" -}}
{{- default (include "bootcache.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "bootcache.image" -}}
{{ .Values.image.repository }}:{{ default .Chart.AppVersion .Values.image.tag }}
{{- end -}}

{{/* The node container's memory: the regions, the host tier, the heap and the JVM's overhead. */}}
{{- define "bootcache.heapMiB" -}}
{{- .Values.node.heapMiB -}}
{{- end -}}
{{/* Direct memory: the host tier plus the network buffers. */}}
{{- define "bootcache.directMiB" -}}
{{- add .Values.node.hostMemoryMiB 128 -}}
{{- end -}}
{{- define "bootcache.nodeMemoryMiB" -}}
{{- add .Values.node.memoryMiB .Values.node.metaMemoryMiB .Values.node.manifestMemoryMiB (include "bootcache.directMiB" .) (include "bootcache.heapMiB" .) .Values.node.overheadMiB -}}
{{- end -}}

{{/* The admin port speaks HTTPS with TLS. */}}
{{- define "bootcache.adminScheme" -}}
{{ if .Values.tls.enabled }}HTTPS{{ else }}HTTP{{ end }}
{{- end }}

{{/* Who serves NBD on the socket: "node" (the node itself), "client" (a bootcache nbd container), or "" (none). */}}
{{- define "bootcache.nbdServer" -}}
{{- if .Values.nbd.enabled -}}
{{- if not (has .Values.nbd.server (list "node" "client")) -}}
{{- fail (printf "nbd.server is node or client, got %v" .Values.nbd.server) -}}
{{- end -}}
{{- .Values.nbd.server -}}
{{- end -}}
{{- end }}

{{/* The image paths read-only, the disk paths read-write (full clones are written through NBD). */}}
{{- define "bootcache.backendMounts" -}}
{{- range $i, $path := .Values.imagePaths }}
- name: image-{{ $i }}
  mountPath: {{ $path }}
  readOnly: true
{{- end }}
{{- range $i, $path := .Values.diskPaths }}
- name: disk-{{ $i }}
  mountPath: {{ $path }}
{{- end }}
{{- end }}
