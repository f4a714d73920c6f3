package tree

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"

	"github.com/otelcol-genai/otelcol-genai/internal/jsonenc"
	"github.com/otelcol-genai/otelcol-genai/internal/jsonscan"
)

// The JSON of one node's head (every TreeNode field but children and
// flattened, without the closing brace), written by hand. Encoding each
// node's fields with encoding/json spent most of a 10,000-node read in
// reflection (issue 18). The output is byte for byte encoding/json's for the
// same fields (struct field order, omitempty, sorted map keys, HTML-escaped
// strings, its float format); encode_test.go checks it against json.Marshal
// on every field, filled at random by reflection, so a field added to Node
// without a line here fails the tests. Values outside the fast paths (the
// sub-record lists, raw JSON that needs compacting or escaping, NaN) are
// handed to encoding/json itself, which also gives its errors.

// headJSON appends node heads to b; keys is scratch for sorting map keys.
type headJSON struct {
	b    []byte
	keys []string
	err  error
	// prices remembers the JSON of the PriceRefs encoded so far. The
	// generations of one tree share a handful of PriceRefs (priceRefs in
	// cost.go), and writing the same price object for each of 10,000 calls
	// (its map's keys sorted every time) was a sixth of the instructions
	// of writing a big tree (BenchmarkWriteJSON10k). Keyed by pointer: a
	// tree is read-only once assembled, and release forgets them before
	// the encoder serves another tree.
	prices []priceJSON
}

// priceJSON is the encoded `"price":{…}` of one PriceRef.
type priceJSON struct {
	ref  *PriceRef
	json []byte
}

// maxPriceMemo bounds headJSON.prices: a tree with more distinct prices
// encodes the others every time, as before.
const maxPriceMemo = 8

// head appends n's head.
func (e *headJSON) head(n *TreeNode) error {
	e.err = nil
	e.node(&n.Node)
	e.treeFields(n)
	return e.err
}

// AppendNodeJSON appends json.Marshal(n) without reflection where
// nodejson.go can (the sub-record lists go through encoding/json), and
// returns its error where json.Marshal would fail.
func AppendNodeJSON(b []byte, n *Node) ([]byte, error) {
	e := headJSON{b: b}
	e.node(n)
	e.b = append(e.b, '}')
	return e.b, e.err
}

