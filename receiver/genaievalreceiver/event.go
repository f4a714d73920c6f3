package genaievalreceiver

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-genai/otelcol-genai/internal/evalevent"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// spanLink is the OpenTelemetry identity of an entity written from OTLP
// spans (pkg/spancommit): its trace's id is the OTLP trace id in hex, a
// node's id the span id in hex. A verdict on such an entity is also the
// OTel GenAI gen_ai.evaluation.result event on that span, so a vendor that
// received the span over the OTLP pipeline (before any verdict existed)
// attaches the verdict to it. SDK entities have no link: their verdicts
// reach vendors through tracetree_feed, as span events of the spans it
// emits.
type spanLink struct {
	traceID pcommon.TraceID
	// spanID is empty for a trace verdict when the trace has no single
	// local root span (the event then names the trace only).
	spanID pcommon.SpanID
	// responseID is the judged completion's id (gen_ai.response.id).
	responseID string
}

// linkOf returns the link of node n of an OTLP trace (root is the trace
// node, traceID its id), or nil when the ids are not OTLP ids.
func linkOf(traceID string, root, n *tree.TreeNode) *spanLink {
	var l spanLink
	if !decodeID(l.traceID[:], traceID) {
		return nil
	}
	switch {
	case n == root:
		// A trace is judged on its root span: the node whose span had no
		// parent (a span with a remote parent hangs under the trace too,
		// but keeps its parent's id).
		var roots []*tree.TreeNode
		for _, c := range root.Children {
			if c.ParentSpanID == "" {
				roots = append(roots, c)
			}
		}
		if len(roots) == 1 && !decodeID(l.spanID[:], roots[0].ID) {
			l.spanID = pcommon.SpanID{}
		}
	case !decodeID(l.spanID[:], n.ID):
		return nil
	}
	if n.Completion != nil {
		l.responseID = n.Completion.ID
	}
	return &l
}

// decodeID decodes hex id into dst, which it must fill exactly.
func decodeID(dst []byte, id string) bool {
	if hex.DecodedLen(len(id)) != len(dst) {
		return false
	}
	_, err := hex.Decode(dst, []byte(id))
	return err == nil
}

// verdictLogs is the log record of a verdict: the evaluate commit (the
// record mxin would send, what the tracetree exporter stores) and, for an
// entity with a link, the same record as the gen_ai.evaluation.result
// event: event name, the judged span's trace and span ids, the semconv
// attributes beside the commit's maxim.* ones (the store reads only
// those and the body). One record, so whatever receives the pipeline's
// logs gets each verdict exactly once. The attributes are read from the
// commit's data as the tree folds it, so the event says what is stored.
func verdictLogs(c commit.Commit, link *spanLink, now time.Time) (plog.Logs, error) {
	ld := commit.LogsFromCommits([]commit.Commit{c})
	if link == nil {
		return ld, nil
	}
	var res tree.Evaluation
	if err := json.Unmarshal(c.Data, &res); err != nil {
		return ld, fmt.Errorf("read back the verdict: %w", err)
	}
	lr := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	lr.SetEventName(evalevent.EventName)
	lr.SetTraceID(link.traceID)
	lr.SetSpanID(link.spanID)
	lr.SetTimestamp(pcommon.NewTimestampFromTime(now))
	evalevent.PutAttributes(lr.Attributes(), res)
	if link.responseID != "" {
		lr.Attributes().PutStr(evalevent.AttrResponseID, link.responseID)
	}
	return ld, nil
}
