package e2e

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/prws/prws/internal/testenv"
)

// writeWebConfig writes an exporter-toolkit web config and returns its path.
func writeWebConfig(t *testing.T, dir, text string) string {
	t.Helper()
	p := filepath.Join(dir, "web.yml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestWebConfigBasicAuth: with a bcrypt'd user in --web.config.file,
// writes, /metrics and the admin API need the password.
func TestWebConfigBasicAuth(t *testing.T) {
	be := newHdrBackend(t)
	dir := t.TempDir()
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret-pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	cfg := fastConfig(dir)
	cfg.Backends = []string{be.URL()}
	cfg.WebConfigFile = writeWebConfig(t, dir, "basic_auth_users:\n  alice: "+string(hash)+"\n")
	in := start(t, cfg)
	body := encode(t, testenv.NodeSeries(0, 10, 1000))
	if code, _ := post(t, in.url, body, nil); code != http.StatusUnauthorized {
		t.Errorf("unauthenticated write: %d, want 401", code)
	}
	auth := map[string]string{"Authorization": "Basic YWxpY2U6czNjcmV0LXB3"} // alice:s3cret-pw
	if code, msg := post(t, in.url, body, auth); code != http.StatusNoContent {
		t.Errorf("authenticated write: %d %s, want 204", code, msg)
	}
	for _, path := range []string{"/metrics", "/api/v1/queues", "/-/ready"} {
		if code, _ := request(t, http.MethodGet, in.base+path, nil, nil); code != http.StatusUnauthorized {
			t.Errorf("unauthenticated GET %s: %d, want 401", path, code)
		}
	}
	testenv.Eventually(t, 10*time.Second, "delivery", func() bool { return be.SampleCount() == 10 })
}

// TestWebConfigTLS: with a certificate in --web.config.file the daemon
// serves HTTPS only.
func TestWebConfigTLS(t *testing.T) {
	be := newHdrBackend(t)
	dir := t.TempDir()
	certPEM := selfSigned(t, dir)
	cfg := fastConfig(dir)
	cfg.Backends = []string{be.URL()}
	cfg.WebConfigFile = writeWebConfig(t, dir, "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n")
	in := start(t, cfg)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	url := "https://" + in.base[len("http://"):] + cfg.RemotePath
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(encode(t, testenv.NodeSeries(0, 10, 1000))))
	req.Header.Set("Content-Encoding", "snappy")
	req.Header.Set("Content-Type", "application/x-protobuf")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("HTTPS write: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("HTTPS write: %d", resp.StatusCode)
	}
	if code, _ := post(t, in.url, encode(t, testenv.NodeSeries(0, 1, 1)), nil); code == http.StatusNoContent {
		t.Error("plain HTTP write accepted on a TLS listener")
	}
	testenv.Eventually(t, 10*time.Second, "delivery", func() bool { return be.SampleCount() == 10 })
}

// selfSigned writes cert.pem and key.pem for 127.0.0.1 into dir and
// returns the certificate PEM.
func selfSigned(t *testing.T, dir string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "prws-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return certPEM
}
