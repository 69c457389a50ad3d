package k8s

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/logsmith/logsmith/job"
)

// rendered holds the objects of one kustomization, strictly decoded.
type rendered struct {
	configMaps []corev1.ConfigMap
	cronJobs   []batchv1.CronJob
	jobs       []batchv1.Job
}

// render runs kustomize on dir and decodes every object into its API type,
// rejecting unknown fields.
func render(t *testing.T, dir string) rendered {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	res, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	var r rendered
	for _, obj := range res.Resources() {
		b, err := obj.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		var into any
		switch obj.GetKind() {
		case "ConfigMap":
			r.configMaps = append(r.configMaps, corev1.ConfigMap{})
			into = &r.configMaps[len(r.configMaps)-1]
		case "CronJob":
			r.cronJobs = append(r.cronJobs, batchv1.CronJob{})
			into = &r.cronJobs[len(r.cronJobs)-1]
		case "Job":
			r.jobs = append(r.jobs, batchv1.Job{})
			into = &r.jobs[len(r.jobs)-1]
		default:
			t.Fatalf("%s: unexpected kind %s", dir, obj.GetKind())
		}
		if err := yaml.UnmarshalStrict(b, into); err != nil {
			t.Fatalf("%s: %s %s does not decode strictly: %v", dir, obj.GetKind(), obj.GetName(), err)
		}
	}
	return r
}

var dirs = []string{"base", "overlays/local", "sharded"}

func TestManifestsDecodeStrictly(t *testing.T) {
	for _, d := range dirs {
		r := render(t, d)
		if want := map[bool]int{true: 3, false: 1}[d == "sharded"]; len(r.cronJobs) != 1 || len(r.jobs) != want || len(r.configMaps) != 1 {
			t.Errorf("%s: %d cronjobs, %d jobs, %d configmaps", d, len(r.cronJobs), len(r.jobs), len(r.configMaps))
		}
	}
}

func checkPod(t *testing.T, where string, spec corev1.PodSpec) {
	t.Helper()
	if spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("%s: restartPolicy %s", where, spec.RestartPolicy)
	}
	if spec.TerminationGracePeriodSeconds == nil || *spec.TerminationGracePeriodSeconds < 10 {
		t.Errorf("%s: terminationGracePeriodSeconds unset", where)
	}
	psc := spec.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod securityContext %+v", where, psc)
	}
	if len(spec.Containers) != 1 {
		t.Fatalf("%s: %d containers", where, len(spec.Containers))
	}
	c := spec.Containers[0]
	if c.Name != "logsmith" || !strings.Contains(c.Image, ":") || strings.HasSuffix(c.Image, ":latest") {
		t.Errorf("%s: container %s image %s (want a pinned tag)", where, c.Name, c.Image)
	}
	for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if _, ok := c.Resources.Requests[res]; !ok {
			t.Errorf("%s: no %s request", where, res)
		}
		if _, ok := c.Resources.Limits[res]; !ok {
			t.Errorf("%s: no %s limit", where, res)
		}
	}
	sc := c.SecurityContext
	if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		t.Errorf("%s: container securityContext %+v", where, sc)
	}
	tmp := false
	for _, m := range c.VolumeMounts {
		for _, v := range spec.Volumes {
			if v.Name == m.Name && m.MountPath == "/tmp" && v.EmptyDir != nil {
				tmp = true
			}
		}
	}
	if !tmp {
		t.Errorf("%s: no emptyDir at /tmp for the read-only root", where)
	}
	secret, config := false, false
	for _, e := range c.EnvFrom {
		if e.SecretRef != nil && e.SecretRef.Name == "logsmith-s3" {
			secret = true
		}
		if e.ConfigMapRef != nil && e.ConfigMapRef.Name == "logsmith-config" {
			config = true
		}
	}
	if !secret || !config {
		t.Errorf("%s: credentials from a Secret %v, settings from a ConfigMap %v", where, secret, config)
	}
	for _, e := range c.Env {
		if strings.Contains(e.Name, "SECRET") || strings.Contains(e.Name, "ACCESS_KEY") {
			t.Errorf("%s: credential %s set inline", where, e.Name)
		}
	}
}

