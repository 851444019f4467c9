package kubernetes

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

// objects are the decoded manifests, by kind (one of each but Service).
type objects struct {
	configMap   corev1.ConfigMap
	services    []corev1.Service
	statefulSet appsv1.StatefulSet
	pdb         policyv1.PodDisruptionBudget
	monitor     monitoringv1.ServiceMonitor
	rule        monitoringv1.PrometheusRule
}

// decode strictly decodes every document of the files into objects.
func decode(t *testing.T, files ...string) objects {
	t.Helper()
	var o objects
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range strings.Split(string(b), "\n---\n") {
			var meta struct{ APIVersion, Kind string }
			if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
				t.Fatalf("%s document %d: %v", f, i, err)
			}
			var into any
			switch meta.APIVersion + " " + meta.Kind {
			case "v1 ConfigMap":
				into = &o.configMap
			case "v1 Service":
				o.services = append(o.services, corev1.Service{})
				into = &o.services[len(o.services)-1]
			case "apps/v1 StatefulSet":
				into = &o.statefulSet
			case "policy/v1 PodDisruptionBudget":
				into = &o.pdb
			case "monitoring.coreos.com/v1 ServiceMonitor":
				into = &o.monitor
			case "monitoring.coreos.com/v1 PrometheusRule":
				into = &o.rule
			default:
				t.Fatalf("%s document %d: unexpected %s %s", f, i, meta.APIVersion, meta.Kind)
			}
			if err := yaml.UnmarshalStrict([]byte(doc), into); err != nil {
				t.Fatalf("%s document %d (%s): %v", f, i, meta.Kind, err)
			}
		}
	}
	return o
}

func manifests(t *testing.T) objects {
	return decode(t, "prws.yaml", "prometheusrule.yaml")
}

// flags returns the container's --name=value arguments.
func flags(c corev1.Container) map[string]string {
	out := map[string]string{}
	for _, a := range c.Args {
		name, value, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		out[name] = value
	}
	return out
}

func TestStatefulSetKeepsEachReplicasQueue(t *testing.T) {
	o := manifests(t)
	ss := o.statefulSet
	if ss.Spec.Replicas == nil || *ss.Spec.Replicas < 2 {
		t.Error("fewer than 2 replicas")
	}
	if len(ss.Spec.VolumeClaimTemplates) != 1 || ss.Spec.VolumeClaimTemplates[0].Name != "data" ||
		ss.Spec.VolumeClaimTemplates[0].Spec.AccessModes[0] != corev1.ReadWriteOnce {
		t.Fatalf("want one ReadWriteOnce claim template named data: %+v", ss.Spec.VolumeClaimTemplates)
	}
	if p := ss.Spec.PersistentVolumeClaimRetentionPolicy; p == nil ||
		p.WhenDeleted != appsv1.RetainPersistentVolumeClaimRetentionPolicyType || p.WhenScaled != appsv1.RetainPersistentVolumeClaimRetentionPolicyType {
		t.Error("volumes must be retained when scaled down or deleted: they hold undelivered data")
	}
	c := ss.Spec.Template.Spec.Containers[0]
	f := flags(c)
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		mounts[m.Name] = m.MountPath
	}
	if mounts["data"] != f["data-dir"] {
		t.Errorf("--data-dir %q is not where the claim is mounted (%q)", f["data-dir"], mounts["data"])
	}
	if filepath.Dir(f["config.file"]) != mounts["config"] {
		t.Errorf("--config.file %q is not in the ConfigMap mount %q", f["config.file"], mounts["config"])
	}
	if _, ok := o.configMap.Data[filepath.Base(f["config.file"])]; !ok {
		t.Errorf("ConfigMap %s has no key %s", o.configMap.Name, filepath.Base(f["config.file"]))
	}
	for _, v := range ss.Spec.Template.Spec.Volumes {
		if v.ConfigMap != nil && v.ConfigMap.Name != o.configMap.Name {
			t.Errorf("volume %s names ConfigMap %s, not %s", v.Name, v.ConfigMap.Name, o.configMap.Name)
		}
	}
	if ss.Spec.ServiceName == "" || findService(o, ss.Spec.ServiceName).Spec.ClusterIP != corev1.ClusterIPNone {
		t.Errorf("serviceName %q is not a headless Service of the manifests", ss.Spec.ServiceName)
	}
	if f["config.auto-reload-interval"] == "" {
		t.Error("the ConfigMap is not re-read: no --config.auto-reload-interval")
	}
}

