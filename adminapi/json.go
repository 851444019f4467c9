package adminapi

import (
	"encoding/json"
	"io"
)

// WriteJSON writes v as indented JSON: the encoding of every admin API
// answer and of the CLI's --json output.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