// node appends the fields of Node, from the opening brace on.
func (e *headJSON) node(n *Node) {
	e.lit(`{"kind":`)
	e.str(string(n.Kind))
	e.lit(`,"id":`)
	e.str(n.ID)
	e.optStr(`,"name":`, n.Name)
	e.optStr(`,"startTimestamp":`, n.StartTimestamp)
	e.optStr(`,"endTimestamp":`, n.EndTimestamp)
	if n.DurationMs != nil {
		e.lit(`,"durationMs":`)
		e.float(*n.DurationMs)
	}
	e.lit(`,"ended":`)
	e.b = strconv.AppendBool(e.b, n.Ended)
	e.optStr(`,"sessionId":`, n.SessionID)
	e.optStr(`,"origin":`, n.Origin)
	e.optStr(`,"spanKind":`, n.SpanKind)
	e.optStr(`,"parentSpanId":`, n.ParentSpanID)
	if len(n.Links) > 0 {
		e.lit(`,"links":`)
		e.marshal(n.Links)
	}
	e.optRaw(`,"input":`, n.Input)
	e.optRaw(`,"output":`, n.Output)
	e.optStr(`,"model":`, n.Model)
	e.optStr(`,"provider":`, n.Provider)
	if len(n.ModelParameters) > 0 {
		e.lit(`,"modelParameters":`)
		e.anyMap(n.ModelParameters)
	}
	e.optStr(`,"maximPromptId":`, n.MaximPromptID)
	e.optStr(`,"maximPromptVersionId":`, n.MaximPromptVersionID)
	if len(n.Messages) > 0 {
		e.lit(`,"messages":`)
		e.raws(n.Messages)
	}
	e.optRaw(`,"result":`, n.Result)
	if c := n.Completion; c != nil {
		e.lit(`,"completion":{`)
		mark := len(e.b)
		e.optStr(`,"object":`, c.Object)
		e.optStr(`,"id":`, c.ID)
		e.optStr(`,"model":`, c.Model)
		if len(c.FinishReasons) > 0 {
			e.lit(`,"finishReasons":[`)
			for i, s := range c.FinishReasons {
				if i > 0 {
					e.b = append(e.b, ',')
				}
				e.str(s)
			}
			e.b = append(e.b, ']')
		}
		e.optStr(`,"text":`, c.Text)
		if len(c.ToolCalls) > 0 {
			e.lit(`,"toolCalls":`)
			e.raws(c.ToolCalls)
		}
		e.closeObject(mark)
	}
	if u := n.Usage; u != nil {
		e.lit(`,"usage":{"inputTokens":`)
		e.b = strconv.AppendInt(e.b, u.InputTokens, 10)
		e.lit(`,"outputTokens":`)
		e.b = strconv.AppendInt(e.b, u.OutputTokens, 10)
		e.lit(`,"totalTokens":`)
		e.b = strconv.AppendInt(e.b, u.TotalTokens, 10)
		e.optInt(`,"cacheReadTokens":`, u.CacheReadTokens)
		e.optInt(`,"cacheWriteTokens":`, u.CacheWriteTokens)
		e.optInt(`,"reasoningTokens":`, u.ReasoningTokens)
		e.b = append(e.b, '}')
	}
	if c := n.Cost; c != nil {
		e.lit(`,"cost":{"input":`)
		e.float(c.Input)
		e.lit(`,"output":`)
		e.float(c.Output)
		e.lit(`,"total":`)
		e.float(c.Total)
		e.lit(`,"source":`)
		e.str(c.Source)
		if p := c.Price; p != nil {
			e.price(p)
		}
		e.b = append(e.b, '}')
	}
	e.optStr(`,"description":`, n.Description)
	e.optRaw(`,"args":`, n.Args)
	e.optStr(`,"message":`, n.Message)
	e.optStr(`,"code":`, n.Code)
	e.optStr(`,"errorType":`, n.ErrorType)
	if len(n.Tags) > 0 {
		e.lit(`,"tags":`)
		e.strMap(n.Tags)
	}
	if len(n.Metadata) > 0 {
		e.lit(`,"metadata":`)
		e.rawMap(n.Metadata)
	}
	if len(n.Metrics) > 0 {
		e.lit(`,"metrics":`)
		e.floatMap(n.Metrics)
	}
	// The sub-record lists are rare and varied: encoding/json's.
	if len(n.Errors) > 0 {
		e.lit(`,"errors":`)
		e.marshal(n.Errors)
	}
	if len(n.Events) > 0 {
		e.lit(`,"events":`)
		e.marshal(n.Events)
	}
	if len(n.Feedback) > 0 {
		e.lit(`,"feedback":`)
		e.marshal(n.Feedback)
	}
	if len(n.Evaluations) > 0 {
		e.lit(`,"evaluations":`)
		e.marshal(n.Evaluations)
	}
	if len(n.Attachments) > 0 {
		e.lit(`,"attachments":`)
		e.marshal(n.Attachments)
	}
	if len(n.Extra) > 0 {
		e.lit(`,"extra":`)
		e.rawMap(n.Extra)
	}
	if len(n.Unknown) > 0 {
		e.lit(`,"unknown":`)
		e.marshal(n.Unknown)
	}
	e.lit(`,"commitCount":`)
	e.b = strconv.AppendInt(e.b, int64(n.CommitCount), 10)
	e.lit(`,"firstVersion":`)
	e.b = strconv.AppendInt(e.b, n.FirstVersion, 10)
	e.lit(`,"lastVersion":`)
	e.b = strconv.AppendInt(e.b, n.LastVersion, 10)
}

