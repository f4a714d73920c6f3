package publicapi

import (
	"encoding/json"
	"fmt"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// TranslateSnapshot maps one entry of the batch API (a full entity snapshot
// `{id, type, …}` with parent refs traceId/spanId and inline feedback,
// metrics, evaluate, attachment(s), error, result) to SDK commits.
func TranslateSnapshot(s Fields) ([]Wire, error) {
	typ, id := s.Str("type"), s.Str("id")
	ent, ok := publicEntities[typ]
	if !ok && typ != "event" {
		return nil, fmt.Errorf("unknown type %q", typ)
	}
	if id == "" {
		return nil, fmt.Errorf("%s: missing id", typ)
	}
	inline := []string{"type", "feedback", "metrics", "evaluate", "attachment", "attachments", "error", "result", "traceId", "spanId", "endTimestamp"}
	base := s.rename(nil, inline...)
	base["id"] = raw(id)
	var out []Wire

	parent, parentID := commit.EntityTrace, s.Str("traceId")
	if sp := s.Str("spanId"); sp != "" {
		parent, parentID = commit.EntitySpan, sp
	}
	addAction := map[string]commit.Action{
		"span": commit.ActionAddSpan, "generation": commit.ActionAddGeneration, "retrieval": commit.ActionAddRetrieval,
		"toolCall": commit.ActionAddToolCall, "tool_call": commit.ActionAddToolCall, "event": commit.ActionAddEvent,
	}[typ]
	switch {
	case typ == "event":
		if parentID == "" {
			return nil, fmt.Errorf("event %s: missing traceId or spanId", id)
		}
		return []Wire{{Entity: parent, ID: parentID, Action: commit.ActionAddEvent, Data: base}}, nil
	case addAction != "" && parentID != "":
		out = append(out, Wire{Entity: parent, ID: parentID, Action: addAction, Data: base})
		if ent == commit.EntitySpan {
			out = append(out, Wire{Entity: ent, ID: id, Action: commit.ActionCreate, Data: base.rename(nil, "id")})
		}
	case ent == commit.EntitySession || ent == commit.EntityTrace || ent == commit.EntitySpan:
		out = append(out, Wire{Entity: ent, ID: id, Action: commit.ActionCreate, Data: base.rename(nil, "id")})
	default:
		// A generation, retrieval or tool call without a parent: the
		// SDKs' id-only API does the same (implicit creation by update).
		out = append(out, Wire{Entity: ent, ID: id, Action: commit.ActionUpdate, Data: base.rename(nil, "id")})
	}
	if v, ok := s["metrics"]; ok {
		out = append(out, Wire{Entity: ent, ID: id, Action: commit.ActionUpdate, Data: Fields{"metrics": v}})
	}
	if v, ok := s["feedback"]; ok {
		var fb Fields
		if json.Unmarshal(v, &fb) == nil {
			out = append(out, Wire{Entity: ent, ID: id, Action: commit.ActionAddFeedback, Data: fb})
		}
	}
	if v, ok := s["evaluate"]; ok {
		var ev Fields
		if json.Unmarshal(v, &ev) == nil {
			if _, has := ev["with"]; !has {
				ev["with"] = raw("evaluators")
				if _, vars := ev["variables"]; vars {
					ev["with"] = raw("variables")
				}
			}
			out = append(out, Wire{Entity: ent, ID: id, Action: commit.ActionEvaluate, Data: ev})
		}
	}
	for _, k := range []string{"attachment", "attachments"} {
		v, ok := s[k]
		if !ok {
			continue
		}
		var list []Fields
		if json.Unmarshal(v, &list) != nil {
			var one Fields
			if json.Unmarshal(v, &one) != nil {
				continue
			}
			list = []Fields{one}
		}
		for _, att := range list {
			out = append(out, Wire{Entity: ent, ID: id, Action: commit.ActionAddAttachment, Data: att.rename(map[string]string{"attachmentId": "id"})})
		}
	}
	if v, ok := s["result"]; ok {
		out = append(out, Wire{Entity: ent, ID: id, Action: commit.ActionResult, Data: Fields{"result": v}})
	}
	if v, ok := s["error"]; ok {
		if ent == commit.EntityGeneration {
			out = append(out, Wire{Entity: ent, ID: id, Action: commit.ActionResult, Data: Fields{"result": raw(Fields{"error": v})}})
		} else {
			out = append(out, Wire{Entity: ent, ID: id, Action: commit.ActionError, Data: Fields{"error": v}})
		}
	}
	if v, ok := s["endTimestamp"]; ok {
		out = append(out, Wire{Entity: ent, ID: id, Action: commit.ActionEnd, Data: Fields{"endTimestamp": v}})
	}
	return out, nil
}
