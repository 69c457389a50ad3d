package k8s

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
)

// The subset of Argo's Workflow, WorkflowTemplate and CronWorkflow that the
// semantic checks read. The schema check (TestArgoSchema) covers every
// field against Argo's own CRDs.
type workflow struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name         string `json:"name"`
		GenerateName string `json:"generateName"`
	} `json:"metadata"`
	Spec workflowSpec `json:"spec"`
}

type cronWorkflow struct {
	Spec struct {
		Schedules               []string     `json:"schedules"`
		Timezone                string       `json:"timezone"`
		ConcurrencyPolicy       string       `json:"concurrencyPolicy"`
		StartingDeadlineSeconds *int64       `json:"startingDeadlineSeconds"`
		WorkflowSpec            workflowSpec `json:"workflowSpec"`
	} `json:"spec"`
}

type workflowSpec struct {
	Entrypoint                   string `json:"entrypoint"`
	OnExit                       string `json:"onExit"`
	ServiceAccountName           string `json:"serviceAccountName"`
	AutomountServiceAccountToken *bool  `json:"automountServiceAccountToken"`
	Executor                     *struct {
		ServiceAccountName string `json:"serviceAccountName"`
	} `json:"executor"`
	Arguments             arguments                  `json:"arguments"`
	ActiveDeadlineSeconds *int64                     `json:"activeDeadlineSeconds"`
	Parallelism           *int64                     `json:"parallelism"`
	Templates             []template                 `json:"templates"`
	WorkflowTemplateRef   *struct{ Name string }     `json:"workflowTemplateRef"`
	Volumes               []corev1.Volume            `json:"volumes"`
	SecurityContext       *corev1.PodSecurityContext `json:"securityContext"`
}

type arguments struct {
	Parameters []parameter `json:"parameters"`
}

type parameter struct {
	Name      string  `json:"name"`
	Value     *string `json:"value"`
	Default   *string `json:"default"`
	ValueFrom *struct {
		Path string `json:"path"`
	} `json:"valueFrom"`
}

type template struct {
	Name   string `json:"name"`
	Inputs struct {
		Parameters []parameter `json:"parameters"`
	} `json:"inputs"`
	Outputs struct {
		Parameters []parameter `json:"parameters"`
	} `json:"outputs"`
	DAG *struct {
		Tasks    []task `json:"tasks"`
		FailFast *bool  `json:"failFast"`
	} `json:"dag"`
	Steps     [][]task          `json:"steps"`
	Container *corev1.Container `json:"container"`
	Suspend   *struct {
		Duration string `json:"duration"`
	} `json:"suspend"`
	RetryStrategy         *retryStrategy      `json:"retryStrategy"`
	ActiveDeadlineSeconds *intstr.IntOrString `json:"activeDeadlineSeconds"`
	Parallelism           *int64              `json:"parallelism"`
	FailFast              *bool               `json:"failFast"`
}

type task struct {
	Name         string    `json:"name"`
	Template     string    `json:"template"`
	Depends      string    `json:"depends"`
	When         string    `json:"when"`
	Arguments    arguments `json:"arguments"`
	WithSequence *struct {
		Count intstr.IntOrString `json:"count"`
	} `json:"withSequence"`
	WithParam  string `json:"withParam"`
	ContinueOn *struct {
		Failed bool `json:"failed"`
		Error  bool `json:"error"`
	} `json:"continueOn"`
}

type retryStrategy struct {
	Limit       intstr.IntOrString `json:"limit"`
	RetryPolicy string             `json:"retryPolicy"`
	Expression  string             `json:"expression"`
	Backoff     *struct {
		Duration string              `json:"duration"`
		Factor   *intstr.IntOrString `json:"factor"`
	} `json:"backoff"`
}

func decodeWorkflow(t *testing.T, o object) workflow {
	t.Helper()
	var w workflow
	if err := json.Unmarshal(o.JSON, &w); err != nil {
		t.Fatalf("%s %s: %v", o.Kind, o.Name, err)
	}
	if o.Kind == "CronWorkflow" {
		var c cronWorkflow
		if err := json.Unmarshal(o.JSON, &c); err != nil {
			t.Fatal(err)
		}
		w.Spec = c.Spec.WorkflowSpec
	}
	return w
}

func (w workflow) template(t *testing.T, name string) template {
	t.Helper()
	for _, tmpl := range w.Spec.Templates {
		if tmpl.Name == name {
			return tmpl
		}
	}
	t.Fatalf("%s %s: no template %s", w.Kind, w.Metadata.Name, name)
	return template{}
}

func (w workflow) has(name string) bool {
	return slices.ContainsFunc(w.Spec.Templates, func(t template) bool { return t.Name == name })
}

// argoTemplate returns the WorkflowTemplate of k8s/argo.
func argoTemplate(t *testing.T) workflow {
	t.Helper()
	for _, o := range renderCached(t, "argo").argo {
		if o.Kind == "WorkflowTemplate" {
			return decodeWorkflow(t, o)
		}
	}
	t.Fatal("k8s/argo has no WorkflowTemplate")
	return workflow{}
}

func deadline(t *testing.T, tmpl template) time.Duration {
	t.Helper()
	if tmpl.ActiveDeadlineSeconds == nil || tmpl.ActiveDeadlineSeconds.IntValue() <= 0 {
		t.Fatalf("template %s has no activeDeadlineSeconds", tmpl.Name)
	}
	return time.Duration(tmpl.ActiveDeadlineSeconds.IntValue()) * time.Second
}

