package normalize

import (
	"sort"
	"strings"

	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
)

// maximKeys are the documented keys of Maxim's `maxim.metadata` JSON.
var maximKeys = map[string]bool{
	"maxim-trace-name": true, "maxim-trace-tags": true, "maxim-tags": true, "maxim-trace-metrics": true, "maxim-metrics": true,
	"maxim-session-id": true, "maxim-session-name": true, "maxim-session-tags": true, "maxim-session-metrics": true,
}

// nsMaximKeys are the maxim-* keys under the AI SDK and OpenLLMetry
// metadata namespaces, precomputed (the lookup runs for every span).
var nsMaximKeys = func() []struct{ key, name string } {
	var out []struct{ key, name string }
	for _, p := range []string{"ai.telemetry.metadata.", "traceloop.association.properties."} {
		for _, mk := range sortedKeys(maximKeys) {
			out = append(out, struct{ key, name string }{p + mk, mk})
		}
	}
	return out
}()

// metadataSources returns the metadata objects of a span: the `maxim.metadata`
// and `metadata` JSON (shared by Maxim and OpenInference), and the maxim-*
// keys AI SDK and OpenLLMetry users can only set through their own metadata
// namespaces (`ai.telemetry.metadata.maxim-*`,
// `traceloop.association.properties.maxim-*`).
func metadataSources(v *view) (maxim map[string]any, rest map[string]any) {
	maxim = map[string]any{}
	rest = map[string]any{}
	for _, k := range []string{"maxim.metadata", "metadata"} {
		x, ok := v.structured(k)
		if !ok {
			if s, isStr := x.(string); isStr && meaningful(s) {
				rest[k] = s // unparseable: kept raw (and flagged by structured)
			}
			continue
		}
		m, ok := x.(map[string]any)
		if !ok {
			continue
		}
		for kk, val := range m {
			if maximKeys[kk] {
				if _, dup := maxim[kk]; !dup {
					maxim[kk] = val
				}
			} else if _, dup := rest[kk]; !dup {
				rest[kk] = val
			}
		}
	}
	for _, nk := range nsMaximKeys {
		mk := nk.name
		{
			if x, ok := v.attrs[nk.key]; ok && meaningful(x) {
				if _, dup := maxim[mk]; !dup {
					if s, isStr := x.(string); isStr && looksJSON(s) {
						if pj, ok := parseJSON(s); ok {
							x = pj
						}
					}
					maxim[mk] = x
				}
			}
		}
	}
	return maxim, rest
}

