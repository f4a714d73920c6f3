// Package spancommit turns normalized OTLP spans into commits on the same
// entities, with the same `data` shapes, that the Maxim SDKs send
// (docs/protocol.md §3). An OTLP trace and an SDK trace are then stored, folded
// by the one fold in internal/tree and shown the same way.
//
// Mapping (one OTLP trace → one trace entity):
//
//   - The OTLP trace id (hex) is the trace entity id. Every span of the
//     trace may update it (sessionId, trace name, tags, metrics); the root
//     span also creates it (name, startTimestamp), sets its input/output and
//     ends it. The root span's own node hangs under the trace, so children
//     always find their parent whatever batch they arrive in. A span whose
//     parent is remote does the same, but at placeholder versions below
//     any receive time (placeholderVersion): the trace's own root wins.
//   - Each span is a node whose id is the span id (hex), created by an add-*
//     commit on its parent: the OTLP parent span, always as the `span`
//     entity of its id (the parent's kind is not known when it travels in
//     another batch), or the trace for a root span. Kind by
//     `maxim.entity.kind`: add-span, add-generation, add-tool-call,
//     add-retrieval. A generation, tool call or retrieval adds the `span`
//     of its own id as its child holder, which the assembly dissolves, so
//     the tree is the same whichever batches the spans came in.
//   - Generations get a `result` in the OpenAI chat.completion shape
//     (usage prompt/completion/total tokens, cost), tool calls a string
//     `result` or an `error`, retrievals `input` and `docs`; every node gets
//     `end {endTimestamp}`. Errors become `update {error}` records.
//   - `maxim.session.end` spans produce only `session{end}`.
//
// Commit data is marshalled deterministically (struct field order, sorted
// map keys), so a span sent twice yields identical commit ids and the store
// deduplicates the replay.
package spancommit

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-genai/otelcol-genai/internal/jsonenc"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// DefaultRepo is used when a span carries no `maxim.repo.id`.
const DefaultRepo = "default"

// pending is one commit before versions are assigned; order sorts the
// commits of a batch by span start time so last-writer-wins follows the
// order things happened in.
type pending struct {
	c commit.Commit
	// fixed, when not 0, is the commit's version instead of one from the
	// versioner: defaults (the root span's name as trace name) take the
	// span's start time, which is earlier than any receive-time version,
	// so an explicit value from any other span wins whatever order the
	// batches arrive in.
	fixed int64
	start int64
	span  string
	seq   int
}

// FromTraces converts normalized spans into sealed, versioned commits.
// Spans the normalizer has not seen are treated as plain spans (name,
// timestamps, status). It never fails on span content: a commit whose data
// cannot be encoded (impossible for normalized spans, which carry no NaN or
// ±Inf) is skipped alone, and a span without a trace or span id (invalid
// in OTLP) gives no commits, except a session end, which names only its
// session. The error return is kept for future checks.
func FromTraces(td ptrace.Traces, v *commit.Versioner) ([]commit.Commit, error) {
	rss := td.ResourceSpans()
	var out []pending
	var b builder // reused: its slices keep their capacity from span to span
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				b = builder{sp: spans.At(k), out: b.out[:0], msgs: msgJSON{out: b.msgs.out[:0]}}
				if err := b.build(); err != nil {
					return nil, err
				}
				out = append(out, b.out...)
			}
		}
	}
	// Sorted through an index, so the commits (large structs) are not
	// moved about; the index as last key makes it the stable order.
	order := make([]int32, len(out))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(x, y int32) int {
		a, b := &out[x], &out[y]
		if a.start != b.start {
			return cmp.Compare(a.start, b.start)
		}
		if a.span != b.span {
			return strings.Compare(a.span, b.span)
		}
		if a.seq != b.seq {
			return cmp.Compare(a.seq, b.seq)
		}
		return cmp.Compare(x, y)
	})
	commits := make([]commit.Commit, len(out))
	if len(out) == 0 {
		return commits, nil
	}
	base := v.Reserve(len(out))
	for i, k := range order {
		p := &out[k]
		c := &commits[i]
		*c = p.c
		c.Version = base + int64(i)
		if p.fixed != 0 {
			c.Version = p.fixed
		}
		c.Seal()
	}
	return commits, nil
}

