package k8s

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"

	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/memcheck"
	"github.com/logsmith/logsmith/job/settings"
)

// Every kustomization renders, holds what its use needs and nothing else,
// and puts everything in the namespace logsmith.
func TestKustomizationsRender(t *testing.T) {
	want := map[string]map[string]int{
		// Two ConfigMaps: the settings, and the config file (logsmith-file).
		"daily":         {"ConfigMap": 2, "ServiceAccount": 1, "CronJob": 1},
		"backfill":      {"ConfigMap": 2, "ServiceAccount": 1, "Job": 1},
		"sharded":       {"ConfigMap": 2, "ServiceAccount": 1, "Job": 1},
		"sharded/merge": {"Job": 1},
		"argo": {"ConfigMap": 2, "ServiceAccount": 2, "Role": 1, "RoleBinding": 1,
			"WorkflowTemplate": 1, "CronWorkflow": 1},
	}
	for _, d := range kustomizations {
		r := renderCached(t, d)
		base := d
		if i := strings.LastIndex(d, "/"); strings.HasPrefix(d, "overlays/") {
			base = d[i+1:]
		}
		if got := r.kinds(); !mapsEqual(got, want[base]) {
			t.Errorf("%s renders %v, want %v", d, got, want[base])
		}
		for _, o := range r.objects {
			var m struct {
				Metadata struct{ Namespace string } `json:"metadata"`
			}
			if err := json.Unmarshal(o.JSON, &m); err != nil {
				t.Fatal(err)
			}
			if m.Metadata.Namespace != "logsmith" {
				t.Errorf("%s: %s %s in namespace %q, want logsmith", d, o.Kind, o.Name, m.Metadata.Namespace)
			}
		}
	}
	// The trap of issue 16: applying the sharded run must not also create
	// the daily CronJob or a 90-date backfill, and the merge must not be
	// applied with the map (it would give up while the map runs).
	r := renderCached(t, "sharded")
	if len(r.cronJobs) != 0 || len(r.jobs) != 1 || r.jobs[0].Name != "logsmith-map" {
		t.Errorf("k8s/sharded renders %d CronJobs and Jobs %v: want only the map Job", len(r.cronJobs), jobNames(r.jobs))
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func jobNames(js []batchv1.Job) []string {
	var n []string
	for _, j := range js {
		n = append(n, j.Name)
	}
	return n
}

// exitAction is what Kubernetes does with a pod that exits with a code:
// the podFailurePolicy action of the first rule that matches, or "" when
// no rule matches (the failure counts towards backoffLimit and the pod is
// retried).
func exitAction(p *batchv1.PodFailurePolicy, code int32) batchv1.PodFailurePolicyAction {
	for _, r := range p.Rules {
		if r.OnExitCodes == nil {
			continue
		}
		in := slices.Contains(r.OnExitCodes.Values, code)
		if in == (r.OnExitCodes.Operator == batchv1.PodFailurePolicyOnExitCodesOpIn) {
			return r.Action
		}
	}
	return ""
}

// allExitCodes are the binary's failure codes (job/errors.go).
var allExitCodes = []int32{failure.ExitInternal, failure.ExitConfig, failure.ExitBadData, failure.ExitLostRace, failure.ExitStorage, failure.ExitAccess, failure.ExitInterrupted}

// retriable are the codes a retry can fix: a bug that may not recur, the
// store, an interruption. Every other code ends the pod's work at once.
var retriable = []int32{failure.ExitInternal, failure.ExitStorage, failure.ExitInterrupted}

// wantActions maps each exit code to its podFailurePolicy action for a Job
// whose pods all work on one date (daily, map, merge): config, bad data,
// a lost race and refused access end the Job; the rest are retried.
func wantActions(backfill bool) map[int32]batchv1.PodFailurePolicyAction {
	w := map[int32]batchv1.PodFailurePolicyAction{}
	for _, c := range allExitCodes {
		if !slices.Contains(retriable, c) {
			w[c] = batchv1.PodFailurePolicyActionFailJob
		}
	}
	if backfill {
		// A date's bad data or lost race ends that date; a config error or
		// refused access is the same for every date and ends the backfill.
		w[failure.ExitBadData] = batchv1.PodFailurePolicyActionFailIndex
		w[failure.ExitLostRace] = batchv1.PodFailurePolicyActionFailIndex
	}
	return w
}

func checkFailurePolicy(t *testing.T, where string, p *batchv1.PodFailurePolicy, want map[int32]batchv1.PodFailurePolicyAction) {
	t.Helper()
	if p == nil {
		t.Fatalf("%s: no podFailurePolicy", where)
	}
	for _, c := range allExitCodes {
		if got := exitAction(p, c); got != want[c] {
			t.Errorf("%s: exit %d → %q, want %q", where, c, got, want[c])
		}
	}
	disruption := false
	for i, r := range p.Rules {
		if r.OnExitCodes != nil && r.OnExitCodes.ContainerName != nil && *r.OnExitCodes.ContainerName != "logsmith" {
			t.Errorf("%s: rule %d names container %s", where, i, *r.OnExitCodes.ContainerName)
		}
		for _, c := range r.OnPodConditions {
			// The API server does not default status inside a CronJob's
			// job template (kubernetes/kubernetes#131512): always set it.
			if c.Status == "" {
				t.Errorf("%s: rule %d: onPodConditions %s without status", where, i, c.Type)
			}
			if c.Type == corev1.DisruptionTarget && c.Status == corev1.ConditionTrue && r.Action == batchv1.PodFailurePolicyActionIgnore {
				disruption = true
			}
		}
	}
	if !disruption {
		t.Errorf("%s: pod disruptions (DisruptionTarget=True) are not ignored", where)
	}
}

// checkPod checks what every logsmith pod must have.
func checkPod(t *testing.T, where string, spec corev1.PodSpec) {
	t.Helper()
	if spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("%s: restartPolicy %s", where, spec.RestartPolicy)
	}
	if spec.TerminationGracePeriodSeconds == nil || *spec.TerminationGracePeriodSeconds < 10 {
		t.Errorf("%s: terminationGracePeriodSeconds unset", where)
	}
	if spec.ServiceAccountName != "logsmith" || spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		t.Errorf("%s: serviceAccountName %q, automountServiceAccountToken %v: want logsmith without a token", where, spec.ServiceAccountName, spec.AutomountServiceAccountToken)
	}
	psc := spec.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod securityContext %+v", where, psc)
	}
	if len(spec.Containers) != 1 {
		t.Fatalf("%s: %d containers", where, len(spec.Containers))
	}
	if spec.Containers[0].Name != "logsmith" {
		t.Errorf("%s: container %s, want logsmith (the podFailurePolicy names it)", where, spec.Containers[0].Name)
	}
	checkContainer(t, where, spec.Containers[0], spec.Volumes, true)
}