// argoObjects returns every Argo object an operator applies: those of each
// kustomization and the files submitted as they are.
func argoObjects(t *testing.T) map[string][]object {
	t.Helper()
	out := map[string][]object{}
	for _, d := range kustomizations {
		if r := renderCached(t, d); len(r.argo) > 0 {
			out[d] = r.argo
		}
	}
	for _, f := range argoFiles {
		out[f] = readObjects(t, f).argo
	}
	return out
}

// crdFiles maps each Argo kind to its CRD, copied unchanged from Argo
// Workflows v4.1.2 (testdata/argo/README.md).
var crdFiles = map[string]string{
	"CronWorkflow":     "testdata/argo/argoproj.io_cronworkflows.yaml",
	"WorkflowTemplate": "testdata/argo/argoproj.io_workflowtemplates.yaml",
	"Workflow":         "testdata/argo/argoproj.io_workflows.yaml",
}

var (
	schemasOnce sync.Once
	schemas     map[string]*jsonschema.Schema
	schemasErr  error
)

// argoSchema compiles the openAPIV3Schema of kind's CRD as a JSON schema.
// The API server prunes, and with --validate=strict refuses, fields a
// structural schema does not declare: so every object schema that lists
// its properties and does not preserve unknown fields gets
// additionalProperties: false. CEL rules (x-kubernetes-validations) are
// left to the API server (TestServerSideDryRun).
func argoSchema(t *testing.T, kind string) *jsonschema.Schema {
	t.Helper()
	schemasOnce.Do(func() {
		schemas = map[string]*jsonschema.Schema{}
		for k, f := range crdFiles {
			b, err := os.ReadFile(f)
			if err != nil {
				schemasErr = err
				return
			}
			j, err := yaml.YAMLToJSON(b)
			if err != nil {
				schemasErr = fmt.Errorf("%s: %w", f, err)
				return
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
			if err != nil {
				schemasErr = err
				return
			}
			crd := doc.(map[string]any)
			versions := crd["spec"].(map[string]any)["versions"].([]any)
			s := versions[0].(map[string]any)["schema"].(map[string]any)["openAPIV3Schema"]
			strict(s)
			c := jsonschema.NewCompiler()
			if err := c.AddResource(f, s); err != nil {
				schemasErr = err
				return
			}
			if schemas[k], err = c.Compile(f); err != nil {
				schemasErr = fmt.Errorf("compile %s: %w", f, err)
				return
			}
		}
	})
	if schemasErr != nil {
		t.Fatal(schemasErr)
	}
	return schemas[kind]
}

func strict(v any) {
	switch v := v.(type) {
	case map[string]any:
		_, props := v["properties"]
		_, extra := v["additionalProperties"]
		if props && !extra && v["x-kubernetes-preserve-unknown-fields"] != true {
			v["additionalProperties"] = false
		}
		for _, c := range v {
			strict(c)
		}
	case []any:
		for _, c := range v {
			strict(c)
		}
	}
}

// Every Argo object validates against its CRD's openAPIV3Schema; a field
// the schema does not know, a wrong type or value is an error.
func TestArgoSchema(t *testing.T) {
	n := 0
	for where, objs := range argoObjects(t) {
		for _, o := range objs {
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(o.JSON))
			if err != nil {
				t.Fatal(err)
			}
			if err := argoSchema(t, o.Kind).Validate(inst); err != nil {
				t.Errorf("%s: %s %s does not validate against Argo's CRD schema:\n%v", where, o.Kind, o.Name, err)
			}
			n++
		}
	}
	if n < 5 {
		t.Errorf("only %d Argo objects validated", n)
	}
	// The validator is strict: an unknown field, a wrong type and a value
	// outside an enum each fail.
	for _, tc := range []struct {
		name   string
		change func(spec map[string]any)
	}{
		{"unknown field", func(s map[string]any) { s["entryPoint"] = "daily" }},
		{"wrong type", func(s map[string]any) { s["parallelism"] = "two" }},
		{"bad enum", func(s map[string]any) {
			s["templates"].([]any)[0].(map[string]any)["retryStrategy"] = map[string]any{"retryPolicy": "Sometimes"}
		}},
	} {
		var doc map[string]any
		for _, o := range renderCached(t, "argo").argo {
			if o.Kind == "WorkflowTemplate" {
				if err := json.Unmarshal(o.JSON, &doc); err != nil {
					t.Fatal(err)
				}
			}
		}
		tc.change(doc["spec"].(map[string]any))
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if argoSchema(t, "WorkflowTemplate").Validate(inst) == nil {
			t.Errorf("a WorkflowTemplate with a %s validates", tc.name)
		}
	}
}

// retryExpression is the only retry condition of every Argo step: a pod
// error (eviction, deletion) or a retriable exit code. lastRetry.exitCode
// is a string ("-1" when there is none).
var retryExpression = fmt.Sprintf(`lastRetry.status == "Error" || asInt(lastRetry.exitCode) in [%d, %d, %d]`, retriable[0], retriable[1], retriable[2])

// argoRetries evaluates retryExpression for an exit code the way Argo
// would, for the codes the binary uses.
func argoRetries(expr string, code int32) bool {
	m := regexp.MustCompile(`^lastRetry\.status == "Error" \|\| asInt\(lastRetry\.exitCode\) in \[([0-9, ]+)\]$`).FindStringSubmatch(expr)
	if m == nil {
		return false
	}
	for _, f := range strings.Split(m[1], ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && int32(n) == code {
			return true
		}
	}
	return false
}