type builder struct {
	sp      ptrace.Span
	c       Canonical
	msgs    msgJSON // c's messages as JSON text (commit data embeds them)
	repo    string
	id      string
	out     []pending
	skipped int
}

func (b *builder) emit(entity commit.Entity, id string, action commit.Action, data any) {
	if a, ok := data.(jsonAppender); ok {
		if raw, ok := a.appendJSON(make([]byte, 0, 192)); ok {
			b.add(entity, id, action, raw)
			return
		}
	}
	raw, err := jsonenc.Marshal(data)
	if err != nil {
		// Unreachable for normalized spans (the normalizer drops NaN and
		// ±Inf); if it happens, only this commit is lost, not the batch.
		b.skipped++
		return
	}
	b.add(entity, id, action, raw)
}

// placeholder stands in for message JSON while encoding/json encodes the
// rest of a commit's data, and emitSpliced puts the messages in: handed
// them as json.RawMessage, encoding/json would validate and re-escape
// kilobytes of text that are already exactly its own output (canonical
// lists, or appendMessages').
var placeholder = json.RawMessage("0")

// emitSpliced emits data with the placeholders after key (the first ones
// in the encoding, in order; a key's value in encoding/json's output is
// never inside a string) replaced by raws.
func (b *builder) emitSpliced(entity commit.Entity, id string, action commit.Action, data any, key string, raws []json.RawMessage) {
	enc, err := json.Marshal(data)
	if err != nil {
		b.skipped++
		return
	}
	n := len(enc) - len(raws)*len(placeholder)
	for _, r := range raws {
		n += len(r)
	}
	out := make([]byte, 0, n)
	rest := enc
	for _, r := range raws {
		i := bytes.Index(rest, []byte(key))
		if i < 0 || !bytes.HasPrefix(rest[i+len(key):], placeholder) {
			// Unreachable (data holds one placeholder per raw).
			b.skipped++
			return
		}
		i += len(key)
		out = append(out, rest[:i]...)
		out = append(out, r...)
		rest = rest[i+len(placeholder):]
	}
	b.add(entity, id, action, append(out, rest...))
}

// emitField emits the data {key: value}, the most common commit (input,
// output, name, end time, ...), without reflection.
func (b *builder) emitField(entity commit.Entity, id string, action commit.Action, key, value string) {
	b.add(entity, id, action, fieldJSON(key, value))
}

// fieldJSON is json.Marshal(map[string]string{key: value}).
func fieldJSON(key, value string) []byte {
	raw := make([]byte, 0, len(key)+len(value)+8)
	raw = append(raw, '{')
	raw = appendString(raw, key)
	raw = append(raw, ':')
	raw = appendString(raw, value)
	return append(raw, '}')
}

func (b *builder) add(entity commit.Entity, id string, action commit.Action, raw []byte) {
	b.out = append(b.out, pending{
		c:     commit.Commit{Repo: b.repo, Entity: entity, EntityID: id, Action: action, Data: raw},
		start: int64(b.sp.StartTimestamp()),
		span:  b.id,
		seq:   len(b.out),
	})
}

// Span flag bits (OTLP ≥1.1): the parent span context's remoteness is
// known, and it is remote.
const (
	flagHasIsRemote = 0x100
	flagIsRemote    = 0x200
)

// IsLocalRoot reports whether a span starts this service's part of a
// trace: it has no parent, or its parent is remote (another service that
// may never send its spans here). Such spans hang under the trace entity,
// so a distributed trace is never left as unreachable orphans.
func IsLocalRoot(sp ptrace.Span) bool {
	if sp.ParentSpanID().IsEmpty() {
		return true
	}
	f := sp.Flags()
	return f&flagHasIsRemote != 0 && f&flagIsRemote != 0
}

func ts(t pcommon.Timestamp) string {
	if t == 0 {
		return ""
	}
	return t.AsTime().UTC().Format(time.RFC3339Nano)
}

// metaMap copies user metadata for a commit. Values keep their JSON type:
// the fold stores metadata as raw JSON per key, so a number stays a number
// and an object an object (stringifying them lost the type: OpenInference
// `metadata` {"retries": 3} showed as the string "3"). nil becomes "".
func metaMap(m map[string]any) map[string]any {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		if v == nil {
			v = ""
		}
		out[k] = v
	}
	return out
}

