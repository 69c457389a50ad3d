package k8s

import (
	"os"
	"path"
	"path/filepath"
	"testing"

	"github.com/logsmith/logsmith/job/settings"
	corev1 "k8s.io/api/core/v1"
)

// fileConfigMap is the ConfigMap holding the config file, which pods mount
// rather than read as variables.
const fileConfigMap = "logsmith-file"

// The kustomize bases carry a config file: LOGSMITH_CONFIG in the shared
// ConfigMap names a file that every logsmith container mounts, read-only,
// from a ConfigMap of the same kustomization (sharded/merge: of sharded,
// applied with it); the file decodes strictly (settings.ReadConfigFile: an
// unknown key is refused) and, under the pod's variables, gives settings
// that validate. A container that reads LOGSMITH_CONFIG without the mount
// would stop with exit 2 at start.
func TestConfigFileMounted(t *testing.T) {
	for _, d := range kustomizations {
		r := renderCached(t, d)
		withMaps := r
		if d == "sharded/merge" {
			withMaps = renderCached(t, "sharded")
		}
		data := withMaps.configMap(t, "logsmith-config").Data
		file := data[settings.EnvPrefix+"CONFIG"]
		if file == "" {
			t.Errorf("%s: ConfigMap logsmith-config sets no LOGSMITH_CONFIG: the pods read no config file", d)
			continue
		}
		ws := workloads(t, r)
		if len(ws) == 0 {
			t.Fatalf("%s: no logsmith container", d)
		}
		for _, w := range ws {
			where := d + "/" + w.name
			volumes := podVolumes(t, r, w.name)
			body, ok := mountedFile(t, where, w.container, volumes, withMaps.configMaps, file)
			if !ok {
				continue
			}
			tmp := filepath.Join(t.TempDir(), path.Base(file))
			if err := os.WriteFile(tmp, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := settings.ReadConfigFile(tmp)
			if err != nil {
				t.Errorf("%s: the mounted %s: %v", where, file, err)
				continue
			}
			if len(f.Values) == 0 {
				t.Errorf("%s: the mounted %s sets nothing", where, file)
			}
			if w.command != "run" && w.command != "merge" {
				continue
			}
			vars := map[string]string{"LOGSMITH_S3_ACCESS_KEY": "k", "LOGSMITH_S3_SECRET_KEY": "s", "JOB_COMPLETION_INDEX": "0", "LOGSMITH_WORKERS": "2"}
			for k, v := range data {
				vars[k] = v
			}
			for k, v := range env(w.container) {
				vars[k] = v
			}
			var cfg settings.Config
			err = settings.ParseEnv(&cfg, f.Under(vars))
			if err == nil {
				err = cfg.Validate()
			}
			if err != nil {
				t.Errorf("%s: the settings with the config file do not validate: %v", where, err)
			}
		}
	}
}

// podVolumes returns the volumes of the pod running workload name: a
// CronJob's or Job's pod, or an Argo workflow's.
func podVolumes(t *testing.T, r rendered, name string) []corev1.Volume {
	t.Helper()
	for _, cj := range r.cronJobs {
		if cj.Name == name {
			return cj.Spec.JobTemplate.Spec.Template.Spec.Volumes
		}
	}
	for _, j := range r.jobs {
		if j.Name == name {
			return j.Spec.Template.Spec.Volumes
		}
	}
	for _, o := range r.argo {
		if dir, _ := path.Split(name); dir == o.Name+"/" {
			return decodeWorkflow(t, o).Spec.Volumes
		}
	}
	t.Fatalf("no pod for %s", name)
	return nil
}

// mountedFile returns the content c sees at file: a read-only mount of a
// ConfigMap volume whose key is the file's name.
func mountedFile(t *testing.T, where string, c corev1.Container, volumes []corev1.Volume, maps []corev1.ConfigMap, file string) (string, bool) {
	t.Helper()
	dir, base := path.Split(file)
	for _, m := range c.VolumeMounts {
		if path.Clean(m.MountPath) != path.Clean(dir) || m.SubPath != "" {
			continue
		}
		if !m.ReadOnly {
			t.Errorf("%s: %s mounted writable", where, m.MountPath)
		}
		for _, v := range volumes {
			if v.Name != m.Name || v.ConfigMap == nil {
				continue
			}
			if len(v.ConfigMap.Items) > 0 || (v.ConfigMap.Optional != nil && *v.ConfigMap.Optional) {
				t.Errorf("%s: volume %s selects items or is optional: the file may be missing", where, v.Name)
			}
			for _, cm := range maps {
				if cm.Name == v.ConfigMap.Name {
					if body, ok := cm.Data[base]; ok {
						return body, true
					}
					t.Errorf("%s: ConfigMap %s has no key %s", where, cm.Name, base)
					return "", false
				}
			}
			t.Errorf("%s: volume %s names ConfigMap %s, which the kustomization does not make", where, v.Name, v.ConfigMap.Name)
			return "", false
		}
	}
	t.Errorf("%s: LOGSMITH_CONFIG is %s, but no ConfigMap is mounted at %s", where, file, dir)
	return "", false
}
