package k8s

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// kustomizations are every folder an operator applies with `kubectl apply
// -k`, and what each is for.
var kustomizations = []string{
	"daily",
	"backfill",
	"sharded",
	"sharded/merge",
	"argo",
	"overlays/local/daily",
	"overlays/local/backfill",
	"overlays/production/daily",
	"overlays/production/backfill",
	"overlays/production/argo",
}

// bases are kustomizations the others include, never applied alone.
var bases = []string{"common"}

// argoFiles are Argo objects submitted as they are, outside any
// kustomization (each backfill is a new Workflow with a generated name).
var argoFiles = []string{"argo/backfill-workflow.yaml"}

// object is one rendered Kubernetes object.
type object struct {
	Kind, Name string
	YAML       []byte
	JSON       []byte
}

// rendered holds the objects of one kustomization; the built-in kinds are
// also decoded strictly into their k8s.io/api types.
type rendered struct {
	dir             string
	objects         []object
	configMaps      []corev1.ConfigMap
	serviceAccounts []corev1.ServiceAccount
	cronJobs        []batchv1.CronJob
	jobs            []batchv1.Job
	roles           []rbacv1.Role
	roleBindings    []rbacv1.RoleBinding
	argo            []object // CronWorkflow, WorkflowTemplate, Workflow
}

func (r rendered) kinds() map[string]int {
	n := map[string]int{}
	for _, o := range r.objects {
		n[o.Kind]++
	}
	return n
}

func (r rendered) configMap(t *testing.T, name string) corev1.ConfigMap {
	t.Helper()
	for _, cm := range r.configMaps {
		if cm.Name == name {
			return cm
		}
	}
	t.Fatalf("%s: no ConfigMap %s", r.dir, name)
	return corev1.ConfigMap{}
}

// render runs kustomize on dir (relative to k8s/) and decodes every object,
// rejecting unknown fields in the built-in kinds and unknown kinds.
func render(t *testing.T, dir string) rendered {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	res, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	r := rendered{dir: dir}
	for _, res := range res.Resources() {
		b, err := res.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		r.add(t, b)
	}
	return r
}

// readObjects decodes a file of one or more YAML documents as render does.
func readObjects(t *testing.T, file string) rendered {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	r := rendered{dir: file}
	for _, doc := range bytes.Split(b, []byte("\n---\n")) {
		if len(bytes.TrimSpace(doc)) > 0 {
			r.add(t, doc)
		}
	}
	return r
}

func (r *rendered) add(t *testing.T, b []byte) {
	t.Helper()
	j, err := yaml.YAMLToJSON(b)
	if err != nil {
		t.Fatalf("%s: %v", r.dir, err)
	}
	var head struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name         string `json:"name"`
			GenerateName string `json:"generateName"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(j, &head); err != nil {
		t.Fatal(err)
	}
	o := object{Kind: head.Kind, Name: head.Metadata.Name + head.Metadata.GenerateName, YAML: b, JSON: j}
	r.objects = append(r.objects, o)
	var into any
	switch o.Kind {
	case "ConfigMap":
		r.configMaps = append(r.configMaps, corev1.ConfigMap{})
		into = &r.configMaps[len(r.configMaps)-1]
	case "ServiceAccount":
		r.serviceAccounts = append(r.serviceAccounts, corev1.ServiceAccount{})
		into = &r.serviceAccounts[len(r.serviceAccounts)-1]
	case "CronJob":
		r.cronJobs = append(r.cronJobs, batchv1.CronJob{})
		into = &r.cronJobs[len(r.cronJobs)-1]
	case "Job":
		r.jobs = append(r.jobs, batchv1.Job{})
		into = &r.jobs[len(r.jobs)-1]
	case "Role":
		r.roles = append(r.roles, rbacv1.Role{})
		into = &r.roles[len(r.roles)-1]
	case "RoleBinding":
		r.roleBindings = append(r.roleBindings, rbacv1.RoleBinding{})
		into = &r.roleBindings[len(r.roleBindings)-1]
	case "CronWorkflow", "WorkflowTemplate", "Workflow":
		r.argo = append(r.argo, o)
		return // validated against Argo's CRD schema; see argo_test.go
	default:
		t.Fatalf("%s: unexpected kind %s", r.dir, o.Kind)
	}
	if err := yaml.UnmarshalStrict(b, into); err != nil {
		t.Fatalf("%s: %s %s does not decode strictly: %v", r.dir, o.Kind, o.Name, err)
	}
}

// renderAll renders every kustomization once per test binary.
var renderCache = map[string]rendered{}

func renderCached(t *testing.T, dir string) rendered {
	t.Helper()
	if r, ok := renderCache[dir]; ok {
		return r
	}
	r := render(t, dir)
	renderCache[dir] = r
	return r
}

// TestEveryKustomizationIsListed keeps the list above complete: every
// folder with a kustomization.yaml of kind Kustomization is rendered by the
// tests (Components are rendered through the overlays that use them).
func TestEveryKustomizationIsListed(t *testing.T) {
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.Name() != "kustomization.yaml" {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte("\nkind: Component")) {
			return nil
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		for _, k := range append(kustomizations, bases...) {
			if k == dir {
				return nil
			}
		}
		t.Errorf("%s is not in kustomizations: add it so it is rendered and dry-run", dir)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// env returns a container's plain env values (valueFrom entries excluded).
func env(c corev1.Container) map[string]string {
	e := map[string]string{}
	for _, v := range c.Env {
		if v.ValueFrom == nil {
			e[v.Name] = v.Value
		}
	}
	return e
}