func (b *builder) build() error {
	sp := b.sp
	attrs := sp.Attributes()
	b.c = decode(attrs, &b.msgs)
	c := &b.c
	if !Normalized(attrs) {
		// Not from the normalizer (no marker, or one the normalizer
		// never writes, such as the string "true"): nothing canonical
		// is trusted, the repository included.
		c = &Canonical{Kind: KindSpan, Name: sp.Name()}
		b.c = *c
		c = &b.c
		b.msgs = msgJSON{}
	}
	if !KnownKind(c.Kind) {
		// Marked normalized but with a missing or foreign kind: the data
		// is kept, as a plain span.
		c.Kind = KindSpan
	}
	// The session id is the one free-form id a span carries (trace and
	// span ids are hex). One that is not an entity id (commit.CheckID: too
	// long for the query API to read back, control characters) would make
	// a session nobody can open, and the store refuses commits naming it
	// (tree.CheckIDs): the span is kept, without the session.
	if commit.CheckID(c.SessionID) != nil {
		c.SessionID = ""
	}
	if commit.CheckID(c.SessionEnd) != nil {
		c.SessionEnd = ""
	}
	if c.Name == "" {
		c.Name = sp.Name()
	}
	b.repo = c.Repo
	if b.repo == "" {
		b.repo = DefaultRepo
	}
	b.id = sp.SpanID().String()
	traceID := sp.TraceID().String()
	start, end := ts(sp.StartTimestamp()), ts(sp.EndTimestamp())

	if c.Kind == KindSessionEnd {
		sid := c.SessionEnd
		if sid == "" {
			sid = c.SessionID
		}
		if sid != "" {
			b.emitField(commit.EntitySession, sid, commit.ActionEnd, "endTimestamp", end)
		}
		return nil
	}

	// An all-zero trace or span id is invalid in OTLP and names no node
	// (its commits would carry an empty entity id, which the store
	// refuses): such a span becomes nothing, like a commit that cannot be
	// encoded.
	if sp.TraceID().IsEmpty() || sp.SpanID().IsEmpty() {
		b.skipped++
		return nil
	}
	b.traceCommits(traceID, start, end)
	b.sessionCommits()

	// Parent: the OTLP parent span, or the trace for a root span. A
	// span's commits depend on the span alone, never on which other spans
	// share its batch, so the parent is always named as the `span` of its
	// id: the kind the parent became is unknown when it travels in another
	// batch. A generation, tool call or retrieval links that `span` of its
	// own id as its child holder (holderLink), and the assembly shows the
	// holder's children as its own (internal/tree, IsChildHolder).
	parentEntity, parentID := commit.EntityTrace, traceID
	if !IsLocalRoot(sp) {
		parentID = sp.ParentSpanID().String()
		parentEntity = commit.EntitySpan
	}
	if e := entityOf(c.Kind); e != commit.EntitySpan {
		b.holderLink(e)
	}
	tags := c.Tags
	// One map, made here: the kind builders below get it and addMeta
	// writes into it (allocating it inside addMeta would leave a builder
	// holding nil, losing every key added after the call).
	meta := metaMap(c.Metadata)
	if meta == nil {
		meta = map[string]any{}
	}
	addMeta := func(k, v string) {
		if v != "" {
			meta[k] = v
		}
	}
	addMeta("maxim.subtype", c.Subtype)
	if len(c.Malformed) > 0 {
		addMeta("maxim.malformed", joinJSON(c.Malformed))
	}
	if len(c.Truncated) > 0 {
		addMeta("maxim.truncated", joinJSON(c.Truncated))
	}
	if sc := sp.Status(); sc.Code() == ptrace.StatusCodeError && c.ErrorMessage == "" {
		c.ErrorMessage = sc.Message()
		if c.ErrorMessage == "" {
			c.ErrorMessage = "error"
		}
	}

	switch c.Kind {
	case KindGeneration:
		b.generation(parentEntity, parentID, start, end, tags, meta, addMeta)
	case KindToolCall:
		b.toolCall(parentEntity, parentID, start, end, tags, meta, addMeta)
	case KindRetrieval:
		b.retrieval(parentEntity, parentID, start, end, tags, meta, addMeta)
	default:
		b.span(parentEntity, parentID, start, end, tags, meta, addMeta)
	}
	return nil
}

