package config

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// ParseExternalLabels parses "name=value,name2=value2" (the
// --external_labels syntax) into labels sorted by name. Names must be
// valid Prometheus label names, not start with "__" (reserved), and not
// repeat; values must be valid UTF-8 and may be empty only if written as
// "name=". An empty string yields no labels.
func ParseExternalLabels(s string) ([]Label, error) {
	var out []Label
	seen := map[string]bool{}
	for _, part := range SplitList(s) {
		name, value, ok := strings.Cut(part, "=")
		name = strings.TrimSpace(name)
		if !ok {
			return nil, invalid("--external_labels: %q is not name=value", part)
		}
		if !validLabelName(name) {
			return nil, invalid("--external_labels: %q is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)", name)
		}
		if strings.HasPrefix(name, "__") {
			return nil, invalid("--external_labels: label names starting with __ are reserved, got %q", name)
		}
		if !utf8.ValidString(value) {
			return nil, invalid("--external_labels: value of %q is not valid UTF-8", name)
		}
		if seen[name] {
			return nil, invalid("--external_labels: label %q given twice", name)
		}
		seen[name] = true
		out = append(out, Label{Name: name, Value: value})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func validLabelName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		letter := c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}
