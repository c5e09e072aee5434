{{/* The chart name, shortened to the 63 characters Kubernetes allows in a name. */}}
{{- define "wsgate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's object name; "-echo" is appended for the echo backend, so keep room for it. */}}
{{- define "wsgate.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 58 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 58 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 58 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "wsgate.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Selector of the gateway pods. */}}
{{- define "wsgate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "wsgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: gateway
{{- end }}

{{/* Selector of the echo backend pods. */}}
{{- define "wsgate.echoSelectorLabels" -}}
app.kubernetes.io/name: {{ include "wsgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: echo
{{- end }}

{{/* Labels of the management Service, which the ServiceMonitor selects (the traffic Service has none of it). */}}
{{- define "wsgate.managementLabels" -}}
app.kubernetes.io/name: {{ include "wsgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: management
{{- end }}

{{/* The image: by digest when image.digest is set (what was tested is what runs), else by tag. */}}
{{- define "wsgate.image" -}}
{{- if .Values.image.digest }}
{{- .Values.image.repository }}@{{ .Values.image.digest }}
{{- else }}
{{- .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}
{{- end }}

{{/* Seconds of the drain window; values.schema.json allows only whole seconds ("20s"). */}}
{{- define "wsgate.drainSeconds" -}}
{{- .Values.drain.window | trimSuffix "s" | atoi }}
{{- end }}

{{/*
Pod termination grace: it must outlast the preStop pause plus the drain window, or the kubelet kills
the gateway while it still drains sessions.
*/}}
{{- define "wsgate.terminationGracePeriodSeconds" -}}
{{- $needed := add .Values.drain.preStopSeconds (include "wsgate.drainSeconds" . | atoi) }}
{{- if kindIs "invalid" .Values.terminationGracePeriodSeconds }}
{{- add $needed 15 }}
{{- else if le (int .Values.terminationGracePeriodSeconds) (int $needed) }}
{{- fail (printf "terminationGracePeriodSeconds (%v) must exceed drain.preStopSeconds + drain.window (%v)" .Values.terminationGracePeriodSeconds $needed) }}
{{- else }}
{{- .Values.terminationGracePeriodSeconds }}
{{- end }}
{{- end }}

{{/*
The gateway's application.yml: routes and static instances from values, the in-process echo off (the gateway
pods only proxy; the echo runs as its own Deployment), extraConfig over them.
*/}}
{{- define "wsgate.applicationYaml" -}}
{{- $routes := tpl (toYaml .Values.routes) . | fromYamlArray }}
{{- $cloud := dict "gateway" (dict "server" (dict "webflux" (dict "routes" $routes))) }}
{{- with .Values.discoveryInstances }}
{{- $_ := set $cloud "discovery" (dict "client" (dict "simple" (dict "instances" .))) }}
{{- end }}
{{- $config := dict "spring" (dict "cloud" $cloud) "wsgate" (dict "echo" (dict "enabled" false)) }}
{{- $config = mustMergeOverwrite $config (deepCopy .Values.extraConfig) }}
{{- toYaml $config }}
{{- end }}