// treeFields appends the fields TreeNode adds to Node, but its children.
func (e *headJSON) treeFields(n *TreeNode) {
	e.optStr(`,"pairedWith":`, n.PairedWith)
	t := &n.Totals
	e.lit(`,"totals":{"inputTokens":`)
	e.b = strconv.AppendInt(e.b, t.InputTokens, 10)
	e.lit(`,"outputTokens":`)
	e.b = strconv.AppendInt(e.b, t.OutputTokens, 10)
	e.lit(`,"totalTokens":`)
	e.b = strconv.AppendInt(e.b, t.TotalTokens, 10)
	e.lit(`,"cost":`)
	e.float(t.Cost)
	e.lit(`,"unpricedGenerations":`)
	e.b = strconv.AppendInt(e.b, int64(t.UnpricedGenerations), 10)
	e.lit(`,"counts":`)
	if t.Counts == nil {
		e.lit("null")
	} else {
		e.b = append(e.b, '{')
		for i, k := range e.sortedKeys(mapKeys(e.keys, t.Counts)) {
			e.key(i, k)
			e.b = strconv.AppendInt(e.b, int64(t.Counts[k]), 10)
		}
		e.b = append(e.b, '}')
	}
	e.lit(`,"errors":`)
	e.b = strconv.AppendInt(e.b, int64(t.Errors), 10)
	e.lit(`,"error":`)
	e.b = strconv.AppendBool(e.b, t.Error)
	e.b = append(e.b, '}')
}

func (e *headJSON) lit(s string) { e.b = append(e.b, s...) }

// closeObject ends an object whose members (from mark on) were all written
// with a leading comma: the first comma goes.
func (e *headJSON) closeObject(mark int) {
	if len(e.b) > mark && e.b[mark] == ',' {
		e.b = append(e.b[:mark], e.b[mark+1:]...)
	}
	e.b = append(e.b, '}')
}

func (e *headJSON) optStr(key, s string) {
	if s != "" {
		e.lit(key)
		e.str(s)
	}
}

func (e *headJSON) optInt(key string, v int64) {
	if v != 0 {
		e.lit(key)
		e.b = strconv.AppendInt(e.b, v, 10)
	}
}

func (e *headJSON) optRaw(key string, v json.RawMessage) {
	if len(v) > 0 {
		e.lit(key)
		e.raw(v)
	}
}

// marshal appends encoding/json's encoding of v, keeping its first error.
func (e *headJSON) marshal(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		if e.err == nil {
			e.err = err
		}
		e.lit("null") // the output is abandoned anyway
		return
	}
	e.b = append(e.b, b...)
}

// str appends s quoted as encoding/json quotes it (internal/jsonenc).
func (e *headJSON) str(s string) { e.b = jsonenc.AppendString(e.b, s) }

// float appends f in encoding/json's format: the shortest representation,
// in exponent form below 1e-6 and from 1e21 on, with a one-digit negative
// exponent written without its leading zero (1e-7, not 1e-07).
func (e *headJSON) float(f float64) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		e.marshal(f) // encoding/json's UnsupportedValueError
		return
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b := strconv.AppendFloat(e.b, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	e.b = b
}

// raw appends a json.RawMessage as encoding/json does: nil as null, and
// a value that is valid, compact and needs no escaping as it is; anything
// else goes through encoding/json (compacted, escaped, or its error).
func (e *headJSON) raw(v json.RawMessage) {
	if len(v) == 0 {
		e.lit("null")
		return
	}
	if rawVerbatim(v) {
		e.b = append(e.b, v...)
		return
	}
	e.marshal(v)
}