// holderLink adds, on the node this span becomes, the edge to the `span`
// entity of the same id, under which the span's children file themselves
// (they name their parent by span id only). The commit is the same for
// every span of that id, so replays deduplicate it.
func (b *builder) holderLink(entity commit.Entity) {
	b.emitField(entity, b.id, commit.ActionAddSpan, "id", b.id)
}

func joinJSON(v []string) string {
	raw, _ := json.Marshal(v)
	return string(raw)
}

func entityOf(kind string) commit.Entity {
	switch kind {
	case KindGeneration:
		return commit.EntityGeneration
	case KindToolCall:
		return commit.EntityToolCall
	case KindRetrieval:
		return commit.EntityRetrieval
	}
	return commit.EntitySpan
}

// spanKinds names OTLP span kinds as the tree shows them.
var spanKinds = map[ptrace.SpanKind]string{
	ptrace.SpanKindInternal: "internal",
	ptrace.SpanKindServer:   "server",
	ptrace.SpanKindClient:   "client",
	ptrace.SpanKindProducer: "producer",
	ptrace.SpanKindConsumer: "consumer",
}

// SpanKindName is the tree's name of an OTLP span kind ("" when unset).
func SpanKindName(k ptrace.SpanKind) string { return spanKinds[k] }

// link is one OTLP span link as the tree keeps it.

// identity records the span's OTel identity on its node: span kind,
// parent span id (kept even when the node hangs under the trace because
// its parent is remote) and links. The totals rule reads kind and parent
// to count a CLIENT/SERVER pair of one model call once; links make an
// agent hand-off between traces navigable.
func (b *builder) identity(entity commit.Entity) {
	sp := b.sp
	o := spanIdentity{SpanKind: SpanKindName(sp.Kind())}
	if p := sp.ParentSpanID(); !p.IsEmpty() {
		o.ParentSpanID = p.String()
	}
	ls := sp.Links()
	for i := 0; i < ls.Len(); i++ {
		l := ls.At(i)
		if l.TraceID().IsEmpty() {
			continue
		}
		ln := link{TraceID: l.TraceID().String()}
		if !l.SpanID().IsEmpty() {
			ln.SpanID = l.SpanID().String()
		}
		if l.Attributes().Len() > 0 {
			ln.Attributes = l.Attributes().AsRaw()
		}
		o.Links = append(o.Links, ln)
	}
	if o.SpanKind == "" && o.ParentSpanID == "" && len(o.Links) == 0 {
		return
	}
	b.emit(entity, b.id, commit.ActionUpdate, o)
}

