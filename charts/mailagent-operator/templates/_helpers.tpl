{{/* Chart name, truncated to 63 characters (a label value). */}}
{{- define "mailagent-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: <release>-<chart>, or the release name when it already contains the
chart name. Names the cluster-scoped ClusterRole/Binding too, so two releases
do not collide.
*/}}
{{- define "mailagent-operator.fullname" -}}
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

{{- define "mailagent-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels that select the operator's pods (stable: a Deployment selector is immutable). */}}
{{- define "mailagent-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mailagent-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Standard labels of every object. */}}
{{- define "mailagent-operator.labels" -}}
helm.sh/chart: {{ include "mailagent-operator.chart" . }}
{{ include "mailagent-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: local-mail-agent
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "mailagent-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "mailagent-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The operator's arguments (the image's entrypoint is `mailagent`). */}}
{{- define "mailagent-operator.args" -}}
{{- if .Values.args }}
{{- toYaml .Values.args }}
{{- else }}
{{- $args := list "operator" (printf "--metrics-port=%d" (int .Values.ports.metrics)) (printf "--health-port=%d" (int .Values.ports.health)) }}
{{- if .Values.watchNamespace }}
{{- $args = append $args (printf "--namespace=%s" .Values.watchNamespace) }}
{{- end }}
{{- $args = append $args (printf "--allowed-images=%s" (join "," .Values.allowedImages)) }}
{{- toYaml (concat $args .Values.extraArgs) }}
{{- end }}
{{- end }}