// Every container step retries only what a retry can fix, with backoff,
// and has a deadline; the workflow template wires the pods' identity and
// volumes; every step's container is a proper logsmith container.
func TestArgoStepsInvariants(t *testing.T) {
	for where, objs := range argoObjects(t) {
		for _, o := range objs {
			w := decodeWorkflow(t, o)
			for _, tmpl := range w.Spec.Templates {
				name := where + "/" + tmpl.Name
				if tmpl.Container == nil {
					if tmpl.RetryStrategy != nil {
						t.Errorf("%s: retryStrategy on a template without a container", name)
					}
					continue
				}
				rs := tmpl.RetryStrategy
				if rs == nil || rs.Limit.IntValue() < 1 || rs.RetryPolicy != "Always" || rs.Backoff == nil || rs.Backoff.Duration == "" {
					t.Errorf("%s: retryStrategy %+v, want a limit, retryPolicy Always (the expression decides) and a backoff", name, rs)
					continue
				}
				if rs.Expression != retryExpression {
					t.Errorf("%s: retry expression %q, want %q", name, rs.Expression, retryExpression)
				}
				for _, c := range allExitCodes {
					if got, want := argoRetries(rs.Expression, c), slices.Contains(retriable, c); got != want {
						t.Errorf("%s: exit %d retried %v, want %v", name, c, got, want)
					}
				}
				deadline(t, tmpl)
				heavy := tmpl.Container.Args[0] == "run" || tmpl.Container.Args[0] == "merge" || tmpl.Container.Args[0] == "plan"
				checkContainer(t, name, *tmpl.Container, w.Spec.Volumes, heavy)
			}
			if o.Kind != "WorkflowTemplate" {
				continue
			}
			s := w.Spec
			if s.ServiceAccountName != "logsmith" || s.AutomountServiceAccountToken == nil || *s.AutomountServiceAccountToken ||
				s.Executor == nil || s.Executor.ServiceAccountName == "" {
				t.Errorf("%s: serviceAccountName %q, automountServiceAccountToken %v, executor %+v: want logsmith without a token, and an executor account",
					where, s.ServiceAccountName, s.AutomountServiceAccountToken, s.Executor)
			}
			psc := s.SecurityContext
			if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.SeccompProfile == nil {
				t.Errorf("%s: securityContext %+v", where, psc)
			}
			if s.ActiveDeadlineSeconds == nil || s.OnExit == "" {
				t.Errorf("%s: activeDeadlineSeconds %v, onExit %q", where, s.ActiveDeadlineSeconds, s.OnExit)
			}
		}
	}
	// The executor may record outputs and nothing else.
	r := renderCached(t, "argo")
	wt := argoTemplate(t)
	if len(r.roles) != 1 || len(r.roleBindings) != 1 {
		t.Fatalf("argo: %d roles, %d role bindings", len(r.roles), len(r.roleBindings))
	}
	role, rb := r.roles[0], r.roleBindings[0]
	if len(role.Rules) != 1 || !slices.Equal(role.Rules[0].Resources, []string{"workflowtaskresults"}) || !slices.Equal(role.Rules[0].Verbs, []string{"create", "patch"}) {
		t.Errorf("executor role %+v", role.Rules)
	}
	if rb.RoleRef.Name != role.Name || len(rb.Subjects) != 1 || rb.Subjects[0].Name != wt.Spec.Executor.ServiceAccountName || rb.Subjects[0].Namespace != "logsmith" {
		t.Errorf("role binding %+v does not bind %s to %s", rb, wt.Spec.Executor.ServiceAccountName, role.Name)
	}
}

// The CronWorkflow runs the template daily in UTC, never two at once, and
// skips a run missed by more than its starting deadline.
func TestArgoCronWorkflow(t *testing.T) {
	for _, d := range []string{"argo", "overlays/production/argo"} {
		var found bool
		for _, o := range renderCached(t, d).argo {
			if o.Kind != "CronWorkflow" {
				continue
			}
			found = true
			var c cronWorkflow
			if err := json.Unmarshal(o.JSON, &c); err != nil {
				t.Fatal(err)
			}
			s := c.Spec
			if len(s.Schedules) != 1 || s.Timezone != "Etc/UTC" || s.ConcurrencyPolicy != "Forbid" ||
				s.StartingDeadlineSeconds == nil || *s.StartingDeadlineSeconds <= 0 {
				t.Errorf("%s: schedules %v, timezone %q, concurrencyPolicy %q, startingDeadlineSeconds %v",
					d, s.Schedules, s.Timezone, s.ConcurrencyPolicy, s.StartingDeadlineSeconds)
			}
			ref := s.WorkflowSpec.WorkflowTemplateRef
			if ref == nil || ref.Name != argoTemplate(t).Metadata.Name {
				t.Errorf("%s: CronWorkflow runs %+v", d, ref)
			}
		}
		if !found {
			t.Errorf("%s: no CronWorkflow", d)
		}
	}
	// One way to run the daily at a time: a CronJob and a CronWorkflow
	// would each compute the same date.
	for _, d := range kustomizations {
		r := renderCached(t, d)
		if len(r.cronJobs) > 0 && r.kinds()["CronWorkflow"] > 0 {
			t.Errorf("%s renders both a CronJob and a CronWorkflow", d)
		}
	}
}

