{{/*
Chart name (app.kubernetes.io/name): the chart's name or .Values.nameOverride.
*/}}
{{- define "k8s-lab-counter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Name of every resource: .Values.fullnameOverride, else the release name as it is, so release
`helm-python` gives StatefulSet `helm-python`, pods `helm-python-N`, Service `helm-python`,
ConfigMap `helm-python-app` and PVCs `counter-data-py-helm-python-N`.
*/}}
{{- define "k8s-lab-counter.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The headless Service that governs the StatefulSet (its serviceName): each pod gets the DNS name
<pod>.<this name>.<namespace>.svc.cluster.local. `helm-python` gives `helm-python-headless`; the
name stays within 63 characters. k8s-lab computes the same name (governingServiceName in
src/adapters/kube-objects.ts) to find a StatefulSet deployed before this Service existed.
*/}}
{{- define "k8s-lab-counter.headlessName" -}}
{{- printf "%s-headless" (include "k8s-lab-counter.fullname" . | trunc 54 | trimSuffix "-") }}
{{- end }}

{{/*
helm.sh/chart: name-version.
*/}}
{{- define "k8s-lab-counter.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels. The StatefulSet's selector and its volumeClaimTemplates are immutable, so they
carry these and nothing else: never the chart version or the app version, or an upgrade would
fail with "spec: Forbidden: updates to statefulset spec ... are forbidden".
*/}}
{{- define "k8s-lab-counter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "k8s-lab-counter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Common labels, for the metadata of every object.
*/}}
{{- define "k8s-lab-counter.labels" -}}
helm.sh/chart: {{ include "k8s-lab-counter.chart" . }}
{{ include "k8s-lab-counter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.app.version | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: k8s-lab
{{- end }}

{{/*
The image reference.
*/}}
{{- define "k8s-lab-counter.image" -}}
{{- printf "%s:%s" .Values.image.repository (toString .Values.image.tag) }}
{{- end }}

{{/*
Prefix of the environment variables Kubernetes injects for the Service into pods created after it
(e.g. HELM_PYTHON_SERVICE_HOST / HELM_PYTHON_SERVICE_PORT): the name upper-cased, "-" -> "_".
*/}}
{{- define "k8s-lab-counter.serviceEnvPrefix" -}}
{{- include "k8s-lab-counter.fullname" . | upper | replace "-" "_" | replace "." "_" }}
{{- end }}