// checkContainer checks a logsmith container (of a pod, or of an Argo
// container template with the workflow's volumes). heavy containers read
// input: their worker count follows the CPU limit.
func checkContainer(t *testing.T, where string, c corev1.Container, volumes []corev1.Volume, heavy bool) {
	t.Helper()
	if !strings.Contains(c.Image, ":") || strings.HasSuffix(c.Image, ":latest") {
		t.Errorf("%s: image %s (want a pinned tag or digest)", where, c.Image)
	}
	for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if _, ok := c.Resources.Requests[res]; !ok {
			t.Errorf("%s: no %s request", where, res)
		}
		if _, ok := c.Resources.Limits[res]; !ok {
			t.Errorf("%s: no %s limit", where, res)
		}
	}
	if r, l := c.Resources.Requests[corev1.ResourceMemory], c.Resources.Limits[corev1.ResourceMemory]; r.Cmp(l) != 0 {
		t.Errorf("%s: memory request %s below its limit %s: a pod using its budget would be evicted first", where, r.String(), l.String())
	}
	sc := c.SecurityContext
	if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		t.Errorf("%s: container securityContext %+v", where, sc)
	}
	tmp := false
	for _, m := range c.VolumeMounts {
		for _, v := range volumes {
			if v.Name == m.Name && m.MountPath == "/tmp" && v.EmptyDir != nil {
				tmp = true
			}
		}
	}
	if !tmp {
		t.Errorf("%s: no emptyDir at /tmp for the read-only root", where)
	}
	if !mountsEmptyDir(c, volumes, spillDir) {
		t.Errorf("%s: no emptyDir with a sizeLimit at %s for the spilled aggregate (LOGSMITH_SPILL_DIR)", where, spillDir)
	}
	secret, config := false, false
	for _, e := range c.EnvFrom {
		if e.SecretRef != nil && e.SecretRef.Name == "logsmith-s3" {
			// Optional: with IRSA there are no keys, and a missing
			// required Secret stops the pod (CreateContainerConfigError).
			secret = e.SecretRef.Optional != nil && *e.SecretRef.Optional
		}
		if e.ConfigMapRef != nil && e.ConfigMapRef.Name == "logsmith-config" {
			config = true
		}
	}
	if !secret || !config {
		t.Errorf("%s: credentials from an optional Secret %v, settings from a ConfigMap %v", where, secret, config)
	}
	fromLimit := map[string]string{}
	for _, e := range c.Env {
		if strings.Contains(e.Name, "SECRET") || strings.Contains(e.Name, "ACCESS_KEY") {
			t.Errorf("%s: credential %s set inline", where, e.Name)
		}
		if e.ValueFrom != nil && e.ValueFrom.ResourceFieldRef != nil {
			ref := e.ValueFrom.ResourceFieldRef
			if ref.ContainerName != "" && ref.ContainerName != c.Name {
				t.Errorf("%s: %s from container %s", where, e.Name, ref.ContainerName)
			}
			if !ref.Divisor.IsZero() && ref.Divisor.Cmp(resource.MustParse("1")) != 0 {
				t.Errorf("%s: %s divisor %s: want bytes and whole CPUs", where, e.Name, ref.Divisor.String())
			}
			fromLimit[e.Name] = ref.Resource
		}
	}
	if fromLimit["GOMEMLIMIT"] != "limits.memory" {
		t.Errorf("%s: GOMEMLIMIT from %q, want the container's limits.memory", where, fromLimit["GOMEMLIMIT"])
	}
	if heavy && fromLimit["LOGSMITH_WORKERS"] != "limits.cpu" {
		// 0 workers means runtime.NumCPU(): the node's CPUs, not the limit.
		t.Errorf("%s: LOGSMITH_WORKERS from %q, want the container's limits.cpu", where, fromLimit["LOGSMITH_WORKERS"])
	}
}

