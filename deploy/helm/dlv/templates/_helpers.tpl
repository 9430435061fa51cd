{{/* Chart name, truncated to the 63 characters Kubernetes allows. */}}
{{- define "dlv.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Fully qualified app name. */}}
{{- define "dlv.fullname" -}}
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

{{- define "dlv.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "dlv.selectorLabels" -}}
app.kubernetes.io/name: {{ include "dlv.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "dlv.labels" -}}
helm.sh/chart: {{ include "dlv.chart" . }}
{{ include "dlv.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "dlv.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The operator's Secret (the chart never holds secret values); rendering stops naming what to create. */}}
{{- define "dlv.secretName" -}}
{{- required "existingSecret is required: the name of a Secret you created with the keys DLV_SECRET_KEY and DLV_DATABASE_URL (see values.yaml)" .Values.existingSecret -}}
{{- end -}}

{{/* The environment every DLV container gets: the ConfigMap plus the secret keys. */}}
{{- define "dlv.env" -}}
envFrom:
  - configMapRef:
      name: {{ include "dlv.fullname" . }}
env:
  - name: DLV_SECRET_KEY
    valueFrom:
      secretKeyRef:
        name: {{ include "dlv.secretName" . }}
        key: DLV_SECRET_KEY
  - name: DLV_DATABASE_URL
    valueFrom:
      secretKeyRef:
        name: {{ include "dlv.secretName" . }}
        key: DLV_DATABASE_URL
  # Optional: the first admin's password (otherwise a generated one is printed in a pod's log).
  - name: DLV_ADMIN_PASSWORD
    valueFrom:
      secretKeyRef:
        name: {{ include "dlv.secretName" . }}
        key: DLV_ADMIN_PASSWORD
        optional: true
  # Optional: keys DLV_SECRET_KEY held before a rotation, so logins they signed stay valid.
  - name: DLV_PREVIOUS_SECRET_KEYS
    valueFrom:
      secretKeyRef:
        name: {{ include "dlv.secretName" . }}
        key: DLV_PREVIOUS_SECRET_KEYS
        optional: true
  # Optional: the SMTP password alert e-mails are sent with.
  - name: DLV_SMTP_PASSWORD
    valueFrom:
      secretKeyRef:
        name: {{ include "dlv.secretName" . }}
        key: DLV_SMTP_PASSWORD
        optional: true
  # Optional: the client secret of single sign-on (OpenID Connect).
  - name: DLV_OIDC_CLIENT_SECRET
    valueFrom:
      secretKeyRef:
        name: {{ include "dlv.secretName" . }}
        key: DLV_OIDC_CLIENT_SECRET
        optional: true
  # Optional: the password of DLV_KAFKA_SASL_USERNAME on the Kafka brokers.
  - name: DLV_KAFKA_SASL_PASSWORD
    valueFrom:
      secretKeyRef:
        name: {{ include "dlv.secretName" . }}
        key: DLV_KAFKA_SASL_PASSWORD
        optional: true
  {{- if .Values.neo4j.uri }}
  - name: DLV_NEO4J_PASSWORD
    valueFrom:
      secretKeyRef:
        name: {{ include "dlv.secretName" . }}
        key: DLV_NEO4J_PASSWORD
  {{- end }}
{{- end -}}
