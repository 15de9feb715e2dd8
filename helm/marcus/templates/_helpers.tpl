{{/* Names and labels. */}}
{{- define "marcus.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "marcus.fullname" -}}
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

{{- define "marcus.selectorLabels" -}}
app.kubernetes.io/name: {{ include "marcus.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "marcus.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "marcus.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: marcus
{{- end }}

{{- define "marcus.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{- define "marcus.secretName" -}}
{{- .Values.secrets.existingSecret | default (include "marcus.fullname" .) }}
{{- end }}

{{- define "marcus.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- .Values.serviceAccount.name | default (include "marcus.fullname" .) }}
{{- else }}
{{- .Values.serviceAccount.name | default "default" }}
{{- end }}
{{- end }}

{{/*
Secret environment of a Marcus container. "owner" (the migration Job) gets the owner URL as
MARCUS_DATABASE_URL; the API and the worker get the app URL there instead: with --no-migrate
they never connect with it, it only turns the embedded server off, so the owner's password
never reaches a serving pod.
*/}}
{{- define "marcus.secretEnv" -}}
{{- $secret := include "marcus.secretName" .root -}}
- name: MARCUS_DATABASE_URL
  valueFrom:
    secretKeyRef: {name: {{ $secret }}, key: {{ ternary "MARCUS_DATABASE_URL" "MARCUS_APP_DATABASE_URL" .owner }}}
{{- range $key := list "MARCUS_APP_DATABASE_URL" "MARCUS_PLATFORM_DATABASE_URL" "MARCUS_SECRET_KEY" }}
- name: {{ $key }}
  valueFrom:
    secretKeyRef: {name: {{ $secret }}, key: {{ $key }}}
{{- end }}
{{- if not .owner }}
- name: MARCUS_REDIS_URL
  valueFrom:
    secretKeyRef: {name: {{ $secret }}, key: MARCUS_REDIS_URL}
{{- end }}
{{- /* The Supabase key is part of the settings' validation with that backend, so the Job gets it too. */}}
{{- range $key := ternary (list "MARCUS_SUPABASE_KEY") (list "MARCUS_SMTP_PASSWORD" "MARCUS_SUPABASE_KEY" "MARCUS_METRICS_TOKEN") .owner }}
- name: {{ $key }}
  valueFrom:
    secretKeyRef: {name: {{ $secret }}, key: {{ $key }}, optional: true}
{{- end }}
{{- end }}

{{/* Volumes every Marcus pod mounts: /tmp and the data directory (read-only root filesystem). */}}
{{- define "marcus.volumes" -}}
- name: tmp
  emptyDir: {}
- name: data
{{- if .Values.persistence.enabled }}
  persistentVolumeClaim:
    claimName: {{ .Values.persistence.existingClaim | default (printf "%s-data" (include "marcus.fullname" .)) }}
{{- else }}
  emptyDir: {}
{{- end }}
{{- end }}

{{- define "marcus.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: data
  mountPath: /var/lib/marcus
{{- end }}

{{- define "marcus.podAnnotations" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
checksum/secret: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- if and .Values.metrics.enabled .Values.metrics.podAnnotations }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .Values.metrics.port | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- end }}