func TestCronJobInvariants(t *testing.T) {
	for _, d := range []string{"daily", "overlays/local/daily", "overlays/production/daily"} {
		cj := renderCached(t, d).cronJobs[0]
		s := cj.Spec
		where := d + "/" + cj.Name
		if s.Schedule == "" || s.ConcurrencyPolicy != batchv1.ForbidConcurrent || s.StartingDeadlineSeconds == nil || *s.StartingDeadlineSeconds <= 0 {
			t.Errorf("%s: schedule %q, concurrencyPolicy %s, startingDeadlineSeconds %v", where, s.Schedule, s.ConcurrencyPolicy, s.StartingDeadlineSeconds)
		}
		if s.TimeZone == nil || (*s.TimeZone != "Etc/UTC" && *s.TimeZone != "UTC") {
			t.Errorf("%s: timeZone %v, want UTC (logsmith's dates are UTC)", where, s.TimeZone)
		}
		js := s.JobTemplate.Spec
		if js.BackoffLimit == nil || js.ActiveDeadlineSeconds == nil || js.TTLSecondsAfterFinished == nil {
			t.Errorf("%s: backoffLimit, activeDeadlineSeconds and ttlSecondsAfterFinished must be set", where)
		}
		checkFailurePolicy(t, where, js.PodFailurePolicy, wantActions(false))
		checkPod(t, where, js.Template.Spec)
		if c := js.Template.Spec.Containers[0]; !slices.Equal(c.Args, []string{"run"}) {
			t.Errorf("%s: args %v", where, c.Args)
		}
	}
}

