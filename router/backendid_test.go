package router

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalizeURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"http://tsdb:9090/api/v1/write", "http://tsdb:9090/api/v1/write"},
		{"HTTP://TSDB.Example:9090/api/v1/write", "http://tsdb.example:9090/api/v1/write"},
		{"http://user:pass@tsdb:9090/api/v1/write", "http://tsdb:9090/api/v1/write"},
		{"http://tsdb:80/write", "http://tsdb/write"},
		{"https://tsdb:443/write", "https://tsdb/write"},
		{"https://tsdb:80/write", "https://tsdb:80/write"},
		{"http://tsdb:443/write", "http://tsdb:443/write"},
		{"http://tsdb/write#frag", "http://tsdb/write"},
		{"http://tsdb/Write?tenant=A&b=1", "http://tsdb/Write?tenant=A&b=1"},
		{"http://tsdb/a%2Fb", "http://tsdb/a%2Fb"},
		{"http://[::1]:9090/w", "http://[::1]:9090/w"},
		{"http://[FE80::1]:80/w", "http://[fe80::1]/w"},
		{"http://tsdb", "http://tsdb"},
	} {
		got, err := NormalizeURL(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("NormalizeURL(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestBackendIDErrors(t *testing.T) {
	for _, in := range []string{
		"", "tsdb:9090", "/api/v1/write", "ftp://tsdb/write", "http://", "http:///write",
		"http://:9090/write", "mailto:x@y", "http://a b/", "http://user:s3cret@%zz/",
	} {
		_, err := BackendID(in)
		if !errors.Is(err, ErrBadURL) {
			t.Errorf("BackendID(%q) err = %v, want ErrBadURL", in, err)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error leaks the password: %v", err)
		}
	}
}

func TestBackendIDStableAndCredentialFree(t *testing.T) {
	same := []string{
		"http://tsdb.example:9090/api/v1/write",
		"HTTP://TSDB.EXAMPLE:9090/api/v1/write",
		"http://alice:secret@tsdb.example:9090/api/v1/write",
		"http://bob@tsdb.example:9090/api/v1/write#x",
	}
	first, err := BackendID(same[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 16 || strings.Trim(first, "0123456789abcdef") != "" {
		t.Fatalf("id %q is not 16 lowercase hex characters", first)
	}
	for _, u := range same[1:] {
		if id, _ := BackendID(u); id != first {
			t.Errorf("BackendID(%q) = %s, want %s", u, id, first)
		}
	}
	for _, u := range []string{
		"https://tsdb.example:9090/api/v1/write",
		"http://tsdb.example:9091/api/v1/write",
		"http://tsdb.example:9090/api/v1/Write",
		"http://tsdb.example:9090/api/v1/write?tenant=a",
	} {
		if id, _ := BackendID(u); id == first {
			t.Errorf("BackendID(%q) collides with %q", u, same[0])
		}
	}
}