// nonRetriable are the exit codes a retry cannot fix.
var nonRetriable = []int32{job.ExitConfig, job.ExitBadData, job.ExitAccess}

func checkFailurePolicy(t *testing.T, where string, p *batchv1.PodFailurePolicy, action batchv1.PodFailurePolicyAction) {
	t.Helper()
	if p == nil {
		t.Fatalf("%s: no podFailurePolicy", where)
	}
	var codes bool
	var disruption bool
	for _, r := range p.Rules {
		if r.OnExitCodes != nil && r.Action == action {
			got := slices.Sorted(slices.Values(r.OnExitCodes.Values))
			if r.OnExitCodes.Operator != batchv1.PodFailurePolicyOnExitCodesOpIn || !slices.Equal(got, nonRetriable) {
				t.Errorf("%s: %s on exit codes %v, want In %v (the binary's config, bad-data and access codes)", where, action, got, nonRetriable)
			}
			codes = true
		}
		for _, c := range r.OnPodConditions {
			if c.Type == corev1.DisruptionTarget && r.Action == batchv1.PodFailurePolicyActionIgnore {
				disruption = true
			}
		}
	}
	if !codes || !disruption {
		t.Errorf("%s: podFailurePolicy exit-code rule %v, ignores disruptions %v", where, codes, disruption)
	}
}

func TestCronJobInvariants(t *testing.T) {
	for _, d := range []string{"base", "overlays/local"} {
		cj := render(t, d).cronJobs[0]
		s := cj.Spec
		where := d + "/" + cj.Name
		if s.Schedule == "" || s.ConcurrencyPolicy != batchv1.ForbidConcurrent || s.StartingDeadlineSeconds == nil {
			t.Errorf("%s: schedule %q, concurrencyPolicy %s, startingDeadlineSeconds %v", where, s.Schedule, s.ConcurrencyPolicy, s.StartingDeadlineSeconds)
		}
		js := s.JobTemplate.Spec
		if js.BackoffLimit == nil || js.ActiveDeadlineSeconds == nil || js.TTLSecondsAfterFinished == nil {
			t.Errorf("%s: backoffLimit, activeDeadlineSeconds and ttlSecondsAfterFinished must be set", where)
		}
		checkFailurePolicy(t, where, js.PodFailurePolicy, batchv1.PodFailurePolicyActionFailJob)
		checkPod(t, where, js.Template.Spec)
		if c := js.Template.Spec.Containers[0]; !slices.Equal(c.Args, []string{"run"}) {
			t.Errorf("%s: args %v", where, c.Args)
		}
	}
}

func TestBackfillJobInvariants(t *testing.T) {
	for _, d := range []string{"base", "overlays/local"} {
		j := render(t, d).jobs[0]
		s := j.Spec
		where := d + "/" + j.Name
		if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion || s.Completions == nil ||
			s.Parallelism == nil || s.BackoffLimitPerIndex == nil {
			t.Errorf("%s: want Indexed with completions, parallelism and backoffLimitPerIndex", where)
		}
		checkFailurePolicy(t, where, s.PodFailurePolicy, batchv1.PodFailurePolicyActionFailIndex)
		checkPod(t, where, s.Template.Spec)
		env := map[string]string{}
		for _, e := range s.Template.Spec.Containers[0].Env {
			env[e.Name] = e.Value
		}
		if env["LOGSMITH_FROM"] == "" || env["LOGSMITH_SKIP_COMMITTED"] != "true" {
			t.Errorf("%s: env %v, want LOGSMITH_FROM and LOGSMITH_SKIP_COMMITTED=true", where, env)
		}
	}
	if j := render(t, "overlays/local").jobs[0]; *j.Spec.Completions != 7 || j.Namespace != "logsmith" {
		t.Errorf("local overlay: completions %d namespace %q", *j.Spec.Completions, j.Namespace)
	}
}