func TestBackfillJobInvariants(t *testing.T) {
	for _, d := range []string{"backfill", "overlays/local/backfill", "overlays/production/backfill"} {
		j := renderCached(t, d).jobs[0]
		s := j.Spec
		where := d + "/" + j.Name
		if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion || s.Completions == nil ||
			s.Parallelism == nil || s.BackoffLimitPerIndex == nil || s.ActiveDeadlineSeconds == nil {
			t.Fatalf("%s: want Indexed with completions, parallelism, backoffLimitPerIndex and a deadline", where)
		}
		// The API server refuses more failed indexes than completions.
		if s.MaxFailedIndexes == nil || *s.MaxFailedIndexes > *s.Completions {
			t.Errorf("%s: maxFailedIndexes %v, completions %d", where, s.MaxFailedIndexes, *s.Completions)
		}
		checkFailurePolicy(t, where, s.PodFailurePolicy, wantActions(true))
		checkPod(t, where, s.Template.Spec)
		e := env(s.Template.Spec.Containers[0])
		if v, ok := e["LOGSMITH_PUSHGATEWAY_URL"]; !ok || v != "" {
			t.Errorf("%s: backfill pods report to the Pushgateway as mode=daily, hiding a failing daily run", where)
		}
		if e["LOGSMITH_FROM"] == "" || e["LOGSMITH_SKIP_COMMITTED"] != "true" {
			t.Errorf("%s: env %v, want LOGSMITH_FROM and LOGSMITH_SKIP_COMMITTED=true", where, e)
		}
	}
	if j := renderCached(t, "overlays/local/backfill").jobs[0]; *j.Spec.Completions != 7 {
		t.Errorf("local overlay: completions %d", *j.Spec.Completions)
	}
	if j := renderCached(t, "overlays/production/backfill").jobs[0]; j.Name == "logsmith-backfill" {
		t.Error("production backfill keeps the base Job's name: each backfill needs its own (Jobs are immutable)")
	}
}

func TestShardedInvariants(t *testing.T) {
	m := renderCached(t, "sharded").jobs[0]
	g := renderCached(t, "sharded/merge").jobs[0]
	if m.Name != "logsmith-map" || g.Name != "logsmith-merge" {
		t.Fatalf("sharded renders %s, sharded/merge %s", m.Name, g.Name)
	}
	if m.Spec.CompletionMode == nil || *m.Spec.CompletionMode != batchv1.IndexedCompletion || m.Spec.Completions == nil ||
		m.Spec.Parallelism == nil || *m.Spec.Parallelism != *m.Spec.Completions || m.Spec.BackoffLimitPerIndex == nil {
		t.Fatalf("map job: %+v", m.Spec)
	}
	checkFailurePolicy(t, "sharded/map", m.Spec.PodFailurePolicy, wantActions(false))
	checkFailurePolicy(t, "sharded/merge", g.Spec.PodFailurePolicy, wantActions(false))
	checkPod(t, "sharded/map", m.Spec.Template.Spec)
	checkPod(t, "sharded/merge", g.Spec.Template.Spec)
	me, ge := env(m.Spec.Template.Spec.Containers[0]), env(g.Spec.Template.Spec.Containers[0])
	if v, ok := me["LOGSMITH_PUSHGATEWAY_URL"]; !ok || v != "" {
		t.Error("map pods report to the Pushgateway: a shard's success would count as the day's")
	}
	if me["LOGSMITH_SHARDS"] != fmt.Sprint(*m.Spec.Completions) {
		t.Errorf("LOGSMITH_SHARDS %q, completions %d", me["LOGSMITH_SHARDS"], *m.Spec.Completions)
	}
	if me["LOGSMITH_RUN_ID"] == "" || me["LOGSMITH_RUN_ID"] != ge["LOGSMITH_RUN_ID"] || me["LOGSMITH_DATE"] != ge["LOGSMITH_DATE"] {
		t.Errorf("map and merge must share the run id and date: %v %v", me, ge)
	}
	if a := g.Spec.Template.Spec.Containers[0].Args; !slices.Equal(a, []string{"merge"}) {
		t.Errorf("merge args %v", a)
	}
}

// The production overlays pin the image by registry and digest and bind
// the IAM role; everything else is the base's.
func TestProductionOverlay(t *testing.T) {
	digest := regexp.MustCompile(`^[a-z0-9.-]+\.[a-z]+(:[0-9]+)?/[a-z0-9/._-]+@sha256:[0-9a-f]{64}$`)
	for _, d := range []string{"overlays/production/daily", "overlays/production/backfill", "overlays/production/argo"} {
		r := renderCached(t, d)
		for _, img := range images(t, r) {
			if !digest.MatchString(img) {
				t.Errorf("%s: image %s, want REGISTRY/NAME@sha256:DIGEST", d, img)
			}
		}
		var sa corev1.ServiceAccount
		for _, s := range r.serviceAccounts {
			if s.Name == "logsmith" {
				sa = s
			}
		}
		if !strings.HasPrefix(sa.Annotations["eks.amazonaws.com/role-arn"], "arn:aws:iam::") {
			t.Errorf("%s: ServiceAccount logsmith annotations %v, want the IRSA role", d, sa.Annotations)
		}
	}
	for _, d := range []string{"daily", "backfill", "sharded", "argo"} {
		for _, img := range images(t, renderCached(t, d)) {
			if img != "logsmith:v0.1.0" {
				t.Errorf("%s: image %s; the overlays set registry and digest", d, img)
			}
		}
	}
}