// traceCommits writes the trace-level data a span carries. Only the root
// span creates, names (by default), fills input/output and ends the trace;
// any span may set the session, explicit trace name, tags and metrics.
func (b *builder) traceCommits(traceID, start, end string) {
	c := &b.c
	root := IsLocalRoot(b.sp)
	// Every span says where its trace came from (one commit in the store:
	// same content, same id), so the origin is known whichever span
	// arrives, the root included or not.
	b.emitField(commit.EntityTrace, traceID, commit.ActionUpdate, "origin", commit.OriginOTLP)
	tags := map[string]string{}
	for k, v := range c.TraceTags {
		tags[k] = v
	}
	if c.UserID != "" {
		tags["userId"] = c.UserID
	}
	if root {
		first := len(b.out)
		b.emit(commit.EntityTrace, traceID, commit.ActionCreate, traceCreate{Name: c.TraceName, Tags: tags, StartTimestamp: start, SessionID: c.SessionID})
		if c.TraceName == "" && c.Name != "" {
			b.emitField(commit.EntityTrace, traceID, commit.ActionUpdate, "name", c.Name)
			if st := int64(b.sp.StartTimestamp()); st > 0 {
				b.out[len(b.out)-1].fixed = st
			}
		}
		in, out := b.traceIO()
		if c.TraceInput != "" {
			in = c.TraceInput
		}
		if c.TraceOutput != "" {
			out = c.TraceOutput
		}
		if in != "" {
			b.emitField(commit.EntityTrace, traceID, commit.ActionUpdate, "input", in)
		}
		if out != "" {
			b.emitField(commit.EntityTrace, traceID, commit.ActionUpdate, "output", out)
		}
		if len(c.TraceMetrics) > 0 {
			b.emit(commit.EntityTrace, traceID, commit.ActionUpdate, map[string]any{"metrics": c.TraceMetrics})
		}
		if m := metaMap(c.TraceMetadata); len(m) > 0 {
			b.emit(commit.EntityTrace, traceID, commit.ActionUpdate, map[string]any{"metadata": m})
		}
		if end != "" {
			b.emitField(commit.EntityTrace, traceID, commit.ActionEnd, "endTimestamp", end)
		}
		if !b.sp.ParentSpanID().IsEmpty() {
			// A local root under a remote parent (an LLM gateway's SERVER
			// span continuing the caller's trace) starts only its part of
			// the trace: what it says of the trace is a placeholder, kept
			// until the trace's own root (no parent) says otherwise,
			// whatever order they arrive in.
			v := placeholderVersion(b.sp.StartTimestamp())
			for i := first; i < len(b.out); i++ {
				b.out[i].fixed = v
			}
		}
		return
	}
	if c.SessionID != "" {
		b.emitField(commit.EntityTrace, traceID, commit.ActionUpdate, "sessionId", c.SessionID)
	}
	if c.TraceName != "" {
		b.emitField(commit.EntityTrace, traceID, commit.ActionUpdate, "name", c.TraceName)
	}
	if len(tags) > 0 {
		b.emit(commit.EntityTrace, traceID, commit.ActionUpdate, map[string]any{"tags": tags})
	}
	if len(c.TraceMetrics) > 0 {
		b.emit(commit.EntityTrace, traceID, commit.ActionUpdate, map[string]any{"metrics": c.TraceMetrics})
	}
	// Trace input/output and metadata set explicitly on any span
	// (Langfuse setTraceIO, propagated trace metadata).
	if c.TraceInput != "" {
		b.emitField(commit.EntityTrace, traceID, commit.ActionUpdate, "input", c.TraceInput)
	}
	if c.TraceOutput != "" {
		b.emitField(commit.EntityTrace, traceID, commit.ActionUpdate, "output", c.TraceOutput)
	}
	if m := metaMap(c.TraceMetadata); len(m) > 0 {
		b.emit(commit.EntityTrace, traceID, commit.ActionUpdate, map[string]any{"metadata": m})
	}
}

// placeholderVersion is the version of what a span under a remote parent
// says of its trace (name, start, input/output, end): below every receive
// time and every span start (versions are Unix nanoseconds; this band ends
// before 1970-04), so the trace's own root and any explicit value win; among
// several such spans the earliest-started wins.
func placeholderVersion(start pcommon.Timestamp) int64 {
	s := min(uint64(start), math.MaxInt64)
	return max(1, int64((math.MaxInt64-s)>>10))
}

// traceIO is the root span's input/output as trace text: plain text when
// the span has it, else the last user message and the first answer.
func (b *builder) traceIO() (in, out string) {
	c := &b.c
	b.msgs.messages(c)
	in, out = c.Input, c.Output
	if in == "" {
		for i := len(c.InputMessages) - 1; i >= 0; i-- {
			if c.InputMessages[i].Role == "user" {
				in = contentString(c.InputMessages[i].Content)
				break
			}
		}
	}
	if out == "" && len(c.OutputMessages) > 0 {
		out = contentString(c.OutputMessages[0].Content)
	}
	if in == "" && c.Kind == KindToolCall {
		in = c.ToolArguments
	}
	if out == "" && c.Kind == KindToolCall {
		out = c.ToolResult
	}
	return in, out
}

func contentString(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case nil:
		return ""
	case []any:
		s := ""
		for _, p := range t {
			if m, ok := p.(map[string]any); ok {
				if x, ok := m["text"].(string); ok {
					if s != "" {
						s += "\n"
					}
					s += x
				}
			}
		}
		return s
	case []Part:
		s := ""
		for _, p := range t {
			if p.Type == "text" {
				if s != "" {
					s += "\n"
				}
				s += p.Text
			}
		}
		return s
	}
	return ""
}

