package ingest

import "fmt"

// kind is the expected encoding of a known field.
type kind uint8

const (
	kUnknown       kind = iota // not in the schema: any valid wire type is skipped
	kVarint                    // int32/int64/uint64/sint*/enum: wire type 0
	kFixed64                   // double: wire type 1
	kBytes                     // string/bytes: wire type 2
	kMessage                   // nested message: wire type 2, validated with sub
	kPackedVarint              // repeated sint64: wire type 0, or 2 packed
	kPackedFixed64             // repeated double: wire type 1, or 2 packed
)

// schema describes one protobuf message of remote-write 1.0. Schemas are
// package-level tables that are never written after initialisation.
type schema struct {
	name  string
	kinds []kind    // indexed by field number
	subs  []*schema // indexed by field number, for kMessage fields
}

func (s *schema) kind(num uint64) kind {
	if num < uint64(len(s.kinds)) {
		return s.kinds[num]
	}
	return kUnknown
}

var (
	labelSchema      = &schema{name: "Label", kinds: []kind{1: kBytes, 2: kBytes}}
	sampleSchema     = &schema{name: "Sample", kinds: []kind{1: kFixed64, 2: kVarint}}
	bucketSpanSchema = &schema{name: "BucketSpan", kinds: []kind{1: kVarint, 2: kVarint}}
	exemplarSchema   = &schema{
		name:  "Exemplar",
		kinds: []kind{1: kMessage, 2: kFixed64, 3: kVarint},
		subs:  []*schema{1: labelSchema},
	}
	histogramSchema = &schema{
		name: "Histogram",
		kinds: []kind{
			1: kVarint, 2: kFixed64, 3: kFixed64, 4: kVarint, 5: kFixed64,
			6: kVarint, 7: kFixed64, 8: kMessage, 9: kPackedVarint,
			10: kPackedFixed64, 11: kMessage, 12: kPackedVarint,
			13: kPackedFixed64, 14: kVarint, 15: kVarint, 16: kPackedFixed64,
		},
		subs: []*schema{8: bucketSpanSchema, 11: bucketSpanSchema},
	}
	metadataSchema = &schema{
		name:  "MetricMetadata",
		kinds: []kind{1: kVarint, 2: kBytes, 4: kBytes, 5: kBytes},
	}
)

// validate checks that b[start:end] is a well-formed message of schema s:
// every field decodes, known fields have the wire type the schema gives
// them, nested messages and packed runs are valid too. Unknown fields are
// skipped. It does not allocate.
func validate(s *schema, b []byte, start, end int) error {
	b = b[:end]
	for i := start; i < end; {
		f, next, err := nextField(b, i)
		if err != nil {
			return malformed(s.name, err)
		}
		if err := checkField(s, b, &f); err != nil {
			return err
		}
		i = next
	}
	return nil
}

// checkField checks one decoded field of s against the schema.
func checkField(s *schema, b []byte, f *field) error {
	k := s.kind(f.num)
	ok := true
	switch k {
	case kUnknown:
		return nil
	case kVarint:
		ok = f.wt == wtVarint
	case kFixed64:
		ok = f.wt == wtFixed64
	case kBytes:
		ok = f.wt == wtBytes
	case kMessage:
		if f.wt == wtBytes {
			return validate(s.subs[f.num], b, f.start, f.end)
		}
		ok = false
	case kPackedVarint:
		if f.wt == wtBytes {
			return checkPackedVarints(s, b, f)
		}
		ok = f.wt == wtVarint
	case kPackedFixed64:
		if f.wt == wtBytes && (f.end-f.start)%8 != 0 {
			return malformed(fmt.Sprintf("%s field %d", s.name, f.num), errPacked)
		}
		ok = f.wt == wtBytes || f.wt == wtFixed64
	}
	if !ok {
		return wrongWireType(s, f)
	}
	return nil
}

// checkPackedVarints checks that a packed run holds whole varints only.
func checkPackedVarints(s *schema, b []byte, f *field) error {
	p := b[:f.end]
	for i := f.start; i < f.end; {
		_, next, err := readVarint(p, i)
		if err != nil {
			return malformed(fmt.Sprintf("%s field %d", s.name, f.num), errPacked)
		}
		i = next
	}
	return nil
}

func wrongWireType(s *schema, f *field) error {
	return fmt.Errorf("%w: %s field %d has wire type %d", ErrMalformed, s.name, f.num, f.wt)
}
