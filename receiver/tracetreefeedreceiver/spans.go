package tracetreefeedreceiver

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-genai/otelcol-genai/internal/evalevent"
	"github.com/otelcol-genai/otelcol-genai/internal/genaimsg"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
	"github.com/otelcol-genai/otelcol-genai/receiver/tracetreefeedreceiver/internal/metadata"
)

// Attributes the receiver writes besides the OTel GenAI ones (gen_ai.*).
const (
	attrRepo        = "maxim.repo.id"
	attrKind        = "maxim.entity.kind"
	attrEntityID    = "maxim.entity.id"
	attrEntityName  = "maxim.entity.name"
	attrTraceID     = "maxim.trace.id"
	attrEnded       = "maxim.trace.ended"
	attrSessionName = "maxim.session.name"
	attrUpdate      = "maxim.update"
	attrUpdateSeq   = "maxim.update.sequence"
	attrInput       = "maxim.input"
	attrOutput      = "maxim.output"
	attrCostTotal   = "maxim.cost.total"
	attrCostInput   = "maxim.cost.input"
	attrCostOutput  = "maxim.cost.output"
	attrPromptID    = "maxim.prompt.id"
	attrPromptVerID = "maxim.prompt.version_id"
	attrTagPrefix   = "maxim.tags."
	attrMetaPrefix  = "maxim.metadata."
	attrMetricPref  = "maxim.metrics."
	attrExtraPrefix = "maxim.extra."

	// maxAttrLen keeps values within what vendors accept (evalevent).
	maxAttrLen = evalevent.MaxAttrLen
)

// emission is one conversion result.
type emission struct {
	traces ptrace.Traces
	spans  int
	marker *marker
}

// converter turns an assembled trace into spans.
type converter struct {
	serviceName string
	// sessionName is the folded session's name, when the trace has one.
	sessionName string
}

// traceIDOf maps an SDK trace id to an OTel trace id. UUIDs and 32-hex ids
// keep their bytes, so the id shown by a vendor is the SDK's; anything else
// is hashed (with the repo, so equal ids of two repos stay apart).
func traceIDOf(repo, id string) pcommon.TraceID {
	var out pcommon.TraceID
	h := strings.ReplaceAll(id, "-", "")
	if len(h) == 32 {
		if b, err := hex.DecodeString(h); err == nil && !allZero(b) {
			copy(out[:], b)
			return out
		}
	}
	sum := sha256.Sum256([]byte("trace\x00" + repo + "\x00" + id))
	copy(out[:], sum[:16])
	return out
}

