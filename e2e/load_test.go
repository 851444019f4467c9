package e2e

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/internal/testenv"
)

// encode builds a snappy-compressed remote-write 1.0 body.
func encode(t testing.TB, ts []prompb.TimeSeries) []byte {
	t.Helper()
	body, err := testenv.EncodeWrite(ts)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// post sends one remote-write request and returns the status and body.
func post(t testing.TB, url string, body []byte, hdr map[string]string) (int, string) {
	t.Helper()
	return testenv.PostWrite(http.DefaultClient, url, body, hdr)
}

// seriesName is the key union uses for series number i.
func seriesName(i int) string { return fmt.Sprint(i) }

// seriesNumber extracts the "series" label of a recorded series key.
func seriesNumber(key string) int {
	i := strings.Index(key, `series="`)
	if i < 0 {
		return -1
	}
	rest := key[i+len(`series="`):]
	n, _ := strconv.Atoi(rest[:strings.IndexByte(rest, '"')])
	return n
}