// refRe finds Argo template references; exprRefRe the variables inside an
// expression ({{=...}}).
var (
	refRe     = regexp.MustCompile(`\{\{\s*(=?)(.*?)\s*\}\}`)
	exprRefRe = regexp.MustCompile(`\b(inputs|workflow|tasks|steps)\.[A-Za-z0-9_.-]*[A-Za-z0-9_]|\bitem\b`)
)

// references returns every variable a value refers to.
func references(s string) []string {
	var out []string
	for _, m := range refRe.FindAllStringSubmatch(s, -1) {
		if m[1] == "" {
			out = append(out, m[2])
			continue
		}
		expr := regexp.MustCompile(`'[^']*'|"[^"]*"`).ReplaceAllString(m[2], "")
		out = append(out, exprRefRe.FindAllString(expr, -1)...)
	}
	return out
}

// strings returns every string in v (a template decoded from JSON) with
// its path.
func walkStrings(v any, path string, fn func(path, s string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, c := range v {
			walkStrings(c, path+"."+k, fn)
		}
	case []any:
		for i, c := range v {
			walkStrings(c, fmt.Sprintf("%s[%d]", path, i), fn)
		}
	case string:
		fn(path, v)
	}
}

// Every {{...}} reference resolves to a declared parameter or step output
// that exists when it is used, every template called exists and gets
// exactly the inputs it declares, every DAG is acyclic, and Workflows
// referring to the template pass only its parameters.
func TestArgoReferences(t *testing.T) {
	wt := argoTemplate(t)
	for where, objs := range argoObjects(t) {
		for _, o := range objs {
			w := decodeWorkflow(t, o)
			if w.Spec.WorkflowTemplateRef != nil {
				checkTemplateRef(t, where, w, wt)
				continue
			}
			checkReferences(t, where, o, w)
		}
	}
}

func checkTemplateRef(t *testing.T, where string, w, wt workflow) {
	t.Helper()
	if w.Spec.WorkflowTemplateRef.Name != wt.Metadata.Name {
		t.Errorf("%s: refers to WorkflowTemplate %q, not %q", where, w.Spec.WorkflowTemplateRef.Name, wt.Metadata.Name)
	}
	if e := w.Spec.Entrypoint; e != "" && !wt.has(e) {
		t.Errorf("%s: entrypoint %s is not a template", where, e)
	}
	for _, p := range w.Spec.Arguments.Parameters {
		if !slices.ContainsFunc(wt.Spec.Arguments.Parameters, func(q parameter) bool { return q.Name == p.Name }) {
			t.Errorf("%s: passes parameter %s, which the WorkflowTemplate does not declare", where, p.Name)
		}
	}
}

