{{/* Names and labels. */}}
{{- define "llmgw.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "llmgw.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "llmgw.selectorLabels" -}}
app.kubernetes.io/name: {{ include "llmgw.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "llmgw.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "llmgw.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "llmgw.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "llmgw.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "llmgw.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* terminationGracePeriodSeconds: preStop sleep + drain delay + grace + margin. */}}
{{- define "llmgw.terminationGrace" -}}
{{- $s := .Values.gateway.shutdown -}}
{{- add $s.preStopSleepSeconds $s.delaySeconds $s.graceSeconds $s.marginSeconds -}}
{{- end -}}

{{- define "llmgw.tlsDir" -}}/etc/llmgw/tls{{- end -}}

{{/* The llmgw.yaml the gateway reads: chart-owned keys, then gateway.config over them. */}}
{{- define "llmgw.config" -}}
{{- $base := dict
  "listen" (printf "[::]:%d" (int .Values.gateway.ports.data))
  "admin_listen" (printf "[::]:%d" (int .Values.gateway.ports.admin))
  "log_level" .Values.gateway.logLevel
  "shutdown_grace_seconds" .Values.gateway.shutdown.graceSeconds
  "ledger" (dict "sqlite_path" "/app/data/llmgw.sqlite3" "outbox_path" "/app/data/llmgw-outbox.sqlite3")
-}}
{{- if gt (int .Values.gateway.shutdown.delaySeconds) 0 -}}
{{- $_ := set $base "shutdown_delay_seconds" .Values.gateway.shutdown.delaySeconds -}}
{{- end -}}
{{- toYaml (mergeOverwrite $base (deepCopy .Values.gateway.config)) -}}
{{- end -}}

{{/* Required backends for readiness: the values' list, plus vllm with the sidecar. */}}
{{- define "llmgw.requiredBackends" -}}
{{- $names := .Values.gateway.requiredBackends -}}
{{- if .Values.vllm.enabled -}}
{{- $names = append $names "vllm" -}}
{{- end -}}
{{- $names | uniq | join "," -}}
{{- end -}}

{{/* One probe of the gateway: native gRPC, or `llmgw health` (exec) under TLS. */}}
{{- define "llmgw.probe" -}}
{{- $root := index . 0 -}}
{{- $service := index . 1 -}}
{{- $timing := index . 2 -}}
{{- $v := $root.Values -}}
{{- if $v.tls.enabled }}
exec:
  command:
    - llmgw
    - health
    - --address
    - {{ printf "127.0.0.1:%d" (int $v.gateway.ports.data) | quote }}
    - --service
    - {{ $service }}
    - --timeout
    - {{ sub (int $v.gateway.probes.execTimeoutSeconds) 1 | quote }}
    - --tls-ca
    - {{ include "llmgw.tlsDir" $root }}/ca.crt
    - --tls-server-name
    - {{ default (printf "%s.%s.svc" (include "llmgw.fullname" $root) $root.Release.Namespace) $v.tls.probeServerName }}
    {{- if $v.tls.mtls }}
    - --tls-cert
    - {{ include "llmgw.tlsDir" $root }}/tls.crt
    - --tls-key
    - {{ include "llmgw.tlsDir" $root }}/tls.key
    {{- end }}
timeoutSeconds: {{ $v.gateway.probes.execTimeoutSeconds }}
{{- else }}
grpc:
  port: {{ $v.gateway.ports.data }}
  service: {{ $service }}
timeoutSeconds: {{ $timing.timeoutSeconds }}
{{- end }}
periodSeconds: {{ $timing.periodSeconds }}
failureThreshold: {{ $timing.failureThreshold }}
{{- end -}}