// rawVerbatim reports whether encoding/json writes v unchanged: valid,
// without whitespace between tokens, <, >, &, invalid UTF-8, U+2028 or
// U+2029 (one pass, jsonscan.Verbatim).
func rawVerbatim(v []byte) bool { return jsonscan.Verbatim(v) }

func (e *headJSON) raws(vs []json.RawMessage) {
	e.b = append(e.b, '[')
	for i, v := range vs {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.raw(v)
	}
	e.b = append(e.b, ']')
}

// key appends the i-th key of an object (after its opening brace).
func (e *headJSON) key(i int, k string) {
	if i > 0 {
		e.b = append(e.b, ',')
	}
	e.str(k)
	e.b = append(e.b, ':')
}

// mapKeys collects the keys of m into keys[:0].
func mapKeys[V any](keys []string, m map[string]V) []string {
	keys = keys[:0]
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

// sortedKeys sorts keys (encoding/json writes map keys in order) and keeps
// the slice for the next map. The maps of a head are never nested, so one
// scratch slice serves them all.
func (e *headJSON) sortedKeys(keys []string) []string {
	slices.Sort(keys)
	e.keys = keys
	return keys
}

func (e *headJSON) strMap(m map[string]string) {
	e.b = append(e.b, '{')
	for i, k := range e.sortedKeys(mapKeys(e.keys, m)) {
		e.key(i, k)
		e.str(m[k])
	}
	e.b = append(e.b, '}')
}

func (e *headJSON) floatMap(m map[string]float64) {
	e.b = append(e.b, '{')
	for i, k := range e.sortedKeys(mapKeys(e.keys, m)) {
		e.key(i, k)
		e.float(m[k])
	}
	e.b = append(e.b, '}')
}

func (e *headJSON) rawMap(m map[string]json.RawMessage) {
	e.b = append(e.b, '{')
	for i, k := range e.sortedKeys(mapKeys(e.keys, m)) {
		e.key(i, k)
		e.raw(m[k])
	}
	e.b = append(e.b, '}')
}

// anyMap writes model parameters: the scalar values a decoded parameter
// holds by hand, anything else (objects, arrays) with encoding/json.
func (e *headJSON) anyMap(m map[string]any) {
	e.b = append(e.b, '{')
	for i, k := range e.sortedKeys(mapKeys(e.keys, m)) {
		e.key(i, k)
		switch v := m[k].(type) {
		case nil:
			e.lit("null")
		case string:
			e.str(v)
		case float64:
			e.float(v)
		case bool:
			e.b = strconv.AppendBool(e.b, v)
		default:
			e.marshal(v)
		}
	}
	e.b = append(e.b, '}')
}

// release drops the references to the last tree.
func (e *headJSON) release() {
	clear(e.keys[:cap(e.keys)])
	e.keys = e.keys[:0]
	e.err = nil
	clear(e.prices) // the next tree's PriceRefs may reuse these addresses
	e.prices = e.prices[:0]
}

// price appends `,"price":{…}` for p, from the memo when p was encoded
// before (see headJSON.prices).
func (e *headJSON) price(p *PriceRef) {
	for i := range e.prices {
		if e.prices[i].ref == p {
			e.b = append(e.b, e.prices[i].json...)
			return
		}
	}
	start, failed := len(e.b), e.err != nil
	e.lit(`,"price":{`)
	mark := len(e.b)
	e.optStr(`,"provider":`, p.Provider)
	e.lit(`,"model":`)
	e.str(p.Model)
	e.lit(`,"source":`)
	e.str(p.Source)
	if len(p.Prices) > 0 {
		e.lit(`,"prices":`)
		e.floatMap(p.Prices)
	}
	e.closeObject(mark)
	// A price whose encoding failed (a NaN) is not remembered: every node
	// that carries it must fail the same way.
	if !failed && e.err == nil && len(e.prices) < maxPriceMemo {
		e.prices = append(e.prices, priceJSON{ref: p, json: slices.Clone(e.b[start:])})
	}
}