func TestProbesAndShutdownTiming(t *testing.T) {
	ss := manifests(t).statefulSet
	c := ss.Spec.Template.Spec.Containers[0]
	for name, p := range map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe, "startup": c.StartupProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Port.String() != "http" {
			t.Fatalf("%s probe: want an HTTP GET on the http port: %+v", name, p)
		}
	}
	if c.ReadinessProbe.HTTPGet.Path != "/-/ready" || c.LivenessProbe.HTTPGet.Path != "/-/healthy" {
		t.Errorf("readiness on %s, liveness on %s", c.ReadinessProbe.HTTPGet.Path, c.LivenessProbe.HTTPGet.Path)
	}
	var preStop time.Duration
	if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Sleep != nil {
		preStop = time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
	}
	delay, err := time.ParseDuration(flags(c)["shutdown-delay"])
	if err != nil || delay <= 0 {
		t.Fatalf("--shutdown-delay %q: %v", flags(c)["shutdown-delay"], err)
	}
	// prws bounds its own shutdown after the delay to 30 s (main.shutdownGrace).
	need := preStop + delay + 30*time.Second
	grace := time.Duration(*ss.Spec.Template.Spec.TerminationGracePeriodSeconds) * time.Second
	if grace < need {
		t.Errorf("terminationGracePeriodSeconds %v < preStop %v + --shutdown-delay %v + 30s drain", grace, preStop, delay)
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Error("resource requests (cpu, memory) and a memory limit are needed")
	}
	if !c.Resources.Limits.Cpu().IsZero() {
		t.Error("a CPU limit throttles the fsyncs every acknowledgement waits for")
	}
}

func TestSelectorsAndPortsMatch(t *testing.T) {
	o := manifests(t)
	pod := labels.Set(o.statefulSet.Spec.Template.Labels)
	ports := map[string]bool{}
	for _, p := range o.statefulSet.Spec.Template.Spec.Containers[0].Ports {
		ports[p.Name] = true
	}
	for _, s := range o.services {
		if !labels.SelectorFromSet(s.Spec.Selector).Matches(pod) {
			t.Errorf("Service %s does not select the pods", s.Name)
		}
		for _, p := range s.Spec.Ports {
			if !ports[p.TargetPort.String()] {
				t.Errorf("Service %s targets port %s, which the container does not name", s.Name, p.TargetPort.String())
			}
		}
	}
	for name, sel := range map[string]map[string]string{
		"StatefulSet": o.statefulSet.Spec.Selector.MatchLabels, "PodDisruptionBudget": o.pdb.Spec.Selector.MatchLabels,
	} {
		if !labels.SelectorFromSet(sel).Matches(pod) {
			t.Errorf("%s selector does not match the pod labels", name)
		}
	}
	if o.pdb.Spec.MaxUnavailable == nil && o.pdb.Spec.MinAvailable == nil {
		t.Error("PodDisruptionBudget sets no bound")
	}
	var scraped []string
	for _, s := range o.services {
		if labels.SelectorFromSet(o.monitor.Spec.Selector.MatchLabels).Matches(labels.Set(s.Labels)) {
			scraped = append(scraped, s.Name)
			for _, e := range o.monitor.Spec.Endpoints {
				if !servicePort(s, e.Port) {
					t.Errorf("ServiceMonitor endpoint port %s is not a port of Service %s", e.Port, s.Name)
				}
			}
		}
	}
	if len(scraped) != 1 || !strings.HasPrefix(scraped[0], "prws") {
		t.Errorf("ServiceMonitor selects services %v; want exactly one, named prws… (the alerts match job=~\"prws.*\")", scraped)
	}
}

// TestPrometheusRuleCarriesTheAlerts: prometheusrule.yaml holds exactly
// the groups of deploy/prometheus/prws-rules.yml (make k8s-rules).
func TestPrometheusRuleCarriesTheAlerts(t *testing.T) {
	o := manifests(t)
	b, err := os.ReadFile("../prometheus/prws-rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	var file monitoringv1.PrometheusRuleSpec
	if err := yaml.UnmarshalStrict(b, &file); err != nil {
		t.Fatalf("prws-rules.yml as a PrometheusRule spec: %v", err)
	}
	if len(file.Groups) == 0 || !reflect.DeepEqual(file, o.rule.Spec) {
		t.Error("prometheusrule.yaml differs from deploy/prometheus/prws-rules.yml: run make k8s-rules")
	}
}

// TestPrwsStartsWithTheseArguments runs the prws binary with the
// StatefulSet's arguments and the ConfigMap's file (paths moved to a
// temporary directory) until it reports ready.
func TestPrwsStartsWithTheseArguments(t *testing.T) {
	o := manifests(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "prws")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building prws: %v\n%s", err, out)
	}
	c := o.statefulSet.Spec.Template.Spec.Containers[0]
	f := flags(c)
	conf := filepath.Join(dir, filepath.Base(f["config.file"]))
	os.WriteFile(conf, []byte(o.configMap.Data[filepath.Base(f["config.file"])]), 0o600)
	var args []string
	for _, a := range c.Args {
		switch {
		case strings.HasPrefix(a, "--config.file="):
			a = "--config.file=" + conf
		case strings.HasPrefix(a, "--data-dir="):
			a = "--data-dir=" + filepath.Join(dir, "data")
		}
		args = append(args, a)
	}
	args = append(args, "--listen=127.0.0.1:0")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	var log bytes.Buffer
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		fmt.Fprintln(&log, sc.Text())
		if strings.Contains(sc.Text(), "prws started") {
			return
		}
	}
	t.Fatalf("prws %s did not start:\n%s", strings.Join(args, " "), log.String())
}

func findService(o objects, name string) corev1.Service {
	for _, s := range o.services {
		if s.Name == name {
			return s
		}
	}
	return corev1.Service{}
}

func servicePort(s corev1.Service, name string) bool {
	for _, p := range s.Spec.Ports {
		if p.Name == name {
			return true
		}
	}
	return false
}
