{{/* Names and labels. */}}
{{- define "aigw.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "aigw.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "aigw.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "aigw.selectorLabels" -}}
app.kubernetes.io/name: {{ include "aigw.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "aigw.labels" -}}
helm.sh/chart: {{ include "aigw.chart" . }}
{{ include "aigw.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "aigw.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "aigw.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "aigw.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The ConfigMap mounted at /etc/aigw: the chart's own or existingConfigMap. */}}
{{- define "aigw.configMapName" -}}
{{- default (include "aigw.fullname" .) .Values.existingConfigMap }}
{{- end }}

{{/* "true" when the chart creates its Secret (admin token, REDIS_URL, secretEnv). */}}
{{- define "aigw.createSecret" -}}
{{- if or (not .Values.adminToken.existingSecret) (and .Values.redis.url (not .Values.redis.existingSecret)) .Values.secretEnv }}true{{- end }}
{{- end }}

{{/*
The embedded config, parsed ({} with existingConfigMap). Rendering fails on
YAML that does not parse, and on listeners the pod's ports and probes cannot
reach. `aigw validate` (the init container, and CI) checks the rest.
*/}}
{{- define "aigw.config" -}}
{{- if .Values.existingConfigMap }}
{{- dict | toYaml }}
{{- else }}
{{- $cfg := fromYaml (required "config is empty: set config (e.g. --set-file config=gateway.k8s.yaml) or existingConfigMap" .Values.config) }}
{{- if hasKey $cfg "Error" }}
{{- fail (printf "config is not valid YAML: %s" (get $cfg "Error")) }}
{{- end }}
{{- $server := get $cfg "server" | default (dict) }}
{{- $listen := get $server "listen" | default "0.0.0.0:8080" | toString }}
{{- $admin := get $server "admin" | default "127.0.0.1:9090" | toString }}
{{- if not (hasSuffix (printf ":%d" (int .Values.ports.http)) $listen) }}
{{- fail (printf "config server.listen (%s) does not use ports.http (%d)" $listen (int .Values.ports.http)) }}
{{- end }}
{{- if not (hasSuffix (printf ":%d" (int .Values.ports.admin)) $admin) }}
{{- fail (printf "config server.admin (%s) does not use ports.admin (%d)" $admin (int .Values.ports.admin)) }}
{{- end }}
{{- if or (hasPrefix "127." $admin) (hasPrefix "localhost:" $admin) (hasPrefix "[::1]:" $admin) }}
{{- fail (printf "config server.admin (%s) is on loopback: the kubelet's probes cannot reach it; bind 0.0.0.0 and set server.adminAuth, as the chart's default config does (helm show values prints it)" $admin) }}
{{- end }}
{{- $cfg | toYaml }}
{{- end }}
{{- end }}

{{/*
terminationGracePeriodSeconds: the value, or preStopSleepSeconds +
ceil(server.shutdown.graceMs / 1000) + terminationGraceMarginSeconds.
graceMs counts from SIGTERM and already includes drainDelayMs.
*/}}
{{- define "aigw.terminationGracePeriodSeconds" -}}
{{- if kindIs "invalid" .Values.terminationGracePeriodSeconds }}
{{- $cfg := include "aigw.config" . | fromYaml }}
{{- $server := get $cfg "server" | default (dict) }}
{{- $shutdown := get $server "shutdown" | default (dict) }}
{{- $graceMs := int (get $shutdown "graceMs" | default 30000) }}
{{- add (int .Values.lifecycle.preStopSleepSeconds) (div (add $graceMs 999) 1000) (int .Values.terminationGraceMarginSeconds) }}
{{- else }}
{{- int .Values.terminationGracePeriodSeconds }}
{{- end }}
{{- end }}

{{/* Environment of the gateway and init containers. */}}
{{- define "aigw.env" -}}
- name: AIGW_ADMIN_TOKEN
  valueFrom:
    secretKeyRef:
      {{- if .Values.adminToken.existingSecret }}
      name: {{ .Values.adminToken.existingSecret | quote }}
      key: {{ .Values.adminToken.existingSecretKey | quote }}
      {{- else }}
      name: {{ include "aigw.fullname" . | quote }}
      key: AIGW_ADMIN_TOKEN
      {{- end }}
{{- if or .Values.redis.existingSecret .Values.redis.url }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      {{- if .Values.redis.existingSecret }}
      name: {{ .Values.redis.existingSecret | quote }}
      key: {{ .Values.redis.existingSecretKey | quote }}
      {{- else }}
      name: {{ include "aigw.fullname" . | quote }}
      key: REDIS_URL
      {{- end }}
{{- end }}
{{- with .Values.env }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "aigw.envFrom" -}}
{{- if .Values.secretEnv }}
- secretRef:
    name: {{ include "aigw.fullname" . | quote }}
{{- end }}
{{- with .Values.existingSecret }}
- secretRef:
    name: {{ . | quote }}
{{- end }}
{{- with .Values.envFrom }}
{{ toYaml . }}
{{- end }}
{{- end }}
