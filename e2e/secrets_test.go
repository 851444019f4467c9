package e2e

import (
	"encoding/base64"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prws/prws/internal/testenv"
)

// TestSecretsNeverShown configures backends with a URL password, a secret
// query parameter, a basic-auth password file and bearer credentials,
// makes every backend fail with a body that echoes the request headers,
// and checks that none of the secrets appears in the log, /metrics, the
// admin API, `prws queues` or a rejected reload's answer.
func TestSecretsNeverShown(t *testing.T) {
	a, b, c := newHdrBackend(t), newHdrBackend(t), newHdrBackend(t)
	for _, be := range []*testenv.Backend{a, b, c} {
		be.Set(echoFail(http.StatusInternalServerError))
	}
	dir := t.TempDir()
	secrets := []string{"hunter2", "s3cr3t", "pw-from-file-42", "bearer-t0ken-xyz",
		base64.StdEncoding.EncodeToString([]byte("user:hunter2")),
		base64.StdEncoding.EncodeToString([]byte("bob:pw-from-file-42"))}
	if err := os.WriteFile(filepath.Join(dir, "pw"), []byte("pw-from-file-42\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	withSecrets := strings.Replace(a.URL(), "http://", "http://user:hunter2@", 1) + "?token=s3cr3t"
	file := writeYAML(t, dir, "backends:\n"+
		"  - url: '"+b.URL()+"'\n    basic_auth: {username: bob, password_file: pw}\n"+
		"  - url: '"+c.URL()+"'\n    authorization: {credentials: bearer-t0ken-xyz}\n")
	listen := testenv.FreeAddr(t)
	p := startBinary(t, listen, "--promes", withSecrets, "--config.file", file, "--watchdog",
		"--watchdog_interval", "50ms", "--data-dir", filepath.Join(dir, "data"), "--log.level", "debug",
		"--remote_write_min_wait", "5ms", "--remote_write_max_wait", "50ms", "--web.enable-lifecycle")
	if code, msg := post(t, p.url, encode(t, testenv.NodeSeries(0, 300, 1000)), nil); code != http.StatusNoContent {
		t.Fatalf("write: %d %s", code, msg)
	}
	testenv.Eventually(t, 10*time.Second, "failed sends to every backend", func() bool {
		return a.Requests() > 3 && b.Requests() > 3 && c.Requests() > 3
	})
	if got := c.LastHeader("Authorization"); got != "Bearer bearer-t0ken-xyz" {
		t.Errorf("backend c got Authorization %q", got)
	}
	if _, _, ok := basicAuthOf(b.LastHeader("Authorization")); !ok {
		t.Error("backend b got no basic auth")
	}
	base := "http://" + listen
	var out strings.Builder
	for _, path := range []string{"/metrics", "/api/v1/queues", "/api/v1/status", "/api/v1/ring"} {
		out.WriteString(httpGet(t, base+path))
	}
	writeYAML(t, dir, "backends: [{url: 'http://u:hunter2@x/w?token=s3cr3t', basic_auth: {username: u, password: hunter2}, authorization: {credentials: c}}]\n")
	req, _ := http.NewRequest(http.MethodPost, base+"/-/reload", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		out.Write(body)
	}
	bin, _ := testenv.BuildPrws()
	cli, err := exec.Command(bin, "queues", "--url", base).CombinedOutput()
	if err != nil {
		t.Fatalf("prws queues: %v\n%s", err, cli)
	}
	out.Write(cli)
	if !strings.Contains(string(cli), "500") {
		t.Errorf("prws queues shows no backend error:\n%s", cli)
	}
	p.term(t)
	out.WriteString(p.Log.String())
	if !strings.Contains(p.Log.String(), "<secret>") {
		t.Error("no scrubbed value in the log: the echoed headers were never logged, so the test proves nothing")
	}
	for _, s := range secrets {
		if i := strings.Index(out.String(), s); i >= 0 {
			t.Errorf("secret %q found: ...%s...", s, out.String()[max(0, i-200):min(out.Len(), i+100)])
		}
	}
}

func basicAuthOf(h string) (string, string, bool) {
	r := &http.Request{Header: http.Header{"Authorization": {h}}}
	return r.BasicAuth()
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
