package k8s

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// kubeServer returns kubectl and the environment to run it against the
// test API server that scripts/test.sh starts (scripts/apiserver.sh: a
// real kube-apiserver and etcd on 127.0.0.1). Outside CI it skips the test
// when there is none, saying why; in CI (CI=true) it fails instead.
func kubeServer(t *testing.T) (kubectl string) {
	t.Helper()
	if os.Getenv("LOGSMITH_TEST_KUBE") == "" || os.Getenv("KUBECONFIG") == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI=true but no API server configured (LOGSMITH_TEST_KUBE, KUBECONFIG): run the tests through scripts/test.sh")
		}
		t.Skip("no API server configured (LOGSMITH_TEST_KUBE unset): run scripts/test.sh, or eval \"$(scripts/apiserver.sh start)\" and set LOGSMITH_TEST_KUBE=1")
	}
	kubectl = os.Getenv("LOGSMITH_KUBECTL")
	if kubectl == "" {
		kubectl = "kubectl"
	}
	return kubectl
}

// kube runs kubectl with stdin and returns its combined output.
func kube(t *testing.T, kubectl string, stdin []byte, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, kubectl, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Every object an operator applies is accepted by a real API server
// (v1.32, with Argo's CRDs installed), which runs the defaulting,
// validation and CEL rules that strict decoding and the JSON schema do
// not: `kubectl apply --dry-run=server --validate=strict` for each
// kustomization, `kubectl create` for the Workflows with generated names.
// Nothing is stored and nothing runs (there is no controller or kubelet).
func TestServerSideDryRun(t *testing.T) {
	kubectl := kubeServer(t)
	crds, err := filepath.Glob("testdata/argo/argoproj.io_*.yaml")
	if err != nil || len(crds) != 3 {
		t.Fatalf("Argo CRDs: %v %v", crds, err)
	}
	// The full CRDs are too large for client-side apply's annotation.
	for _, f := range crds {
		if out, err := kube(t, kubectl, nil, "apply", "--server-side", "--force-conflicts", "-f", f); err != nil {
			t.Fatalf("install %s: %v\n%s", f, err, out)
		}
	}
	if out, err := kube(t, kubectl, nil, "wait", "--for=condition=Established", "--timeout=60s",
		"crd/workflows.argoproj.io", "crd/workflowtemplates.argoproj.io", "crd/cronworkflows.argoproj.io"); err != nil {
		t.Fatalf("Argo CRDs not established: %v\n%s", err, out)
	}
	// A namespaced dry-run needs the namespace to exist.
	ns := []byte("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: logsmith\n")
	if out, err := kube(t, kubectl, ns, "apply", "-f", "-"); err != nil {
		t.Fatalf("create namespace: %v\n%s", err, out)
	}

	dryRun := func(t *testing.T, verb string, objs []byte) (string, error) {
		return kube(t, kubectl, objs, verb, "--dry-run=server", "--validate=strict", "-n", "logsmith", "-f", "-")
	}
	for _, d := range kustomizations {
		t.Run(strings.ReplaceAll(d, "/", "_"), func(t *testing.T) {
			r := renderCached(t, d)
			out, err := dryRun(t, "apply", join(r.objects))
			if err != nil {
				t.Fatalf("the API server refuses %s: %v\n%s", d, err, out)
			}
			if n := strings.Count(out, "(server dry run)"); n != len(r.objects) {
				t.Errorf("%s: %d of %d objects accepted:\n%s", d, n, len(r.objects), out)
			}
		})
	}
	for _, f := range argoFiles {
		r := readObjects(t, f)
		if out, err := dryRun(t, "create", join(r.objects)); err != nil {
			t.Errorf("the API server refuses %s: %v\n%s", f, err, out)
		}
	}

	// The server is not accepting anything: the traps of issue 16 are
	// refused, as they were on real clusters.
	for _, tc := range []struct {
		name, dir, kind string
		change          func(obj map[string]any)
		want            string
	}{
		{"pod condition without status in a CronJob (kubernetes/kubernetes#131512)", "daily", "CronJob",
			func(o map[string]any) {
				rules := dig(o, "spec", "jobTemplate", "spec", "podFailurePolicy", "rules").([]any)
				cond := dig(rules[len(rules)-1].(map[string]any), "onPodConditions").([]any)[0].(map[string]any)
				delete(cond, "status")
			}, "onPodConditions[0].status: Required value"},
		{"more failed indexes than completions", "overlays/local/backfill", "Job",
			func(o map[string]any) { dig(o, "spec").(map[string]any)["maxFailedIndexes"] = 10 },
			"must be less than or equal to completions"},
		{"unknown field in an Argo template", "argo", "WorkflowTemplate",
			func(o map[string]any) { dig(o, "spec").(map[string]any)["entryPoint"] = "daily" },
			`unknown field "spec.entryPoint"`},
	} {
		var obj map[string]any
		for _, o := range renderCached(t, tc.dir).objects {
			if o.Kind == tc.kind {
				if err := json.Unmarshal(o.JSON, &obj); err != nil {
					t.Fatal(err)
				}
			}
		}
		tc.change(obj)
		bad, err := json.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		out, err := dryRun(t, "apply", bad)
		if err == nil || !strings.Contains(out, tc.want) {
			t.Errorf("%s: the API server said %v:\n%s\nwant a refusal with %q", tc.name, err, out, tc.want)
		}
	}
}

// dig returns the value at path in a decoded JSON object.
func dig(o map[string]any, path ...string) any {
	var v any = o
	for _, k := range path {
		v = v.(map[string]any)[k]
	}
	return v
}

func join(objs []object) []byte {
	var b bytes.Buffer
	for _, o := range objs {
		b.WriteString("---\n")
		b.Write(o.YAML)
	}
	return b.Bytes()
}