// spanIDOf derives a stable span id from the node, so a re-emission after
// a crash carries the same ids and vendors that deduplicate by id can.
func spanIDOf(repo string, kind commit.Entity, id string, extra ...string) pcommon.SpanID {
	var out pcommon.SpanID
	if len(extra) == 0 && kind != commit.EntityTrace && len(id) == 16 {
		if b, err := hex.DecodeString(id); err == nil && !allZero(b) {
			copy(out[:], b)
			return out
		}
	}
	s := "span\x00" + repo + "\x00" + string(kind) + "\x00" + id
	for _, e := range extra {
		s += "\x00" + e
	}
	sum := sha256.Sum256([]byte(s))
	copy(out[:], sum[:8])
	if allZero(out[:]) {
		out[7] = 1
	}
	return out
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// convert emits the spans for t. With prev == nil every node is emitted.
// Otherwise only what changed since prev: a node prev does not know is
// emitted as an ordinary span under its parent; a node whose state changed
// becomes an "update <name>" child span of its original span holding its
// current attributes and only the sub-records that are new.
func (cv *converter) convert(t *tree.Trace, prev *marker, ended bool, now time.Time) emission {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	res := rs.Resource().Attributes()
	res.PutStr("service.name", cv.serviceName)
	res.PutStr(attrRepo, t.Repo)
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName(metadata.ScopeName)
	spans := ss.Spans()

	next := &marker{V: markerVersion, LastVersion: t.LastVersion, CommitCount: t.CommitCount, Nodes: map[string]nodeMark{}}
	if prev != nil {
		next.Updates = prev.Updates + 1
	}
	traceID := traceIDOf(t.Repo, t.Root.ID)
	sessionID := t.Root.SessionID
	var walk func(n *tree.TreeNode, parent pcommon.SpanID)
	walk = func(n *tree.TreeNode, parent pcommon.SpanID) {
		self := spanIDOf(t.Repo, n.Kind, n.ID)
		mark := markNode(&n.Node)
		next.Nodes[nodeKey(&n.Node)] = mark
		old, known := nodeMark{}, false
		if prev != nil {
			old, known = prev.Nodes[nodeKey(&n.Node)]
		}
		switch {
		case !known:
			sp := spans.AppendEmpty()
			cv.fill(sp, t, &n.Node, traceID, self, parent, sessionID, ended, nil)
		case old.Hash != mark.Hash:
			sp := spans.AppendEmpty()
			upd := spanIDOf(t.Repo, n.Kind, n.ID, "update", strconv.Itoa(next.Updates))
			cv.fill(sp, t, &n.Node, traceID, upd, self, sessionID, ended, old.Subs)
			sp.SetName("update " + spanName(&n.Node))
			ts := pcommon.NewTimestampFromTime(now)
			if n.LastVersion > 0 {
				ts = pcommon.NewTimestampFromTime(time.Unix(0, n.LastVersion))
			}
			sp.SetStartTimestamp(ts)
			sp.SetEndTimestamp(ts)
			sp.Attributes().PutBool(attrUpdate, true)
			sp.Attributes().PutInt(attrUpdateSeq, int64(next.Updates))
		}
		for _, c := range n.Children {
			walk(c, self)
		}
	}
	walk(t.Root, pcommon.NewSpanIDEmpty())
	return emission{traces: td, spans: spans.Len(), marker: next}
}

// spanName follows the GenAI span naming ("{operation} {target}") for
// model, tool and retrieval calls; other entities keep their SDK name.
func spanName(n *tree.Node) string {
	switch n.Kind {
	case commit.EntityGeneration:
		if n.Model != "" {
			return "chat " + n.Model
		}
		return "chat"
	case commit.EntityToolCall:
		if n.Name != "" {
			return "execute_tool " + n.Name
		}
		return "execute_tool"
	case commit.EntityRetrieval:
		if n.Name != "" {
			return "retrieval " + n.Name
		}
		return "retrieval"
	case commit.EntityError:
		return "error"
	}
	if n.Name != "" {
		return n.Name
	}
	return string(n.Kind)
}

// fill writes one node as a span. skipSubs lists sub-record keys already
// sent (late updates carry only new ones).
func (cv *converter) fill(sp ptrace.Span, t *tree.Trace, n *tree.Node, traceID pcommon.TraceID, self, parent pcommon.SpanID, sessionID string, ended bool, skipSubs []string) {
	sp.SetTraceID(traceID)
	sp.SetSpanID(self)
	sp.SetParentSpanID(parent)
	sp.SetName(spanName(n))
	switch n.Kind {
	case commit.EntityGeneration, commit.EntityRetrieval:
		sp.SetKind(ptrace.SpanKindClient)
	default:
		sp.SetKind(ptrace.SpanKindInternal)
	}
	start, end := n.Start(), n.End()
	if start.IsZero() {
		start = time.Unix(0, n.FirstVersion)
	}
	if end.IsZero() || end.Before(start) {
		end = start
	}
	sp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	sp.SetEndTimestamp(pcommon.NewTimestampFromTime(end))

	a := sp.Attributes()
	a.PutStr(attrKind, string(n.Kind))
	a.PutStr(attrEntityID, n.ID)
	a.PutStr(attrTraceID, t.Root.ID)
	if n.Name != "" {
		a.PutStr(attrEntityName, n.Name)
	}
	if sessionID != "" {
		a.PutStr("gen_ai.conversation.id", sessionID)
		a.PutStr("session.id", sessionID)
		if cv.sessionName != "" {
			a.PutStr(attrSessionName, cv.sessionName)
		}
	}
	if n.Kind == commit.EntityTrace {
		a.PutBool(attrEnded, ended)
	}
	putText := func(k string, raw json.RawMessage) {
		if s := genaimsg.RawText(raw); s != "" {
			a.PutStr(k, clip(s))
		}
	}
	switch n.Kind {
	case commit.EntityGeneration:
		generationAttrs(a, n)
	case commit.EntityToolCall:
		a.PutStr("gen_ai.operation.name", "execute_tool")
		a.PutStr("gen_ai.tool.type", "function")
		if n.Name != "" {
			a.PutStr("gen_ai.tool.name", n.Name)
		}
		a.PutStr("gen_ai.tool.call.id", n.ID)
		if n.Description != "" {
			a.PutStr("gen_ai.tool.description", clip(n.Description))
		}
		putText("gen_ai.tool.call.arguments", n.Args)
		putText("gen_ai.tool.call.result", n.Output)
	case commit.EntityRetrieval:
		a.PutStr("gen_ai.operation.name", "retrieval")
		putText("gen_ai.retrieval.query.text", n.Input)
		putText("gen_ai.retrieval.documents", n.Output)
	case commit.EntityError:
		if n.Message != "" {
			a.PutStr("exception.message", clip(n.Message))
		}
		if n.ErrorType != "" {
			a.PutStr("exception.type", n.ErrorType)
		}
		if n.Code != "" {
			a.PutStr("error.code", n.Code)
		}
	default:
		putText(attrInput, n.Input)
		putText(attrOutput, n.Output)
	}
	if n.Cost != nil {
		a.PutDouble(attrCostTotal, n.Cost.Total)
		a.PutDouble(attrCostInput, n.Cost.Input)
		a.PutDouble(attrCostOutput, n.Cost.Output)
	}
	for _, k := range sortedKeys(n.Tags) {
		a.PutStr(attrTagPrefix+k, clip(n.Tags[k]))
	}
	for _, k := range sortedKeys(n.Metadata) {
		putText(attrMetaPrefix+k, n.Metadata[k])
	}
	for _, k := range sortedKeys(n.Metrics) {
		a.PutDouble(attrMetricPref+k, n.Metrics[k])
	}
	for _, k := range sortedKeys(n.Extra) {
		putText(attrExtraPrefix+k, n.Extra[k])
	}

	cv.events(sp, n, skipSubs)

	// Status: an error entity, any error record, or an error result.
	msg, typ := "", ""
	switch {
	case n.Kind == commit.EntityError:
		msg, typ = n.Message, n.ErrorType
		if typ == "" {
			typ = n.Code
		}
	case len(n.Errors) > 0:
		e := n.Errors[len(n.Errors)-1]
		msg, typ = e.Message, e.Type
		if typ == "" {
			typ = e.Code
		}
	default:
		return
	}
	if typ == "" {
		typ = "error"
	}
	if msg == "" {
		msg = typ
	}
	sp.Status().SetCode(ptrace.StatusCodeError)
	sp.Status().SetMessage(clip(msg))
	a.PutStr("error.type", typ)
}

// generationAttrs writes the OTel GenAI (v1.37+) attributes of a model call.
func generationAttrs(a pcommon.Map, n *tree.Node) {
	a.PutStr("gen_ai.operation.name", "chat")
	if n.Provider != "" {
		a.PutStr("gen_ai.provider.name", n.Provider)
		// Deprecated by the conventions but still what several vendor UIs
		// (Datadog LLM views among them) read.
		a.PutStr("gen_ai.system", n.Provider)
	}
	if n.Model != "" {
		a.PutStr("gen_ai.request.model", n.Model)
	}
	for _, k := range sortedKeys(n.ModelParameters) {
		v := n.ModelParameters[k]
		key := "gen_ai.request." + k
		switch k {
		case "max_completion_tokens":
			key = "gen_ai.request.max_tokens"
		case "stop":
			key = "gen_ai.request.stop_sequences"
		case "n":
			key = "gen_ai.request.choice.count"
		}
		switch x := v.(type) {
		case float64:
			if x == float64(int64(x)) && (strings.HasSuffix(key, "tokens") || strings.HasSuffix(key, "count") || k == "seed") {
				a.PutInt(key, int64(x))
			} else {
				a.PutDouble(key, x)
			}
		case bool:
			a.PutBool(key, x)
		case string:
			a.PutStr(key, clip(x))
		case nil:
		default:
			raw, _ := json.Marshal(x)
			a.PutStr(key, clip(string(raw)))
		}
	}
	if n.MaximPromptID != "" {
		a.PutStr(attrPromptID, n.MaximPromptID)
	}
	if n.MaximPromptVersionID != "" {
		a.PutStr(attrPromptVerID, n.MaximPromptVersionID)
	}
	if sys, msgs := genaimsg.Input(n.Messages); len(msgs) > 0 || sys != nil {
		if sys != nil {
			raw, _ := genaimsg.MarshalParts(sys)
			a.PutStr("gen_ai.system_instructions", clip(string(raw)))
		}
		if len(msgs) > 0 {
			raw, _ := genaimsg.MarshalMessages(msgs)
			a.PutStr("gen_ai.input.messages", clip(string(raw)))
		}
	}
	if c := n.Completion; c != nil {
		if c.ID != "" {
			a.PutStr("gen_ai.response.id", c.ID)
		}
		if c.Model != "" {
			a.PutStr("gen_ai.response.model", c.Model)
		}
		if len(c.FinishReasons) > 0 {
			s := a.PutEmptySlice("gen_ai.response.finish_reasons")
			for _, r := range c.FinishReasons {
				s.AppendEmpty().SetStr(r)
			}
		}
		if out := genaiOutput(c); len(out) > 0 {
			raw, _ := genaimsg.MarshalMessages(out)
			a.PutStr("gen_ai.output.messages", clip(string(raw)))
		}
	}
	if u := n.Usage; u != nil {
		a.PutInt("gen_ai.usage.input_tokens", u.InputTokens)
		a.PutInt("gen_ai.usage.output_tokens", u.OutputTokens)
		a.PutInt("gen_ai.usage.total_tokens", u.TotalTokens)
	}
}

// events writes the node's sub-records as span events, leaving out those
// listed in skip (already sent).
func (cv *converter) events(sp ptrace.Span, n *tree.Node, skip []string) {
	sent := func(k string) bool { return slices.Contains(skip, k) }
	fallback := sp.EndTimestamp()
	at := func(t time.Time) pcommon.Timestamp {
		if t.IsZero() {
			return fallback
		}
		return pcommon.NewTimestampFromTime(t)
	}
	for _, e := range n.Errors {
		if sent("error:" + e.Key) {
			continue
		}
		ev := sp.Events().AppendEmpty()
		ev.SetName("exception")
		ev.SetTimestamp(fallback)
		ev.Attributes().PutStr("exception.message", clip(e.Message))
		if e.Type != "" {
			ev.Attributes().PutStr("exception.type", e.Type)
		}
		if e.Code != "" {
			ev.Attributes().PutStr("error.code", e.Code)
		}
		ev.Attributes().PutStr("maxim.error.source", e.Source)
	}
	for _, e := range n.Events {
		if sent("event:" + e.ID) {
			continue
		}
		ev := sp.Events().AppendEmpty()
		name := e.Name
		if name == "" {
			name = "event"
		}
		ev.SetName(name)
		ts, _ := time.Parse(time.RFC3339Nano, e.Timestamp)
		ev.SetTimestamp(at(ts))
		ev.Attributes().PutStr("maxim.event.id", e.ID)
		for _, k := range sortedKeys(e.Tags) {
			ev.Attributes().PutStr(attrTagPrefix+k, clip(e.Tags[k]))
		}
		for _, k := range sortedKeys(e.Metadata) {
			ev.Attributes().PutStr(attrMetaPrefix+k, clip(genaimsg.RawText(e.Metadata[k])))
		}
	}
	for _, f := range n.Feedback {
		if sent("feedback:" + f.Key) {
			continue
		}
		ev := sp.Events().AppendEmpty()
		ev.SetName("maxim.feedback")
		ev.SetTimestamp(fallback)
		if x, err := strconv.ParseFloat(genaimsg.RawText(f.Score), 64); err == nil {
			ev.Attributes().PutDouble("maxim.feedback.score", x)
		} else if s := genaimsg.RawText(f.Score); s != "" {
			ev.Attributes().PutStr("maxim.feedback.score", s)
		}
		if f.Comment != "" {
			ev.Attributes().PutStr("maxim.feedback.comment", clip(f.Comment))
		}
	}
	for _, e := range n.Evaluations {
		if sent("evaluation:" + e.Key) {
			continue
		}
		ev := sp.Events().AppendEmpty()
		ts, _ := time.Parse(time.RFC3339Nano, e.Timestamp)
		ev.SetTimestamp(at(ts))
		if e.With == tree.EvaluationWithResult {
			verdictEvent(ev, e)
			continue
		}
		ev.SetName("maxim.evaluation")
		if e.With != "" {
			ev.Attributes().PutStr("maxim.evaluation.with", e.With)
		}
		s := ev.Attributes().PutEmptySlice("maxim.evaluation.evaluators")
		for _, x := range e.Evaluators {
			s.AppendEmpty().SetStr(x)
		}
		for _, k := range sortedKeys(e.Variables) {
			ev.Attributes().PutStr("maxim.evaluation.variables."+k, clip(genaimsg.RawText(e.Variables[k])))
		}
	}
	for _, att := range n.Attachments {
		if sent("attachment:" + att.ID) {
			continue
		}
		ev := sp.Events().AppendEmpty()
		ev.SetName("maxim.attachment")
		ts, _ := time.Parse(time.RFC3339Nano, att.Timestamp)
		ev.SetTimestamp(at(ts))
		ev.Attributes().PutStr("maxim.attachment.id", att.ID)
		for k, v := range map[string]string{"type": att.Type, "name": att.Name, "mime_type": att.MimeType, "url": att.URL, "key": att.Key} {
			if v != "" {
				ev.Attributes().PutStr("maxim.attachment."+k, clip(v))
			}
		}
		if att.Size != nil {
			ev.Attributes().PutInt("maxim.attachment.size", *att.Size)
		}
	}
}

// clip cuts s to maxAttrLen bytes on a rune boundary.
func clip(s string) string { return evalevent.Clip(s) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// verdictEvent writes a verdict of the collector's evaluators (genai_eval)
// as the OTel GenAI semantic conventions' gen_ai.evaluation.result event.
func verdictEvent(ev ptrace.SpanEvent, e tree.Evaluation) {
	ev.SetName(evalevent.EventName)
	evalevent.PutAttributes(ev.Attributes(), e)
}
