// Package k8s holds logsmith's Kubernetes manifests (a kustomize base and
// overlays) and the tests that render them and decode every object strictly
// into the official API types. It has no Go code of its own.
package k8s
