package mxinreceiver

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// maxValueDepth bounds how deeply attribute values (AnyValue in
// array_value / kvlist_value) may nest in an OTLP body. pdata v1.61.0 decoded
// AnyValue recursively without a bound, so a ~20 MB body nesting one value
// 2,000,000 levels deep overflowed the goroutine stack (fatal, unrecoverable).
// pdata v1.71.0 stops at proto.RecursionLimit = 100 decoder levels, where one
// value level costs two (AnyValue, ArrayValue) or three (AnyValue,
// KeyValueList, KeyValue) and the attribute's KeyValue one more. 32 value
// levels stay below that on either path, so whatever this check admits pdata
// decodes, and what it refuses gets a message a client can act on instead of
// pdata's "exceeded max recursion depth". No instrumentation nests values
// anywhere near this deep.
const maxValueDepth = 32

// maxJSONDepth bounds bracket nesting of an OTLP/JSON body: three brackets
// per value level ({"arrayValue":{"values":[…) plus the envelope.
const maxJSONDepth = 3*maxValueDepth + 32

var errTooDeep = fmt.Errorf("attribute values nest deeper than %d levels", maxValueDepth)

// otlpMsg names the messages of an ExportTraceServiceRequest on the way to
// an AnyValue; everything else is skipped.
type otlpMsg uint8

const (
	msgRequest otlpMsg = iota
	msgResourceSpans
	msgResource
	msgScopeSpans
	msgScope
	msgSpan
	msgEvent
	msgLink
	msgKeyValue
	msgAnyValue
	msgArrayValue
	msgKeyValueList
)

// otlpChild returns the message type of a length-delimited field of m that
// can lead to an AnyValue (field numbers from opentelemetry-proto).
func otlpChild(m otlpMsg, f protowire.Number) (otlpMsg, bool) {
	switch {
	case m == msgRequest && f == 1:
		return msgResourceSpans, true
	case m == msgResourceSpans && f == 1:
		return msgResource, true
	case m == msgResourceSpans && f == 2:
		return msgScopeSpans, true
	case m == msgResource && f == 1:
		return msgKeyValue, true
	case m == msgScopeSpans && f == 1:
		return msgScope, true
	case m == msgScopeSpans && f == 2:
		return msgSpan, true
	case m == msgScope && f == 3:
		return msgKeyValue, true
	case m == msgSpan && f == 9:
		return msgKeyValue, true
	case m == msgSpan && f == 11:
		return msgEvent, true
	case m == msgSpan && f == 13:
		return msgLink, true
	case m == msgEvent && f == 3, m == msgLink && f == 4:
		return msgKeyValue, true
	case m == msgKeyValue && f == 2, m == msgArrayValue && f == 1:
		return msgAnyValue, true
	case m == msgAnyValue && f == 5:
		return msgArrayValue, true
	case m == msgAnyValue && f == 6:
		return msgKeyValueList, true
	case m == msgKeyValueList && f == 1:
		return msgKeyValue, true
	}
	return 0, false
}

// checkProtoDepth walks an OTLP/protobuf ExportTraceServiceRequest on the
// wire, without decoding or allocating, and returns errTooDeep when an
// attribute value nests deeper than maxValueDepth. The recursion is bounded
// by that depth. Malformed wire data is left to the decoder to report.
func checkProtoDepth(body []byte) error {
	return walkProto(body, msgRequest, 0)
}

func walkProto(b []byte, m otlpMsg, depth int) error {
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
		child, ok := otlpChild(m, num)
		if !ok {
			continue
		}
		d := depth
		if child == msgAnyValue {
			if d++; d > maxValueDepth {
				return errTooDeep
			}
		}
		if err := walkProto(v, child, d); err != nil {
			return err
		}
	}
	return nil
}

// checkJSONDepth returns errTooDeep when brackets outside strings nest
// deeper than maxJSONDepth (pdata's JSON decoder recurses per level too).
func checkJSONDepth(body []byte) error {
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
			if depth++; depth > maxJSONDepth {
				return errTooDeep
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}
