// Package otlpcheck holds the checks an OTLP/HTTP body passes before pdata
// decodes it: JSON must be UTF-8 and attribute values must not nest past a
// bound. Both OTLP/HTTP entry points use them: the mxin receiver's /v1/otel
// and /v1/logs, and the otlp_guard middleware in front of the core otlp
// receiver's HTTP protocol. The checks read the body once, without decoding
// or allocating.
package otlpcheck

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
)

// MaxValueDepth bounds how deeply attribute values (AnyValue in array_value
// / kvlist_value) may nest in an OTLP body. pdata v1.61.0 decoded AnyValue
// recursively without a bound, so a ~20 MB protobuf body nesting one value
// 2,000,000 levels deep overflowed the goroutine stack (fatal,
// unrecoverable). pdata v1.71.0 stops its protobuf decoder at
// proto.RecursionLimit = 100 levels, where one value level costs two
// (AnyValue, ArrayValue) or three (AnyValue, KeyValueList, KeyValue) and the
// attribute's KeyValue one more; its JSON decoder has no bound at all (a
// 19 MB body nesting 700,000 levels decodes, and the span can then never be
// decoded from protobuf again, by the next tier or a vendor). 32 value
// levels stay below the protobuf limit on either path, so whatever these
// checks admit pdata decodes and re-encodes, and what they refuse gets a
// message a client can act on. No instrumentation nests values anywhere
// near this deep.
const MaxValueDepth = 32

// MaxJSONDepth bounds the bracket nesting of an OTLP/JSON body. A value
// level costs three brackets ({"arrayValue":{"values":[…) or four (a
// kvlistValue's), and the shallowest value (a resource attribute) sits
// under six ({"resourceSpans":[{"resource":{"attributes":[{…), so no body
// this admits nests values deeper than MaxValueDepth: what JSON admits,
// Proto admits once the body is re-encoded (a span attribute gets 30
// levels, a resource attribute 32).
const MaxJSONDepth = 3*MaxValueDepth + 3

// ErrTooDeep is returned for a body nesting past MaxValueDepth.
var ErrTooDeep = fmt.Errorf("attribute values nest deeper than %d levels", MaxValueDepth)

// ErrNotUTF8 is returned for a JSON body that is not UTF-8. JSON is UTF-8
// (RFC 8259), but pdata's JSON decoder copies invalid bytes into strings
// unchecked, and the core otlp receiver answers a decode error that quotes
// them with 500 {"code":13,"message":"failed to marshal error message"}
// (its error status cannot be encoded): a 5xx makes the client resend its own
// bad input forever.
var ErrNotUTF8 = errors.New("a JSON body must be valid UTF-8 (is it protobuf sent as application/json?)")

// JSON checks an OTLP/JSON body: valid UTF-8 (ErrNotUTF8) and brackets
// outside strings nested at most MaxJSONDepth deep (ErrTooDeep). Anything
// else wrong with the body is the decoder's to report.
func JSON(body []byte) error {
	if !utf8.Valid(body) {
		return ErrNotUTF8
	}
	depth, inStr, esc := 0, false, false
	for _, c := range body {
		switch {
		case inStr:
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '{' || c == '[':
			if depth++; depth > MaxJSONDepth {
				return ErrTooDeep
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}

// Signal names the export request a protobuf body holds.
type Signal uint8

const (
	// Traces is an ExportTraceServiceRequest.
	Traces Signal = iota
	// Logs is an ExportLogsServiceRequest.
	Logs
)

// Proto walks an OTLP/protobuf export request of sig on the wire and returns
// ErrTooDeep when an attribute value (or a log body) nests deeper than
// MaxValueDepth. The walk's recursion is bounded by that depth. Malformed
// wire data is left to the decoder to report.
func Proto(body []byte, sig Signal) error {
	return walk(body, msgRequest, sig, 0)
}

// msg names the messages of an export request on the way to an AnyValue;
// everything else is skipped.
type msg uint8

const (
	msgRequest      msg = iota
	msgResourceData     // ResourceSpans / ResourceLogs
	msgResource
	msgScopeData // ScopeSpans / ScopeLogs
	msgScope
	msgItem // Span / LogRecord
	msgEvent
	msgLink
	msgKeyValue
	msgAnyValue
	msgArrayValue
	msgKeyValueList
)

// child returns the message type of a length-delimited field f of m that
// can lead to an AnyValue (field numbers from opentelemetry-proto).
func child(m msg, sig Signal, f protowire.Number) (msg, bool) {
	switch m {
	case msgRequest:
		return msgResourceData, f == 1 // resource_spans, resource_logs
	case msgResourceData:
		switch f {
		case 1: // resource
			return msgResource, true
		case 2: // scope_spans, scope_logs
			return msgScopeData, true
		}
	case msgResource:
		return msgKeyValue, f == 1 // Resource.attributes
	case msgScopeData:
		switch f {
		case 1: // scope
			return msgScope, true
		case 2: // spans, log_records
			return msgItem, true
		}
	case msgScope:
		return msgKeyValue, f == 3 // InstrumentationScope.attributes
	case msgItem:
		if sig == Logs {
			switch f {
			case 5: // LogRecord.body
				return msgAnyValue, true
			case 6: // LogRecord.attributes
				return msgKeyValue, true
			}
			return 0, false
		}
		switch f {
		case 9: // Span.attributes
			return msgKeyValue, true
		case 11: // Span.events
			return msgEvent, true
		case 13: // Span.links
			return msgLink, true
		}
	case msgEvent:
		return msgKeyValue, f == 3 // Span.Event.attributes
	case msgLink:
		return msgKeyValue, f == 4 // Span.Link.attributes
	case msgKeyValue:
		return msgAnyValue, f == 2 // KeyValue.value
	case msgArrayValue:
		return msgAnyValue, f == 1 // ArrayValue.values
	case msgAnyValue:
		switch f {
		case 5: // array_value
			return msgArrayValue, true
		case 6: // kvlist_value
			return msgKeyValueList, true
		}
	case msgKeyValueList:
		return msgKeyValue, f == 1 // KeyValueList.values
	}
	return 0, false
}

func walk(b []byte, m msg, sig Signal, depth int) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil
		}
		b = b[n:]
		if typ != protowire.BytesType {
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return nil
			}
			b = b[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return nil
		}
		b = b[n:]
		c, ok := child(m, sig, num)
		if !ok {
			continue
		}
		d := depth
		if c == msgAnyValue {
			if d++; d > MaxValueDepth {
				return ErrTooDeep
			}
		}
		if err := walk(v, c, sig, d); err != nil {
			return err
		}
	}
	return nil
}
