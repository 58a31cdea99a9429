{{/* The namespace every namespaced object goes to. */}}
{{- define "outrigger.namespace" -}}
{{ .Values.installation.namespace }}
{{- end }}

{{/* "true" when cert-manager issues the webhook certificate. */}}
{{- define "outrigger.certManager" -}}
{{ eq .Values.certs.mode "cert-manager" }}
{{- end }}

{{/* The cert-manager Certificate whose CA the cainjector copies into every caBundle. */}}
{{- define "outrigger.certificateName" -}}
outrigger-webhook-cert
{{- end }}

{{/* The cainjector annotation's value on objects with a caBundle (webhook configurations, converting CRDs). */}}
{{- define "outrigger.caInjectFrom" -}}
{{ include "outrigger.namespace" . }}/{{ include "outrigger.certificateName" . }}
{{- end }}

{{/* The --controllers value: * plus -name for each controller switched off. */}}
{{- define "outrigger.controllersFlag" -}}
{{- $items := list "*" }}
{{- range $name, $on := .Values.manager.controllers }}
{{- if not $on }}{{ $items = append $items (printf "-%s" $name) }}{{ end }}
{{- end }}
{{- join "," $items }}
{{- end }}

{{- define "outrigger.managerLabels" -}}
app.kubernetes.io/name: outrigger
app.kubernetes.io/component: manager
{{- end }}

{{- define "outrigger.webhookLabels" -}}
app.kubernetes.io/name: outrigger
app.kubernetes.io/component: webhook
{{- end }}

{{- define "outrigger.image" -}}
{{ .Values.manager.image.repository }}:{{ .Values.manager.image.tag }}
{{- end }}