func checkReferences(t *testing.T, where string, o object, w workflow) {
	t.Helper()
	var raw struct {
		Spec struct {
			Templates []map[string]any `json:"templates"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(o.JSON, &raw); err != nil {
		t.Fatal(err)
	}
	global := map[string]bool{}
	for _, p := range w.Spec.Arguments.Parameters {
		if p.Value == nil {
			t.Errorf("%s: workflow parameter %s has no value", where, p.Name)
		}
		global[p.Name] = true
	}
	for _, name := range []string{w.Spec.Entrypoint, w.Spec.OnExit} {
		if name != "" && !w.has(name) {
			t.Errorf("%s: %q is not a template", where, name)
		}
	}
	exitTemplates := reachable(w, w.Spec.OnExit)
	for i, tmpl := range w.Spec.Templates {
		inputs := map[string]bool{}
		for _, p := range tmpl.Inputs.Parameters {
			inputs[p.Name] = true
		}
		tasks := map[string]task{}
		var calls []task
		if tmpl.DAG != nil {
			for _, tk := range tmpl.DAG.Tasks {
				tasks[tk.Name] = tk
				calls = append(calls, tk)
			}
			checkDAG(t, where+"/"+tmpl.Name, tmpl.DAG.Tasks)
		}
		for _, group := range tmpl.Steps {
			calls = append(calls, group...)
		}
		for _, tk := range calls {
			checkCall(t, where+"/"+tmpl.Name+"/"+tk.Name, w, tk)
		}
		// Each reference, by where it appears.
		walkStrings(raw.Spec.Templates[i], "", func(path, s string) {
			taskName := ""
			if m := regexp.MustCompile(`^\.dag\.tasks\[(\d+)\]`).FindStringSubmatch(path); m != nil {
				n, _ := strconv.Atoi(m[1])
				taskName = tmpl.DAG.Tasks[n].Name
			}
			for _, ref := range references(s) {
				if err := resolve(ref, taskName, inputs, global, tasks, w, slices.Contains(exitTemplates, tmpl.Name)); err != nil {
					t.Errorf("%s/%s%s: {{%s}}: %v", where, tmpl.Name, path, ref, err)
				}
			}
		})
	}
}

// resolve checks one reference made in a template (inside task taskName
// of its DAG, if any).
func resolve(ref, taskName string, inputs, global map[string]bool, tasks map[string]task, w workflow, inExitHandler bool) error {
	parts := strings.Split(ref, ".")
	switch {
	case ref == "item":
		if tk, ok := tasks[taskName]; !ok || (tk.WithSequence == nil && tk.WithParam == "") {
			return fmt.Errorf("item outside a task with withSequence or withParam")
		}
	case parts[0] == "inputs" && len(parts) == 3 && parts[1] == "parameters":
		if !inputs[parts[2]] {
			return fmt.Errorf("the template declares no input %s", parts[2])
		}
	case parts[0] == "workflow" && len(parts) == 3 && parts[1] == "parameters":
		if !global[parts[2]] {
			return fmt.Errorf("the workflow declares no parameter %s", parts[2])
		}
	case ref == "workflow.name" || ref == "workflow.namespace" || ref == "workflow.uid":
	case ref == "workflow.status" || ref == "workflow.failures":
		if !inExitHandler {
			return fmt.Errorf("only known in the exit handler")
		}
	case parts[0] == "tasks" && len(parts) >= 3:
		dep, ok := tasks[parts[1]]
		if !ok {
			return fmt.Errorf("no task %s in this DAG", parts[1])
		}
		if taskName == "" || !dependsOn(tasks, taskName, parts[1]) {
			return fmt.Errorf("task %q does not depend on %s, which may not have run", taskName, parts[1])
		}
		switch {
		case len(parts) == 3 && (parts[2] == "exitCode" || parts[2] == "status"):
		case len(parts) == 5 && parts[2] == "outputs" && parts[3] == "parameters":
			called := templateOf(w, dep.Template)
			if called == nil || !slices.ContainsFunc(called.Outputs.Parameters, func(p parameter) bool { return p.Name == parts[4] }) {
				return fmt.Errorf("template %s has no output parameter %s", dep.Template, parts[4])
			}
		default:
			return fmt.Errorf("unknown task variable")
		}
	default:
		return fmt.Errorf("unknown variable")
	}
	return nil
}

func templateOf(w workflow, name string) *template {
	for i := range w.Spec.Templates {
		if w.Spec.Templates[i].Name == name {
			return &w.Spec.Templates[i]
		}
	}
	return nil
}

// checkCall: the called template exists and gets exactly its inputs (each
// one without a default supplied).
func checkCall(t *testing.T, where string, w workflow, tk task) {
	t.Helper()
	called := templateOf(w, tk.Template)
	if called == nil {
		t.Errorf("%s: calls template %q, which does not exist", where, tk.Template)
		return
	}
	passed := map[string]bool{}
	for _, p := range tk.Arguments.Parameters {
		passed[p.Name] = true
		if !slices.ContainsFunc(called.Inputs.Parameters, func(q parameter) bool { return q.Name == p.Name }) {
			t.Errorf("%s: passes %s, which template %s does not take", where, p.Name, called.Name)
		}
	}
	for _, p := range called.Inputs.Parameters {
		if !passed[p.Name] && p.Default == nil && p.Value == nil {
			t.Errorf("%s: template %s needs input %s", where, called.Name, p.Name)
		}
	}
}

// dependsNames returns the tasks a depends expression names.
func dependsNames(expr string) []string {
	var out []string
	for _, tok := range regexp.MustCompile(`[A-Za-z0-9][A-Za-z0-9-]*(\.[A-Za-z]+)?`).FindAllString(expr, -1) {
		name, _, _ := strings.Cut(tok, ".")
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

func dependsOn(tasks map[string]task, from, to string) bool {
	seen := map[string]bool{}
	var walk func(n string) bool
	walk = func(n string) bool {
		if seen[n] {
			return false
		}
		seen[n] = true
		for _, d := range dependsNames(tasks[n].Depends) {
			if d == to || walk(d) {
				return true
			}
		}
		return false
	}
	return walk(from)
}

// checkDAG: every dependency names a task of the DAG, and there is no cycle.
func checkDAG(t *testing.T, where string, tasks []task) {
	t.Helper()
	byName := map[string]task{}
	for _, tk := range tasks {
		if _, dup := byName[tk.Name]; dup {
			t.Errorf("%s: task %s twice", where, tk.Name)
		}
		byName[tk.Name] = tk
	}
	for _, tk := range tasks {
		for _, d := range dependsNames(tk.Depends) {
			if _, ok := byName[d]; !ok {
				t.Errorf("%s: task %s depends on %s, which is not a task", where, tk.Name, d)
			}
		}
		if dependsOn(byName, tk.Name, tk.Name) {
			t.Errorf("%s: task %s depends on itself (a cycle)", where, tk.Name)
		}
	}
}

// reachable returns the templates name calls, itself included.
func reachable(w workflow, name string) []string {
	var out []string
	var walk func(n string)
	walk = func(n string) {
		tmpl := templateOf(w, n)
		if tmpl == nil || slices.Contains(out, n) {
			return
		}
		out = append(out, n)
		if tmpl.DAG != nil {
			for _, tk := range tmpl.DAG.Tasks {
				walk(tk.Template)
			}
		}
		for _, g := range tmpl.Steps {
			for _, s := range g {
				walk(s.Template)
			}
		}
	}
	walk(name)
	return out
}

// The map fans out over the shard count plan prints, each shard gets
// i/n, the run id and the date from the plan, and the merge waits for
// every map step.
func TestArgoFanOut(t *testing.T) {
	wt := argoTemplate(t)
	day := wt.template(t, "day")
	tasks := map[string]task{}
	for _, tk := range day.DAG.Tasks {
		tasks[tk.Name] = tk
	}
	plan, mp, merge := tasks["plan"], tasks["map"], tasks["merge"]
	if plan.Template != "plan" || mp.Template != "map" || merge.Template != "merge" {
		t.Fatalf("day DAG: %+v", day.DAG.Tasks)
	}
	planOut := "tasks.plan.outputs.parameters.plan"
	jp := func(field string) string { return fmt.Sprintf("{{=jsonpath(%s, '$.%s')}}", planOut, field) }
	if mp.WithSequence == nil || mp.WithSequence.Count.StrVal != jp("shards") {
		t.Errorf("map fans out over %+v, want withSequence.count %s", mp.WithSequence, jp("shards"))
	}
	args := func(tk task) map[string]string {
		m := map[string]string{}
		for _, p := range tk.Arguments.Parameters {
			m[p.Name] = *p.Value
		}
		return m
	}
	if a := args(mp); a["shard"] != "{{item}}" || a["shards"] != jp("shards") || a["run"] != jp("run_id") || a["date"] != jp("date") {
		t.Errorf("map arguments %v: want the shard from the sequence, the count, run id and date from the plan", a)
	}
	if a := args(merge); a["run"] != jp("run_id") || a["date"] != jp("date") {
		t.Errorf("merge arguments %v: want the run id and date from the plan", a)
	}
	if mp.Depends != "plan" || merge.Depends != "map" {
		t.Errorf("map depends on %q, merge on %q", mp.Depends, merge.Depends)
	}
	// The plan step's output is the file plan writes.
	pt := wt.template(t, "plan")
	if len(pt.Outputs.Parameters) != 1 || pt.Outputs.Parameters[0].Name != "plan" || pt.Outputs.Parameters[0].ValueFrom == nil {
		t.Fatalf("plan outputs %+v", pt.Outputs.Parameters)
	}
	file := pt.Outputs.Parameters[0].ValueFrom.Path
	if a := pt.Container.Args; !slices.Equal(a, []string{"plan", "--json", "--plan-file", file}) || !strings.HasPrefix(file, "/tmp/") {
		t.Errorf("plan args %v, output from %s", a, file)
	}
	m := wt.template(t, "map").Container.Args
	if !slices.Equal(m, []string{"run", "--shard", "{{inputs.parameters.shard}}/{{inputs.parameters.shards}}", "--run", "{{inputs.parameters.run}}", "--date", "{{inputs.parameters.date}}"}) {
		t.Errorf("map args %v", m)
	}
	if v, ok := env(*wt.template(t, "map").Container)["LOGSMITH_PUSHGATEWAY_URL"]; !ok || v != "" {
		t.Error("map steps report to the Pushgateway: a shard's success would count as the day's")
	}
	// The shard count's budget leaves the map pods room before their
	// deadline.
	var budget time.Duration
	for _, e := range pt.Container.Env {
		if e.Name == "LOGSMITH_PLAN_BUDGET" {
			budget, _ = time.ParseDuration(e.Value)
		}
	}
	if budget <= 0 || 2*budget > deadline(t, wt.template(t, "map")) {
		t.Errorf("plan budget %v and map deadline %v: want twice the budget within the deadline", budget, deadline(t, wt.template(t, "map")))
	}
}

// phase is an Argo node phase, as the DAG model below uses them.
type phase string

const (
	succeeded phase = "Succeeded"
	failed    phase = "Failed"
	skipped   phase = "Skipped" // `when` was false: completed, not failed
	omitted   phase = "Omitted" // `depends` was false: not completed
)

// dagOutcome models how Argo (workflow/controller/dag.go, v3.6–v4) settles
// a DAG: a task runs when its `depends` holds (else Omitted) and its
// `when` holds (else Skipped); the DAG's phase is that of its leaf tasks,
// an Omitted task taking its parents' branch phase with Failed preferred
// (assessDAGPhase), and a leaf with continueOn not failing it. exitCode
// gives each container step's final exit code (after its retries).
func dagOutcome(t *testing.T, tasks []task, exitCode func(task) int32) (phase, map[string]phase) {
	t.Helper()
	phases := map[string]phase{}
	codes := map[string]int32{}
	done := func(tk task) bool { _, ok := phases[tk.Name]; return ok }
	for len(phases) < len(tasks) {
		progress := false
		for _, tk := range tasks {
			if done(tk) {
				continue
			}
			deps := dependsNames(tk.Depends)
			if slices.ContainsFunc(deps, func(d string) bool { _, ok := phases[d]; return !ok }) {
				continue
			}
			progress = true
			if !evalDepends(t, tk.Depends, phases) {
				phases[tk.Name] = omitted
				continue
			}
			if tk.When != "" && !evalWhen(t, tk.When, codes) {
				phases[tk.Name] = skipped
				continue
			}
			codes[tk.Name] = exitCode(tk)
			phases[tk.Name] = succeeded
			if codes[tk.Name] != 0 {
				phases[tk.Name] = failed
			}
		}
		if !progress {
			t.Fatal("DAG model stuck: a cycle")
		}
	}
	// Branch phases: an omitted task takes its parents' (Failed first).
	branch := map[string]phase{}
	var branchOf func(name string) phase
	byName := map[string]task{}
	for _, tk := range tasks {
		byName[tk.Name] = tk
	}
	branchOf = func(name string) phase {
		if p, ok := branch[name]; ok {
			return p
		}
		p := phases[name]
		if p == omitted {
			p = succeeded
			for _, d := range dependsNames(byName[name].Depends) {
				if bp := branchOf(d); bp == failed || p == succeeded {
					p = bp
				}
			}
		}
		branch[name] = p
		return p
	}
	outcome := succeeded
	for _, tk := range tasks {
		leaf := !slices.ContainsFunc(tasks, func(o task) bool { return slices.Contains(dependsNames(o.Depends), tk.Name) })
		if !leaf {
			continue
		}
		if p := branchOf(tk.Name); p == failed && (tk.ContinueOn == nil || !tk.ContinueOn.Failed) {
			outcome = failed
		}
	}
	return outcome, phases
}

// evalDepends evaluates a depends expression: task names (Succeeded,
// Skipped or Daemoned), TASK.Succeeded / .Failed / .Skipped / .Omitted, !,
// && and || (&& binding tighter), without parentheses.
func evalDepends(t *testing.T, expr string, phases map[string]phase) bool {
	t.Helper()
	if strings.TrimSpace(expr) == "" {
		return true
	}
	if strings.ContainsAny(expr, "()") {
		t.Fatalf("depends %q: the model has no parentheses", expr)
	}
	for _, or := range strings.Split(expr, "||") {
		all := true
		for _, term := range strings.Split(or, "&&") {
			term = strings.TrimSpace(term)
			neg := strings.HasPrefix(term, "!")
			term = strings.TrimPrefix(term, "!")
			name, result, _ := strings.Cut(term, ".")
			p := phases[name]
			var v bool
			switch result {
			case "":
				v = p == succeeded || p == skipped
			case "Succeeded", "Failed", "Skipped", "Omitted":
				v = string(p) == result
			default:
				t.Fatalf("depends %q: the model does not know .%s", expr, result)
			}
			if v == neg {
				all = false
			}
		}
		if all {
			return true
		}
	}
	return false
}

// evalWhen evaluates a `when` of the form "{{tasks.T.exitCode}} OP N".
func evalWhen(t *testing.T, when string, codes map[string]int32) bool {
	t.Helper()
	m := regexp.MustCompile(`^\{\{tasks\.([a-z0-9-]+)\.exitCode\}\} (==|!=) (\d+)$`).FindStringSubmatch(when)
	if m == nil {
		t.Fatalf("when %q: the model knows only {{tasks.T.exitCode}} == N or != N", when)
	}
	n, _ := strconv.Atoi(m[3])
	return (codes[m[1]] == int32(n)) == (m[2] == "==")
}

// The day's DAG ends as the exit code of the merge says: committed (0) and
// lost race (4) succeed, every other code fails the workflow, and the
// exit handler's gc runs exactly when the workflow failed.
func TestArgoExitCodeOutcome(t *testing.T) {
	wt := argoTemplate(t)
	day := wt.template(t, "day")
	for _, code := range append([]int32{0}, allExitCodes...) {
		outcome, phases := dagOutcome(t, day.DAG.Tasks, func(tk task) int32 {
			if tk.Template == "merge" {
				return code
			}
			return 0
		})
		want := failed
		if code == 0 || code == failure.ExitLostRace {
			want = succeeded
		}
		if outcome != want {
			t.Errorf("merge exit %d: the day's DAG %s, want %s (tasks %v)", code, outcome, want, phases)
		}
		if code == failure.ExitLostRace && phases["committed"] != succeeded {
			t.Errorf("merge exit 4: the committed partition is not shown (tasks %v)", phases)
		}
	}
	// A failed plan or map fails the day without running the merge.
	for _, step := range []string{"plan", "map"} {
		outcome, phases := dagOutcome(t, day.DAG.Tasks, func(tk task) int32 {
			if tk.Template == step {
				return failure.ExitConfig
			}
			return 0
		})
		if outcome != failed || phases["merge"] != omitted {
			t.Errorf("%s exit 2: the day's DAG %s, merge %s", step, outcome, phases["merge"])
		}
	}
	// The backfill runs every date even when one fails.
	if bf := wt.template(t, "backfill"); bf.FailFast == nil || *bf.FailFast || bf.Parallelism == nil || *bf.Parallelism < 1 {
		t.Errorf("backfill: failFast %v, parallelism %v: want every date tried, a bounded number at once", bf.FailFast, bf.Parallelism)
	}
	// The exit handler collects garbage after a failed workflow only.
	cleanup := wt.template(t, wt.Spec.OnExit)
	if len(cleanup.Steps) != 1 || len(cleanup.Steps[0]) != 1 || cleanup.Steps[0][0].When != "{{workflow.status}} != Succeeded" {
		t.Fatalf("exit handler %+v", cleanup.Steps)
	}
	if gc := wt.template(t, cleanup.Steps[0][0].Template); !slices.Equal(gc.Container.Args, []string{"gc"}) {
		t.Errorf("exit handler runs %v, want logsmith gc", gc.Container.Args)
	}
}

// argoParams are sample values for the parameters of Argo's steps.
var argoParams = map[string]string{
	"inputs.parameters.shard":  "1",
	"inputs.parameters.shards": "4",
	"inputs.parameters.date":   "2025-11-08",
	"inputs.parameters.run":    "logsmith-daily-1762565400",
	"inputs.parameters.from":   "",
	"inputs.parameters.index":  "",
}

// substitute replaces the {{inputs.parameters.X}} of s with params.
func substitute(s string, params map[string]string) string {
	return refRe.ReplaceAllStringFunc(s, func(m string) string {
		k := refRe.FindStringSubmatch(m)[2]
		if v, ok := params[k]; ok {
			return v
		}
		return m
	})
}

// stepConfig builds, from the ConfigMap and a container step with its
// parameters filled in, the settings the step's command parses, and
// validates them: every flag and variable must exist for that command.
func stepConfig(t *testing.T, where string, cm map[string]string, c corev1.Container, params map[string]string) (any, error) {
	t.Helper()
	envs := map[string]string{"LOGSMITH_WORKERS": "2"}
	for k, v := range cm {
		envs[k] = v
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			envs[e.Name] = substitute(e.Value, params)
		}
	}
	var cfg any
	switch c.Args[0] {
	case "run", "merge":
		cfg = &settings.Config{}
	case "plan":
		cfg = &settings.PlanConfig{}
	case "show", "gc":
		cfg = &settings.OutputConfig{}
	default:
		t.Fatalf("%s: logsmith %s is not a command the tests know", where, c.Args[0])
	}
	flags := map[string]string{}
	for _, s := range settings.Settings(cfg) {
		if s.Flag != "" {
			flags[s.Flag] = s.Env
		}
	}
	for args := c.Args[1:]; len(args) > 0; args = args[1:] {
		name, ok := strings.CutPrefix(args[0], "--")
		if !ok {
			t.Fatalf("%s: argument %q is not a flag", where, args[0])
		}
		env, known := flags[name]
		if !known {
			t.Errorf("%s: logsmith %s has no flag --%s", where, c.Args[0], name)
			continue
		}
		if name == "json" {
			envs[env] = "true"
			continue
		}
		if len(args) < 2 {
			t.Fatalf("%s: --%s without a value", where, name)
		}
		envs[env] = substitute(args[1], params)
		args = args[1:]
	}
	if err := settings.ParseEnv(cfg, envs); err != nil {
		return cfg, err
	}
	switch cfg := cfg.(type) {
	case *settings.Config:
		return cfg, cfg.Validate()
	case *settings.PlanConfig:
		return cfg, cfg.Validate()
	case *settings.OutputConfig:
		return cfg, cfg.Validate(c.Args[0] == "show")
	}
	return cfg, nil
}

// Each Argo step's flags and variables exist for its command and, with
// the ConfigMap and sample parameters, pass the binary's validation.
func TestArgoStepsValidate(t *testing.T) {
	for _, d := range []string{"argo", "overlays/production/argo"} {
		r := renderCached(t, d)
		cm := r.configMap(t, "logsmith-config").Data
		for _, p := range workloads(t, r) {
			if _, err := stepConfig(t, d+"/"+p.name, cm, p.container, argoParams); err != nil {
				t.Errorf("%s/%s: %v", d, p.name, err)
			}
		}
	}
}

// The plan step resolves the date as the DAG means it: the daily's
// yesterday, a given date, or a backfill's from + index, and echoes the
// run id it is given. It runs `logsmith plan` in process on a local input
// holding those dates.
func TestArgoPlanContract(t *testing.T) {
	wt := argoTemplate(t)
	cm := maps.Clone(renderCached(t, "argo").configMap(t, "logsmith-config").Data)
	in := t.TempDir()
	yesterday := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	for _, d := range []string{yesterday, "2025-11-08", "2025-01-01", "2025-01-04"} {
		if err := os.MkdirAll(filepath.Join(in, d), 0o755); err != nil {
			t.Fatal(err)
		}
		line := fmt.Sprintf(`{"timestamp":"%sT10:00:00Z","level":"info","latency_ms":5}`+"\n", d)
		if err := os.WriteFile(filepath.Join(in, d, "a.jsonl"), []byte(line), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cm["LOGSMITH_INPUT"] = in + "/{date}/"
	cm["LOGSMITH_OUTPUT"] = t.TempDir()
	plan := wt.template(t, "plan")
	for _, tc := range []struct {
		name              string
		date, from, index string
		want              string
	}{
		{"daily", "", "", "", yesterday},
		{"one date", "2025-11-08", "", "", "2025-11-08"},
		{"backfill", "", "2025-01-01", "3", "2025-01-04"},
	} {
		run := "wf-" + strings.ReplaceAll(tc.name, " ", "-")
		params := map[string]string{
			"inputs.parameters.date": tc.date, "inputs.parameters.from": tc.from,
			"inputs.parameters.index": tc.index, "inputs.parameters.run": run,
		}
		cfg, err := stepConfig(t, tc.name, cm, *plan.Container, params)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		pc := *cfg.(*settings.PlanConfig)
		pc.File = "" // the test reads the returned plan
		p, err := job.PlanRun(context.Background(), pc, job.Options{})
		if err != nil {
			t.Errorf("%s: plan: %v", tc.name, err)
			continue
		}
		if p.Date != tc.want || p.RunID != run || p.Shards < 1 || len(p.ShardList) != p.Shards {
			t.Errorf("%s: plan date %s, run %s, shards %d %v; want date %s, run %s", tc.name, p.Date, p.RunID, p.Shards, p.ShardList, tc.want, run)
		}
		b, _ := json.Marshal(p)
		var fields map[string]any
		_ = json.Unmarshal(b, &fields)
		for _, f := range []string{"run_id", "date", "shards", "shard_list"} {
			if _, ok := fields[f]; !ok {
				t.Errorf("the plan's JSON has no %q, which the WorkflowTemplate reads", f)
			}
		}
	}
}