func (b *builder) sessionCommits() {
	c := &b.c
	if c.SessionID == "" {
		return
	}
	// Every span of every trace of the session sends the same create, so
	// it is one commit in the store (same content, same id): the session
	// exists even when no name, tags or metrics were sent.
	b.emit(commit.EntitySession, c.SessionID, commit.ActionCreate, map[string]any{"tags": map[string]string{}})
	if c.SessionName != "" {
		b.emitField(commit.EntitySession, c.SessionID, commit.ActionUpdate, "name", c.SessionName)
	}
	if len(c.SessionTags) > 0 {
		b.emit(commit.EntitySession, c.SessionID, commit.ActionUpdate, map[string]any{"tags": c.SessionTags})
	}
	if len(c.SessionMetrics) > 0 {
		b.emit(commit.EntitySession, c.SessionID, commit.ActionUpdate, map[string]any{"metrics": c.SessionMetrics})
	}
}

type errObj struct {
	Message string `json:"message"`
	Code    string `json:"code,omitempty"`
	Type    string `json:"type,omitempty"`
}

// consumedEvents are span events the normalizer reads (message content,
// streaming timings, exceptions, retrieval results); they are not repeated
// as add-event records.
func consumedEvent(name string) bool {
	for _, p := range []string{"gen_ai.", "llm.", "ai.stream.", "ai.prompt", "ai.response", "db.query.result"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return name == "exception"
}

// events turns the span's other events into the SDK's add-event records,
// with an id derived from the span, the event's position, name and time.
func (b *builder) events(entity commit.Entity) {
	evs := b.sp.Events()
	for i := 0; i < evs.Len(); i++ {
		e := evs.At(i)
		if consumedEvent(e.Name()) {
			continue
		}
		h := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%d\x00%s\x00%d", b.id, i, e.Name(), e.Timestamp())))
		meta := map[string]string{}
		e.Attributes().Range(func(k string, v pcommon.Value) bool {
			meta[k] = v.AsString()
			return true
		})
		type addEvent struct {
			ID        string            `json:"id"`
			Name      string            `json:"name"`
			Timestamp string            `json:"timestamp,omitempty"`
			Tags      map[string]string `json:"tags"`
			Metadata  map[string]string `json:"metadata,omitempty"`
		}
		b.emit(entity, b.id, commit.ActionAddEvent, addEvent{ID: "ev-" + hex.EncodeToString(h[:8]), Name: e.Name(),
			Timestamp: ts(e.Timestamp()), Tags: map[string]string{}, Metadata: meta})
	}
}

func (b *builder) common(entity commit.Entity, end string, tags map[string]string, meta map[string]any) {
	c := &b.c
	b.events(entity)
	b.identity(entity)
	if len(meta) > 0 {
		b.emit(entity, b.id, commit.ActionUpdate, map[string]any{"metadata": meta})
	}
	if len(c.Metrics) > 0 || (entity == commit.EntityGeneration && c.TTFTMs != nil) {
		m := map[string]float64{}
		for k, v := range c.Metrics {
			m[k] = v
		}
		if entity == commit.EntityGeneration && c.TTFTMs != nil {
			m["ttft_ms"] = *c.TTFTMs
		}
		b.emit(entity, b.id, commit.ActionUpdate, map[string]any{"metrics": m})
	}
	_ = tags
	if end != "" {
		b.emitField(entity, b.id, commit.ActionEnd, "endTimestamp", end)
	}
}

func (b *builder) span(pe commit.Entity, pid, start, end string, tags map[string]string, meta map[string]any, addMeta func(k, v string)) {
	c := &b.c
	if tags == nil {
		tags = map[string]string{}
	}
	b.emit(pe, pid, commit.ActionAddSpan, spanAdd{ID: b.id, Name: c.Name, Tags: tags, StartTimestamp: start})
	if !c.UsageAggregate.IsZero() {
		raw, _ := json.Marshal(c.UsageAggregate)
		addMeta("maxim.usage.aggregate", string(raw))
	}
	addMeta("maxim.model", c.Model)
	// A root span's input/output are the trace's (traceCommits), not
	// repeated on its node.
	if IsLocalRoot(b.sp) {
		c.Input, c.Output = "", ""
	}
	if c.Input != "" {
		b.emitField(commit.EntitySpan, b.id, commit.ActionUpdate, "input", c.Input)
	}
	if c.Output != "" {
		b.emitField(commit.EntitySpan, b.id, commit.ActionUpdate, "output", c.Output)
	}
	if c.ErrorMessage != "" {
		b.emit(commit.EntitySpan, b.id, commit.ActionUpdate, map[string]any{"error": errObj{Message: c.ErrorMessage, Type: c.ErrorType}})
	}
	b.common(commit.EntitySpan, end, tags, meta)
}

// openAIFinish maps the canonical finish reason back to OpenAI's spelling,
// which is what SDK-sent chat.completion results carry.
func openAIFinish(r string) string {
	switch r {
	case "tool_call":
		return "tool_calls"
	}
	return r
}

func (b *builder) generation(pe commit.Entity, pid, start, end string, tags map[string]string, meta map[string]any, addMeta func(k, v string)) {
	c := &b.c
	if tags == nil {
		tags = map[string]string{}
	}
	msgs := b.msgs.in
	if msgs == nil {
		msgs = json.RawMessage("[]")
	}
	params := c.ModelParameters
	if params == nil {
		params = map[string]any{}
	}
	model := c.RequestModel
	if model == "" {
		model = c.Model
	}
	ga := generationAdd{ID: b.id, Messages: msgs, Name: c.Name, Tags: tags, StartTimestamp: start,
		Provider: c.Provider, Model: model, ModelParameters: params}
	if raw, ok := ga.appendJSON(make([]byte, 0, len(msgs)+256)); ok {
		b.add(pe, pid, commit.ActionAddGeneration, raw)
	} else {
		ga.Messages = placeholder
		b.emitSpliced(pe, pid, commit.ActionAddGeneration, ga, `"messages":`, []json.RawMessage{msgs})
	}
	addMeta("maxim.provider.raw", c.ProviderRaw)
	addMeta("maxim.finish_reason", c.FinishReason)
	if c.Stream != nil {
		addMeta("maxim.stream", strconv.FormatBool(*c.Stream))
	}
	if len(c.ToolsOffered) > 0 {
		raw, _ := json.Marshal(c.ToolsOffered)
		addMeta("maxim.tools", string(raw))
	}
	if u := c.Usage; u.CacheRead != nil || u.CacheWrite != nil || u.Reasoning != nil {
		raw, _ := json.Marshal(Usage{CacheRead: u.CacheRead, CacheWrite: u.CacheWrite, Reasoning: u.Reasoning})
		addMeta("maxim.usage.details", string(raw))
	}

	hasOutput := len(b.msgs.out) > 0 || !c.Usage.IsZero() || c.FinishReason != "" || c.Cost.Total != nil
	switch {
	case hasOutput:
		r := completion{ID: c.ResponseID, Object: "chat.completion", Created: int64(b.sp.EndTimestamp()) / int64(time.Second), Model: c.Model,
			Choices: []choice{}}
		if r.ID == "" {
			r.ID = b.id
		}
		for i := range b.msgs.out {
			var fr any
			if i == 0 && c.FinishReason != "" {
				fr = openAIFinish(c.FinishReason)
			}
			r.Choices = append(r.Choices, choice{Index: i, Message: b.msgs.out[i], FinishReason: fr})
		}
		if len(r.Choices) == 0 && c.FinishReason != "" {
			r.Choices = append(r.Choices, choice{Message: json.RawMessage(`{"role":"assistant","content":null}`), FinishReason: openAIFinish(c.FinishReason)})
		}
		u := map[string]any{}
		if c.Usage.Input != nil {
			u["prompt_tokens"] = *c.Usage.Input
		}
		if c.Usage.Output != nil {
			u["completion_tokens"] = *c.Usage.Output
		}
		if c.Usage.Total != nil {
			u["total_tokens"] = *c.Usage.Total
		}
		// Cache reads and writes are subsets of prompt_tokens (the
		// canonical convention); cache_write_tokens has no OpenAI name, the
		// fold reads it beside cached_tokens (internal/tree/usage.go).
		if c.Usage.CacheRead != nil || c.Usage.CacheWrite != nil {
			d := map[string]int64{}
			if c.Usage.CacheRead != nil {
				d["cached_tokens"] = *c.Usage.CacheRead
			}
			if c.Usage.CacheWrite != nil {
				d["cache_write_tokens"] = *c.Usage.CacheWrite
			}
			u["prompt_tokens_details"] = d
		}
		if c.Usage.Reasoning != nil {
			u["completion_tokens_details"] = map[string]int64{"reasoning_tokens": *c.Usage.Reasoning}
		}
		if len(u) > 0 {
			r.Usage = u
		}
		if c.Cost.Total != nil || c.Cost.Input != nil || c.Cost.Output != nil {
			cost := c.Cost
			if cost.Total == nil && cost.Input != nil && cost.Output != nil {
				t := *cost.Input + *cost.Output
				cost.Total = &t
			}
			r.Cost = &cost
		}
		n := 256
		for _, m := range b.msgs.out {
			n += len(m) + 64
		}
		if raw, ok := (generationResult{Result: r}).appendJSON(make([]byte, 0, n)); ok {
			b.add(commit.EntityGeneration, b.id, commit.ActionResult, raw)
		} else {
			for i := range b.msgs.out {
				r.Choices[i].Message = placeholder
			}
			b.emitSpliced(commit.EntityGeneration, b.id, commit.ActionResult, map[string]any{"result": r}, `"message":`, b.msgs.out)
		}
		if c.ErrorMessage != "" {
			b.emit(commit.EntityGeneration, b.id, commit.ActionUpdate, map[string]any{"error": errObj{Message: c.ErrorMessage, Type: c.ErrorType}})
		}
	case c.ErrorMessage != "":
		// The SDK's generation.error() form.
		b.emit(commit.EntityGeneration, b.id, commit.ActionResult, map[string]any{"result": map[string]any{
			"error": errObj{Message: c.ErrorMessage, Type: c.ErrorType}, "id": b.id}})
	}
	b.common(commit.EntityGeneration, end, tags, meta)
}

func (b *builder) toolCall(pe commit.Entity, pid, start, end string, tags map[string]string, meta map[string]any, addMeta func(k, v string)) {
	c := &b.c
	if tags == nil {
		tags = map[string]string{}
	}
	name := c.ToolName
	if name == "" {
		name = c.Name
	}
	b.emit(pe, pid, commit.ActionAddToolCall, toolCallAdd{ID: b.id, Name: name, Description: c.ToolDescription, Args: c.ToolArguments,
		Tags: tags, StartTimestamp: start})
	addMeta("maxim.tool.call_id", c.ToolCallID)
	if c.HasToolResult && c.ErrorMessage == "" {
		b.emitField(commit.EntityToolCall, b.id, commit.ActionResult, "result", c.ToolResult)
	}
	if c.ErrorMessage != "" {
		b.emit(commit.EntityToolCall, b.id, commit.ActionError, map[string]any{"error": errObj{Message: c.ErrorMessage, Type: c.ErrorType}})
	}
	b.common(commit.EntityToolCall, end, tags, meta)
}

func (b *builder) retrieval(pe commit.Entity, pid, start, end string, tags map[string]string, meta map[string]any, addMeta func(k, v string)) {
	c := &b.c
	if tags == nil {
		tags = map[string]string{}
	}
	b.emit(pe, pid, commit.ActionAddRetrieval, spanAdd{ID: b.id, Name: c.Name, Tags: tags, StartTimestamp: start})
	if c.RetrievalQuery != "" {
		b.emitField(commit.EntityRetrieval, b.id, commit.ActionUpdate, "input", c.RetrievalQuery)
	}
	if len(c.Documents) > 0 {
		raw, _ := json.Marshal(c.Documents)
		addMeta("maxim.documents", string(raw))
	}
	if c.ErrorMessage != "" {
		b.emit(commit.EntityRetrieval, b.id, commit.ActionUpdate, map[string]any{"error": errObj{Message: c.ErrorMessage, Type: c.ErrorType}})
	}
	// Documents go out the way the SDKs send them: `end {docs, endTimestamp}`
	// with the document texts.
	if len(c.Documents) > 0 {
		docs := make([]string, 0, len(c.Documents))
		for _, d := range c.Documents {
			docs = append(docs, d.Content)
		}
		type endDocs struct {
			Docs         []string `json:"docs"`
			EndTimestamp string   `json:"endTimestamp,omitempty"`
		}
		b.emit(commit.EntityRetrieval, b.id, commit.ActionEnd, endDocs{Docs: docs, EndTimestamp: end})
		end = ""
	}
	b.common(commit.EntityRetrieval, end, tags, meta)
}