func TestShardedInvariants(t *testing.T) {
	r := render(t, "sharded")
	jobs := map[string]batchv1.Job{}
	for _, j := range r.jobs {
		jobs[j.Name] = j
	}
	m, g := jobs["logsmith-map"], jobs["logsmith-merge"]
	if m.Spec.CompletionMode == nil || *m.Spec.CompletionMode != batchv1.IndexedCompletion || m.Spec.Completions == nil || m.Spec.BackoffLimitPerIndex == nil {
		t.Fatalf("map job: %+v", m.Spec)
	}
	checkFailurePolicy(t, "sharded/map", m.Spec.PodFailurePolicy, batchv1.PodFailurePolicyActionFailIndex)
	checkFailurePolicy(t, "sharded/merge", g.Spec.PodFailurePolicy, batchv1.PodFailurePolicyActionFailJob)
	checkPod(t, "sharded/map", m.Spec.Template.Spec)
	checkPod(t, "sharded/merge", g.Spec.Template.Spec)
	env := func(j batchv1.Job) map[string]string {
		e := map[string]string{}
		for _, v := range j.Spec.Template.Spec.Containers[0].Env {
			e[v.Name] = v.Value
		}
		return e
	}
	me, ge := env(m), env(g)
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

// knownEnv lists every LOGSMITH_* variable some command reads.
func knownEnv() map[string]bool {
	known := map[string]bool{}
	for _, cfg := range []any{&job.Config{}, &job.BackfillConfig{}, &job.OutputConfig{}, &job.GenerateConfig{}} {
		for _, s := range job.Settings(cfg) {
			known[s.Env] = true
		}
	}
	return known
}

// Every LOGSMITH_* variable the manifests set exists in the config structs,
// and each manifest's settings pass the binary's own validation.
func TestManifestEnvExists(t *testing.T) {
	known := knownEnv()
	var n int
	for _, d := range dirs {
		r := render(t, d)
		var configEnv map[string]string
		for _, cm := range r.configMaps {
			configEnv = cm.Data
			for k := range cm.Data {
				n++
				if !known[k] {
					t.Errorf("%s: ConfigMap %s sets %s, which logsmith does not read", d, cm.Name, k)
				}
			}
		}
		var pods []corev1.PodSpec
		for _, cj := range r.cronJobs {
			pods = append(pods, cj.Spec.JobTemplate.Spec.Template.Spec)
		}
		for _, j := range r.jobs {
			pods = append(pods, j.Spec.Template.Spec)
		}
		for _, p := range pods {
			env := map[string]string{"LOGSMITH_S3_ACCESS_KEY": "k", "LOGSMITH_S3_SECRET_KEY": "s", "JOB_COMPLETION_INDEX": "0"}
			for k, v := range configEnv {
				env[k] = v
			}
			for _, e := range p.Containers[0].Env {
				n++
				if strings.HasPrefix(e.Name, job.EnvPrefix) && !known[e.Name] {
					t.Errorf("%s: env %s is not a logsmith setting", d, e.Name)
				}
				env[e.Name] = e.Value
			}
			if len(p.Containers[0].Args) == 0 || (p.Containers[0].Args[0] != "run" && p.Containers[0].Args[0] != "merge") {
				continue
			}
			var cfg job.Config
			err := job.ParseEnv(&cfg, env)
			if err == nil {
				err = cfg.Validate()
			}
			if err != nil {
				t.Errorf("%s: the manifest's settings do not validate: %v", d, err)
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
	final := from[len(from)-1][1]
	if !strings.HasPrefix(final, "gcr.io/distroless/static") || !strings.Contains(final, "nonroot") {
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
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-X main.version=", "-X main.commit="} {
		if !bytes.Contains(build, []byte(want)) {
			t.Errorf("scripts/build.sh lacks %s", want)
		}
	}
	if _, err := os.Stat(filepath.Join("..", ".dockerignore")); err != nil {
		t.Error("no .dockerignore")
	}
}
