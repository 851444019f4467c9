package main

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// commitsMetric counts prws' group commits (one write + fsync each).
const commitsMetric = "prws_queue_commit_duration_seconds_count"

// metricsURL is the /metrics URL of a relay whose remote-write URL is u.
func metricsURL(u string) string {
	return strings.TrimSuffix(u, "/api/v1/write") + "/metrics"
}

// scrapeSum returns the sum of every sample of metric name at url; -1
// when it cannot be read (vmagent, or the relay is gone).
func scrapeSum(url, name string) float64 {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	found, sum := false, 0.0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, name)
		if !ok || rest == "" || (rest[0] != '{' && rest[0] != ' ') {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err == nil {
			found, sum = true, sum+v
		}
	}
	if !found {
		return -1
	}
	return sum
}
