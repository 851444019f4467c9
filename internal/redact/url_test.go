package redact

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"http://tsdb:9090/api/v1/write", "http://tsdb:9090/api/v1/write"},
		{"http://alice:s3cret@tsdb/write", "http://alice:xxxxx@tsdb/write"},
		{"http://alice@tsdb/write", "http://alice@tsdb/write"},
		{"http://tsdb/write?token=abc&tenant=t1", "http://tsdb/write?token=xxxxx&tenant=t1"},
		{"http://tsdb/write?tenant=t1&API_KEY=abc", "http://tsdb/write?tenant=t1&API_KEY=xxxxx"},
		{"http://tsdb/w?X-Amz-Signature=abc&X-Amz-Date=1", "http://tsdb/w?X-Amz-Signature=xxxxx&X-Amz-Date=1"},
		{"http://tsdb/w?db_password=a&client_secret=b&authorization=c", "http://tsdb/w?db_password=xxxxx&client_secret=xxxxx&authorization=xxxxx"},
		{"http://tsdb/w?%74oken=abc", "http://tsdb/w?%74oken=xxxxx"},
		{"http://tsdb/w?token", "http://tsdb/w?token"},
		{"http://tsdb/w?b=2&a=1&b=3", "http://tsdb/w?b=2&a=1&b=3"},
		{"http://u:p@tsdb/w?token=t#frag", "http://u:xxxxx@tsdb/w?token=xxxxx#frag"},
	} {
		if got := URL(tc.in); got != tc.want {
			t.Errorf("URL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRedactUnparseableNeverEchoes(t *testing.T) {
	for _, in := range []string{"http://user:s3cret@%zz/", "http://[::1/s3cret", "\x7fs3cret"} {
		got := URL(in)
		if got != "<unparseable url>" || strings.Contains(got, "s3cret") {
			t.Errorf("URL(%q) = %q, want <unparseable url>", in, got)
		}
	}
}

func TestSecretNameAndInText(t *testing.T) {
	for name, want := range map[string]bool{"X-Api-Key": true, "Cookie": true, "Authorization": true, "X-Org": false, "tenant": false} {
		if SecretName(name) != want {
			t.Errorf("SecretName(%q) = %v", name, !want)
		}
	}
	raw := "http://u:hunter2@a/w?token=t0k"
	if got := InText("parse "+raw+": bad", raw); strings.Contains(got, "hunter2") || strings.Contains(got, "t0k") {
		t.Errorf("InText leaks: %s", got)
	}
}
