// Package k8s holds logsmith's Kubernetes and Argo Workflows manifests (one
// kustomization per use, Components for production and local clusters, the
// alert rules) and the tests that render them: strict decoding into the
// k8s.io/api types, validation of Argo objects against Argo's CRD schemas
// (testdata/argo), the semantic rules neither can express, and a
// server-side dry-run against a real API server when scripts/test.sh
// provides one. It has no Go code of its own and does not run anything on
// a cluster.
package k8s