// images returns the image of every container the render holds, Argo
// container templates included.
func images(t *testing.T, r rendered) []string {
	t.Helper()
	var out []string
	for _, cj := range r.cronJobs {
		out = append(out, cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Image)
	}
	for _, j := range r.jobs {
		out = append(out, j.Spec.Template.Spec.Containers[0].Image)
	}
	for _, o := range r.argo {
		for _, tmpl := range decodeWorkflow(t, o).Spec.Templates {
			if tmpl.Container != nil {
				out = append(out, tmpl.Container.Image)
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: no containers", r.dir)
	}
	return out
}

// spillDir is where every logsmith pod mounts its emptyDir "spill", and
// the ConfigMap's LOGSMITH_SPILL_DIR.
const spillDir = "/var/spill"

// mountsEmptyDir says whether c mounts, at path, an emptyDir of volumes
// with a sizeLimit (a full one evicts the pod, not the node's disk).
func mountsEmptyDir(c corev1.Container, volumes []corev1.Volume, path string) bool {
	for _, m := range c.VolumeMounts {
		for _, v := range volumes {
			if v.Name == m.Name && m.MountPath == path && !m.ReadOnly && v.EmptyDir != nil && v.EmptyDir.SizeLimit != nil {
				return true
			}
		}
	}
	return false
}

// Every kustomization's pods spill their aggregate into their own emptyDir:
// the ConfigMap names the folder every container mounts (checkContainer).
func TestSpillDirIsThePodsEmptyDir(t *testing.T) {
	for _, d := range kustomizations {
		dir := d
		if d == "sharded/merge" {
			dir = "sharded"
		}
		if got := renderCached(t, dir).configMap(t, "logsmith-config").Data["LOGSMITH_SPILL_DIR"]; got != spillDir {
			t.Errorf("%s: LOGSMITH_SPILL_DIR %q, want the pods' emptyDir %s", d, got, spillDir)
		}
	}
}

// A pod's memory limit holds the binary's own estimate of a day's run
// (memcheck.Estimate, what it refuses to start beyond), even if the
// ConfigMap gains a --group-by: the cap on groups is sized to the limit.
func TestMemoryBudget(t *testing.T) {
	for _, d := range kustomizations {
		r := renderCached(t, d)
		var cm map[string]string
		if d != "sharded/merge" {
			cm = r.configMap(t, "logsmith-config").Data
		} else {
			cm = renderCached(t, "sharded").configMap(t, "logsmith-config").Data
		}
		for _, p := range workloads(t, r) {
			if !p.heavy {
				continue
			}
			checkMemory(t, d+"/"+p.name, cm, p.container)
		}
	}
}

func checkMemory(t *testing.T, where string, cm map[string]string, c corev1.Container) {
	t.Helper()
	limit := c.Resources.Limits[corev1.ResourceMemory]
	cpu := c.Resources.Limits[corev1.ResourceCPU]
	var cfg settings.Config
	if err := settings.ParseEnv(&cfg, cm); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	cfg.Workers = int(cpu.Value()) // LOGSMITH_WORKERS from limits.cpu, rounded up
	if len(cfg.GroupBy) == 0 {
		cfg.GroupBy = []string{"service"} // the worst case: someone adds one
	}
	cfg.Date = "2025-11-08"
	res, err := cfg.Resolve(time.Now())
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	e := memcheck.Estimate(&cfg, res)
	if e.Total > limit.Value() {
		t.Errorf("%s: memory limit %s is below the estimate %d MiB (%d panes × %d groups × %d B + %d MiB): raise it or lower LOGSMITH_MAX_GROUPS",
			where, limit.String(), e.Total>>20, e.Panes, e.Groups, e.PerGroup, e.Fixed>>20)
	}
	if e.Total < limit.Value()/8 {
		t.Logf("%s: memory limit %s is 8× the estimate %d MiB", where, limit.String(), e.Total>>20)
	}
}

// workload is one logsmith container as it will run: a CronJob's or Job's
// pod, or an Argo container template.
type workload struct {
	name      string
	command   string // the logsmith subcommand
	container corev1.Container
	heavy     bool // reads input: run (map) and merge
}

func workloads(t *testing.T, r rendered) []workload {
	t.Helper()
	var out []workload
	add := func(name string, c corev1.Container) {
		cmd := ""
		if len(c.Args) > 0 {
			cmd = c.Args[0]
		}
		out = append(out, workload{name: name, command: cmd, container: c, heavy: cmd == "run" || cmd == "merge"})
	}
	for _, cj := range r.cronJobs {
		add(cj.Name, cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0])
	}
	for _, j := range r.jobs {
		add(j.Name, j.Spec.Template.Spec.Containers[0])
	}
	for _, o := range r.argo {
		for _, tmpl := range decodeWorkflow(t, o).Spec.Templates {
			if tmpl.Container != nil {
				add(o.Name+"/"+tmpl.Name, *tmpl.Container)
			}
		}
	}
	return out
}

// Partials of a sharded run that is still going must not be collected by
// another run's gc: LOGSMITH_GC_GRACE outlasts every map, retries included.
func TestGCGraceOutlastsRuns(t *testing.T) {
	var cfg settings.Config
	if err := settings.ParseEnv(&cfg, renderCached(t, "daily").configMap(t, "logsmith-config").Data); err != nil {
		t.Fatal(err)
	}
	grace := cfg.GCGrace
	m := renderCached(t, "sharded").jobs[0]
	if d := time.Duration(*m.Spec.ActiveDeadlineSeconds) * time.Second; d > grace {
		t.Errorf("sharded map Job may run %v, longer than LOGSMITH_GC_GRACE %v", d, grace)
	}
	wt := argoTemplate(t)
	if d := time.Duration(*wt.Spec.ActiveDeadlineSeconds) * time.Second; d > grace {
		t.Errorf("WorkflowTemplate activeDeadlineSeconds %v is longer than LOGSMITH_GC_GRACE %v", d, grace)
	}
	// A backfill Workflow has a long deadline of its own; a date's map
	// there is bounded by its attempts.
	mp := wt.template(t, "map")
	attempts := time.Duration(mp.RetryStrategy.Limit.IntValue() + 1)
	if d := attempts * deadline(t, mp); d > grace {
		t.Errorf("an Argo map step may take %v (%d attempts), longer than LOGSMITH_GC_GRACE %v", d, attempts, grace)
	}
}

// knownEnv lists every LOGSMITH_* variable some command reads.
func knownEnv() map[string]bool {
	known := map[string]bool{}
	for _, cfg := range []any{&settings.Config{}, &settings.PlanConfig{}, &settings.BackfillConfig{}, &settings.OutputConfig{}, &settings.GenerateConfig{}} {
		for _, s := range settings.Settings(cfg) {
			known[s.Env] = true
		}
	}
	return known
}

// Every LOGSMITH_* variable the manifests set exists in the config structs,
// and each Kubernetes pod's settings pass the binary's own validation
// (Argo's steps: TestArgoStepsValidate).
func TestManifestEnvExists(t *testing.T) {
	known := knownEnv()
	var n int
	for _, d := range kustomizations {
		r := renderCached(t, d)
		configEnv := map[string]string{}
		for _, cm := range r.configMaps {
			if cm.Name == fileConfigMap {
				continue // files, not variables: TestConfigFileMounted
			}
			configEnv = cm.Data
			for k := range cm.Data {
				n++
				if !known[k] {
					t.Errorf("%s: ConfigMap %s sets %s, which logsmith does not read", d, cm.Name, k)
				}
			}
		}
		if d == "sharded/merge" {
			configEnv = renderCached(t, "sharded").configMap(t, "logsmith-config").Data
		}
		for _, p := range workloads(t, r) {
			for _, e := range p.container.Env {
				n++
				if strings.HasPrefix(e.Name, settings.EnvPrefix) && !known[e.Name] {
					t.Errorf("%s: env %s is not a logsmith setting", d, e.Name)
				}
			}
			if len(r.argo) > 0 {
				continue
			}
			vars := map[string]string{"LOGSMITH_S3_ACCESS_KEY": "k", "LOGSMITH_S3_SECRET_KEY": "s", "JOB_COMPLETION_INDEX": "0", "LOGSMITH_WORKERS": "2"}
			for k, v := range configEnv {
				vars[k] = v
			}
			for k, v := range env(p.container) {
				vars[k] = v
			}
			var cfg settings.Config
			err := settings.ParseEnv(&cfg, vars)
			if err == nil {
				err = cfg.Validate()
			}
			if err != nil {
				t.Errorf("%s/%s: the manifest's settings do not validate: %v", d, p.name, err)
			}
		}
	}
	if n < 10 {
		t.Errorf("only %d settings checked", n)
	}
}

// The alert rule file parses and alerts on no daily success in 26h.
func TestAlertRule(t *testing.T) {
	b, err := os.ReadFile("alerts/logsmith-rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Name  string `json:"name"`
			Rules []struct {
				Alert       string            `json:"alert"`
				Expr        string            `json:"expr"`
				For         string            `json:"for"`
				Labels      map[string]string `json:"labels"`
				Annotations map[string]string `json:"annotations"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := yaml.UnmarshalStrict(b, &rules); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if strings.Contains(r.Expr, "logsmith_last_success_timestamp_seconds") && strings.Contains(r.Expr, "26 * 3600") {
				found = true
			}
		}
	}
	if !found {
		t.Error("no alert on logsmith_last_success_timestamp_seconds older than 26h")
	}
}

// The Dockerfile cannot be built here (no Docker engine); its invariants are
// checked instead, and scripts/check-build.sh builds the same binary.
func TestDockerfileInvariants(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	from := regexp.MustCompile(`(?m)^FROM\s+(\S+)(\s+AS\s+(\S+))?`).FindAllStringSubmatch(df, -1)
	if len(from) < 2 {
		t.Fatalf("want a multi-stage build, found %d FROM lines", len(from))
	}
	for _, f := range from {
		img := f[1]
		if !strings.Contains(img, ":") && !strings.Contains(img, "@sha256:") || strings.HasSuffix(img, ":latest") {
			t.Errorf("base image %s is not pinned", img)
		}
	}
	// The image runs the ISA-L build (cgo, linked to libisal.so.2), which
	// needs glibc: distroless base; a pure-Go build runs on distroless
	// static. Either way non-root and without a shell.
	final := from[len(from)-1][1]
	isal := strings.Contains(df, "INFLATER=isal")
	switch {
	case isal && !(strings.HasPrefix(final, "gcr.io/distroless/base") && strings.Contains(final, "nonroot")):
		t.Errorf("final stage %s of the ISA-L build, want distroless base nonroot", final)
	case isal && !strings.Contains(df, "libisal.so.2"):
		t.Error("the ISA-L build's image lacks libisal.so.2")
	case !isal && !(strings.HasPrefix(final, "gcr.io/distroless/static") && strings.Contains(final, "nonroot")):
		t.Errorf("final stage %s, want distroless static nonroot", final)
	}
	users := regexp.MustCompile(`(?m)^USER\s+(\S+)`).FindAllStringSubmatch(df, -1)
	if len(users) == 0 || strings.HasPrefix(users[len(users)-1][1], "0") || users[len(users)-1][1] == "root" {
		t.Errorf("USER %v, want a non-root user", users)
	}
	if !strings.Contains(df, `ENTRYPOINT ["/logsmith"]`) {
		t.Error(`no ENTRYPOINT ["/logsmith"]`)
	}
	if !strings.Contains(df, "scripts/build.sh") {
		t.Error("the build stage does not use scripts/build.sh")
	}
	build, err := os.ReadFile(filepath.Join("..", "scripts", "build.sh"))
	if err != nil {
		t.Fatal(err)
	}
	// The default build is pure Go and static (cgo=0 unless INFLATER=isal).
	for _, want := range []string{"go) cgo=0", "CGO_ENABLED=$cgo", "-trimpath", "-X main.version=", "-X main.commit="} {
		if !bytes.Contains(build, []byte(want)) {
			t.Errorf("scripts/build.sh lacks %s", want)
		}
	}
	if _, err := os.Stat(filepath.Join("..", ".dockerignore")); err != nil {
		t.Error("no .dockerignore")
	}
}
