{{- define "mailagent.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "mailagent.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Standard labels of every MailAgent. The operator labels the objects it
creates for an agent itself; these say which Helm release made the agent.
*/}}
{{- define "mailagent.labels" -}}
helm.sh/chart: {{ include "mailagent.chart" . }}
app.kubernetes.io/name: {{ include "mailagent.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: local-mail-agent
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Deep merge of two maps as JSON: keys of "over" win, maps merge recursively,
anything else (lists, scalars, false, 0) replaces. Sprig's merge and
mergeOverwrite treat false and 0 as "empty" and would drop them.
*/}}
{{- define "mailagent.merge" -}}
{{- $out := dict }}
{{- range $k, $v := .base }}
{{- $_ := set $out $k $v }}
{{- end }}
{{- range $k, $v := .over }}
{{- $prev := get $out $k }}
{{- if and (kindIs "map" $v) (kindIs "map" $prev) }}
{{- $_ := set $out $k (include "mailagent.merge" (dict "base" $prev "over" $v) | fromJson) }}
{{- else }}
{{- $_ := set $out $k $v }}
{{- end }}
{{- end }}
{{- toJson $out }}
{{- end }}

{{/*
Every agent to create, from .Values.agent, .Values.agents and
.Values.classroom, as a JSON list of {name, labels, annotations, spec}.
Fails with a clear message on a duplicate or invalid name or domain (the
schema cannot check what a classroom generates).
*/}}
{{- define "mailagent.agents" -}}
{{- $v := .Values }}
{{- $given := list }}
{{- with $v.agent }}
{{- $given = append $given . }}
{{- end }}
{{- range $v.agents }}
{{- $given = append $given . }}
{{- end }}
{{- with $v.classroom }}
{{- $count := int .count }}
{{- $width := len (toString $count) | max 2 }}
{{- /* Fixed node ports are the same for every agent of a classroom: the second Service would be refused. */}}
{{- if and .service (hasKey (.service | default dict) "nodePorts") }}
{{- fail "mailagent chart: classroom.service.nodePorts would give every student's agent the same node ports, and Kubernetes refuses a node port twice; remove it: the API server allocates free node ports, and `mailagent roster` prints them" }}
{{- end }}
{{- $shared := omit . "count" "namePrefix" "domainTemplate" "namespaceTemplate" "studentGroupTemplate" | toJson }}
{{- range $i := untilStep 1 (add1 $count | int) 1 }}
{{- $name := printf "%s-%0*d" $v.classroom.namePrefix $width $i }}
{{- $domain := $v.classroom.domainTemplate | replace "{{name}}" $name | replace "{{index}}" (toString $i) }}
{{- /* Any string of the shared fields may name the student too, e.g. network.allowFrom's namespace. */}}
{{- $own := $shared | replace "{{name}}" $name | replace "{{index}}" (toString $i) | fromJson }}
{{- $extra := dict }}
{{- with $v.classroom.namespaceTemplate }}
{{- $_ := set $extra "namespace" (. | replace "{{name}}" $name | replace "{{index}}" (toString $i) | replace "{{release}}" $.Release.Name) }}
{{- end }}
{{- with $v.classroom.studentGroupTemplate }}
{{- $_ := set $extra "studentGroup" (. | replace "{{name}}" $name | replace "{{index}}" (toString $i) | replace "{{release}}" $.Release.Name) }}
{{- end }}
{{- $given = append $given (merge (dict "name" $name "domain" $domain) $extra $own) }}
{{- end }}
{{- end }}
{{- $seen := dict }}
{{- $out := list }}
{{- range $given }}
{{- $name := toString .name }}
{{- if not (regexMatch "^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$" $name) }}
{{- fail (printf "mailagent chart: agent name %q must be a lowercase DNS-1035 label of at most 40 characters (letters, digits, \"-\", starting with a letter)" $name) }}
{{- end }}
{{- if hasKey $seen $name }}
{{- fail (printf "mailagent chart: agent name %q is used twice; names must be unique (check agent, agents and classroom)" $name) }}
{{- end }}
{{- $_ := set $seen $name true }}
{{- $domain := toString .domain }}
{{- if not (regexMatch "^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$" $domain) }}
{{- fail (printf "mailagent chart: agent %q: domain %q must be a lowercase RFC 1123 domain with at least one dot whose last label starts with a letter, such as \"pouet.com\"" $name $domain) }}
{{- end }}
{{- $namespace := .namespace | default $.Release.Namespace }}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$" $namespace) }}
{{- fail (printf "mailagent chart: agent %q: namespace %q (from classroom.namespaceTemplate) must be a lowercase DNS label of at most 63 characters" $name $namespace) }}
{{- end }}
{{- $own := omit . "name" "labels" "annotations" "namespace" "studentGroup" }}
{{- $spec := include "mailagent.merge" (dict "base" ($v.defaults | default dict) "over" $own) | fromJson }}
{{- $out = append $out (dict "name" $name "namespace" $namespace "studentGroup" (.studentGroup | default "") "labels" (.labels | default dict) "annotations" (.annotations | default dict) "spec" $spec) }}
{{- end }}
{{- toJson $out }}
{{- end }}
