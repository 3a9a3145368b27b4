{{/*
The prefix of every resource name: the release name when it already says "palisade", else "<release>-palisade".
*/}}
{{- define "palisade.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else if contains "palisade" .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-palisade" .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "palisade.controlPlaneName" -}}
{{- printf "%s-control-plane" (include "palisade.fullname" .) -}}
{{- end -}}

{{- define "palisade.webhookName" -}}
{{- printf "%s-webhook" (include "palisade.fullname" .) -}}
{{- end -}}

{{/* The MutatingWebhookConfiguration: cluster-scoped, so it carries the namespace to stay unique per install. */}}
{{- define "palisade.webhookConfigurationName" -}}
{{- printf "%s-%s-injector" (include "palisade.fullname" .) .Release.Namespace | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "palisade.clusterRoleName" -}}
{{- printf "%s-%s" (include "palisade.fullname" .) .Release.Namespace | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "palisade.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{/* The Kubernetes version the webhook shapes injection for. */}}
{{- define "palisade.kubernetesVersion" -}}
{{- .Values.webhook.kubernetesVersion | default .Capabilities.KubeVersion.Version -}}
{{- end -}}

{{- define "palisade.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: palisade
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: palisade
{{- end -}}

{{- define "palisade.selectorLabels" -}}
app.kubernetes.io/name: palisade
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: control-plane
{{- end -}}

{{/* Where the webhook reads its serving certificate. */}}
{{- define "palisade.webhookCertDir" -}}
/var/run/palisade/webhook
{{- end -}}

{{/* cert-manager: the Certificate whose CA the webhook configuration trusts. */}}
{{- define "palisade.webhookCertificateName" -}}
{{- printf "%s-serving" (include "palisade.webhookName" .) -}}
{{- end -}}

{{/* Fails the render with a message for values the schema cannot express. */}}
{{- define "palisade.validate" -}}
{{- if and (gt (int .Values.controlPlane.minAvailable) 0) (ge (int .Values.controlPlane.minAvailable) (int .Values.controlPlane.replicas)) (gt (int .Values.controlPlane.replicas) 1) -}}
{{- fail (printf "controlPlane.minAvailable (%d) must be below controlPlane.replicas (%d), or no node could ever be drained" (int .Values.controlPlane.minAvailable) (int .Values.controlPlane.replicas)) -}}
{{- end -}}
{{- if and .Values.webhook.caBundle.certManager.issuerRef (not .Values.webhook.caBundle.certManager.issuerRef.name) -}}
{{- fail "webhook.caBundle.certManager.issuerRef needs a name" -}}
{{- end -}}
{{- end -}}