// tagMap accepts Maxim key→value maps, string lists, JSON list strings and
// comma-separated strings; a list tag `t` becomes {t: ""}.
func tagMap(x any) map[string]string {
	out := map[string]string{}
	switch t := x.(type) {
	case map[string]any:
		for k, val := range t {
			out[k] = asString(val)
		}
	case []any:
		for _, it := range t {
			if s := strings.TrimSpace(asString(it)); s != "" {
				out[s] = ""
			}
		}
	case string:
		if p, ok := parseJSON(t); ok {
			if _, isStr := p.(string); !isStr {
				return tagMap(p)
			}
		}
		for _, s := range strings.Split(t, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out[s] = ""
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// metricMap coerces name → number maps; values may arrive as strings.
func metricMap(x any) map[string]float64 {
	if s, ok := x.(string); ok {
		x, _ = parseJSON(s)
	}
	m, ok := x.(map[string]any)
	if !ok {
		return nil
	}
	out := map[string]float64{}
	for k, val := range m {
		if f, ok := asFloat(val); ok {
			out[k] = f
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func mergeTags(dst map[string]string, src map[string]string) map[string]string {
	if len(src) == 0 {
		return dst
	}
	if dst == nil {
		dst = map[string]string{}
	}
	for k, v := range src {
		if _, ok := dst[k]; !ok {
			dst[k] = v
		}
	}
	return dst
}

// contextFields fills session, user, trace name, tags, metrics and
// metadata. Precedence (first wins): Maxim metadata > `session.id` >
// `gen_ai.conversation.id` > OpenLLMetry association properties > AI SDK
// telemetry metadata > Langfuse.
func contextFields(v *view, c *spancommit.Canonical) {
	mx, rest := metadataSources(v)
	c.SessionID = asString(mx["maxim-session-id"])
	if c.SessionID == "" {
		c.SessionID = v.str("session.id", "gen_ai.conversation.id", "traceloop.association.properties.session_id",
			"ai.telemetry.metadata.sessionId", "ai.telemetry.metadata.conversationId", "langfuse.session.id",
			"langfuse.trace.metadata.langfuse_session_id", "langfuse.observation.metadata.langfuse_session_id")
	}
	c.SessionName = asString(mx["maxim-session-name"])
	c.SessionTags = tagMap(mx["maxim-session-tags"])
	c.SessionMetrics = metricMap(mx["maxim-session-metrics"])
	c.UserID = v.str("user.id", "enduser.id", "traceloop.association.properties.user_id", "ai.telemetry.metadata.userId",
		"langfuse.user.id", "langfuse.trace.metadata.langfuse_user_id", "langfuse.observation.metadata.langfuse_user_id")
	c.TraceName = asString(mx["maxim-trace-name"])
	if c.TraceName == "" {
		c.TraceName = v.str("langfuse.trace.name", "traceloop.workflow.name", "gen_ai.workflow.name")
	}
	if c.TraceName == "" && v.isRoot {
		c.TraceName = v.str("gen_ai.agent.name", "ai.telemetry.functionId")
	}
	c.TraceTags = tagMap(mx["maxim-trace-tags"])
	for _, k := range []string{"tag.tags", "ai.telemetry.metadata.tags", "langfuse.trace.tags", "langfuse.trace.metadata.langfuse_tags",
		"langfuse.observation.metadata.langfuse_tags"} {
		if x, ok := v.attrs[k]; ok && meaningful(x) {
			c.TraceTags = mergeTags(c.TraceTags, tagMap(x))
		}
	}
	c.TraceMetrics = metricMap(mx["maxim-trace-metrics"])
	c.Tags = tagMap(mx["maxim-tags"])
	c.Metrics = metricMap(mx["maxim-metrics"])
	if len(rest) > 0 {
		c.Metadata = rest
	}
	langfuseContext(v, c)
	// MCP and JSON-RPC request identity (semconv v1.39 mcp.*, jsonrpc.*,
	// rpc.*): metadata of the call, never the conversation's session
	// (mcp.session.id is the transport session).
	for _, k := range v.keys {
		if strings.HasPrefix(k, "mcp.") || strings.HasPrefix(k, "jsonrpc.") || (strings.HasPrefix(k, "rpc.") && v.has("mcp.method.name")) {
			if x := v.attrs[k]; meaningful(x) {
				if c.Metadata == nil {
					c.Metadata = map[string]any{}
				}
				if _, dup := c.Metadata[k]; !dup {
					c.Metadata[k] = x
				}
			}
		}
	}
	// AI SDK ≤v6 telemetry metadata and v7 context are user metadata too.
	for _, p := range []string{"ai.telemetry.metadata.", "ai.settings.context."} {
		for _, k := range v.keys {
			if !strings.HasPrefix(k, p) {
				continue
			}
			name := k[len(p):]
			if maximKeys[name] || name == "sessionId" || name == "userId" || name == "tags" || name == "conversationId" {
				continue
			}
			if c.Metadata == nil {
				c.Metadata = map[string]any{}
			}
			if _, dup := c.Metadata[name]; !dup {
				c.Metadata[name] = v.attrs[k]
			}
		}
	}
}

// sortedKeys is a helper for deterministic iteration.
func sortedKeys[M ~map[string]V, V any](m M) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
